"""Loading instances: strict validation with messages that name the place in the file."""

from __future__ import annotations

import json
import re

import pytest

from matching import Instance, InstanceError, Plan, load_instance, solve
from tests.helpers.texts import pattern

UNKNOWN_SITE = '{where}: unknown site "{id}"'
DUPLICATE = '{where}: duplicate identifier "{id}"'
REQUIRED = "{where}: required field missing"


def test_minimal_instance_loads(minimal_dict) -> None:
    inst = Instance.from_dict(minimal_dict)
    assert inst.event.employers_per_room == 2
    assert inst.employers[1].accepts("lausanne")  # "*" = remote, any site
    assert inst.affinity == {"c1": {"e1": 0.82}}


def _broken(data: dict, path: str, value: object) -> dict:
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "candidates.1.site",
            "geneve",
            pattern(UNKNOWN_SITE, where="candidates[1].site", id="geneve"),
        ),
        ("candidates.1.id", "c1", pattern(DUPLICATE, where="candidates[1].id", id="c1")),
        ("employers.1.id", "c1", pattern(DUPLICATE, where="candidates[0].id", id="c1")),
        ("event.sites.0.rooms", -1, "event.sites[0].rooms"),
        ("event.candidates_per_room", 0, "event.candidates_per_room"),
        ("event.rounds", "2", pattern("{where}: a whole number is expected", where="event.rounds")),
        ("candidates.0.wishes", ["e9"], "candidates[0].wishes[0]"),
        ("employers.0.wishes", ["zz"], "employers[0].wishes[0]"),
        ("affinity", {"c1": {"e1": 1.5}}, "affinity.c1.e1"),
        ("affinity", {"c7": {"e1": 0.5}}, "affinity.c7"),
        ("employers.0.sites", ["nowhere"], pattern(UNKNOWN_SITE, where="employers[0].sites[0]")),
        ("candidates.0.site", KeyError, pattern(REQUIRED, where="candidates[0].site")),
        ("event", KeyError, pattern(REQUIRED, where="instance.event")),
        ("employers.0.max_candidates", True, "employers[0].max_candidates"),
        ("withdrawn", ["ghost"], "withdrawn[0]"),
        ("weights", {"sectr": 1}, pattern("{where}: unknown weight", where="weights.sectr")),
    ],
)
def test_malformed_instances_name_the_place(
    minimal_dict, path: str, value: object, expected: str | re.Pattern[str]
) -> None:
    with pytest.raises(InstanceError) as info:
        Instance.from_dict(_broken(minimal_dict, path, value))
    # The place in the file (data), or the engine's message about it (through the catalogs).
    message = str(info.value)
    assert expected.search(message) if isinstance(expected, re.Pattern) else expected in message


def test_bad_json_file_is_refused_with_line(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"event": {"rounds": 1,}}', encoding="utf-8")
    bad_json = "{where}: invalid JSON line {line}, column {column} ({error})"
    with pytest.raises(InstanceError, match=pattern(bad_json, line=1)):
        load_instance(path)


def test_instance_round_trip_and_weights(minimal_dict) -> None:
    data = minimal_dict
    data["weights"] = {"wish": 0.5}
    data["withdrawn"] = ["e2"]
    inst = Instance.from_dict(data)
    assert inst.weights.wish == 0.5
    again = Instance.from_dict(json.loads(json.dumps(inst.to_dict())))
    assert again == inst


def test_plan_round_trip(ose_dict) -> None:
    plan = solve(Instance.from_dict(ose_dict))
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again.to_dict() == plan.to_dict()
    with pytest.raises(InstanceError):
        Plan.from_dict({"rounds": [{"rooms": []}]})
