"""`passerelle plan` as a person types it: every mistake answered in French, exit code 2.

The command runs in a subprocess, so what is checked is what the person sees: no traceback,
no English. `python -m bot …` is what the `passerelle` console script calls; its `plan`
hands the arguments to `matching.cli.main`, which `python -m matching` also runs, and that
lighter start is used for the cases about files. Every case is started at once by one
fixture (each start costs a second or two of imports).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from matching import Instance
from matching.cli import COMMANDS, USAGE
from tests.helpers.texts import contains, t
from tests.matching.conftest import minimal

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ("usage:", "error:", "Traceback", "show this help", "positional arguments", "required")


Result = subprocess.CompletedProcess[str]


def run(module: str, *arguments: str) -> Result:
    """`python -m bot …` (`passerelle …`) or `python -m matching …` (`passerelle plan …`)."""
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def no_english(result: Result) -> None:
    for word in ENGLISH:
        assert word not in result.stdout + result.stderr, (word, result.stderr)


def write(folder: Path, data: Any, name: str) -> str:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def _typo() -> dict[str, Any]:
    data = minimal()
    data["candidates"][1]["secteurs"] = data["candidates"][1].pop("sectors")
    data["event"]["tours"] = 2
    data["remarque"] = "à revoir"
    return data


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Every case below, run in parallel subprocesses; its result by name."""
    folder = tmp_path_factory.mktemp("cli")
    event = write(folder, minimal(), "event.json")
    cases: dict[str, tuple[str, ...]] = {
        "none": ("bot", "plan"),
        "bogus": ("bot", "plan", "--bogus"),
        "plan_help": ("bot", "plan", "--help"),
        "help": ("bot", "--help"),
        "db_help": ("bot", "db", "--help"),
        "unknown_command": ("bot", "plann"),
        "bogus_after_file": ("matching", event, "--bogus"),
        "seed": ("matching", event, "--seed", "abc"),
        "time_limit": ("matching", event, "--time-limit"),
        "missing": ("matching", str(folder / "absent.json")),
        "bad_json": ("matching", write(folder, '{"event": }', "bad.json")),
        "typo": ("matching", write(folder, _typo(), "typo.json"), "-o", str(folder / "plan.json")),
        "clean": ("matching", event, "-o", str(folder / "clean.json")),
    }
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures = {name: pool.submit(run, *arguments) for name, arguments in cases.items()}
        done = {name: future.result() for name, future in futures.items()}
    done["_folder"] = subprocess.CompletedProcess([], 0, str(folder), "")
    return done


def test_no_argument(results: dict[str, Result]) -> None:
    result = results["none"]
    assert result.returncode == 2
    assert result.stderr.startswith(t(USAGE))
    assert contains(result.stderr, "Error: {message}")
    assert contains(result.stderr, "missing: {names}", names=t("EVENT_FILE"))
    no_english(result)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bogus", "missing: {names}"),
        ("bogus_after_file", "unknown option: {names}"),
        ("seed", "{name}: {value} is not a number"),
        ("time_limit", "{name}: a value is expected after it"),
    ],
)
def test_bad_options(results: dict[str, Result], case: str, message: str) -> None:
    result = results[case]
    assert result.returncode == 2
    assert contains(result.stderr, message)
    no_english(result)


def test_help_is_french(results: dict[str, Result]) -> None:
    result = results["plan_help"]
    assert result.returncode == 0
    for message in (
        USAGE,
        "options",
        "show this help message and exit",
        "Builds the room plan of an event.",
        "JSON file to write the plan to",
        "maximum computing time in seconds",
    ):
        assert contains(result.stdout, message), message
    no_english(result)


@pytest.mark.parametrize("case", ["help", "db_help"])
def test_passerelle_help_is_french(results: dict[str, Result], case: str) -> None:
    result = results[case]
    assert result.returncode == 0
    assert result.stdout.startswith(t(USAGE)) and contains(result.stdout, COMMANDS)
    no_english(result)


def test_unknown_command(results: dict[str, Result]) -> None:
    result = results["unknown_command"]
    assert result.returncode == 2
    assert contains(result.stderr, "{name}: {value} is not a possible choice")
    no_english(result)


def test_missing_file(results: dict[str, Result]) -> None:
    result = results["missing"]
    assert result.returncode == 2
    assert contains(result.stderr, "File refused: {error}")
    assert contains(result.stderr, "{where}: cannot read the file ({error})")
    assert contains(result.stderr, "no such file")
    no_english(result)


def test_bad_json(results: dict[str, Result]) -> None:
    result = results["bad_json"]
    assert result.returncode == 2
    assert contains(result.stderr, "{where}: invalid JSON line {line}, column {column} ({error})")
    assert contains(result.stderr, "a value is expected")
    assert "Expecting" not in result.stderr
    no_english(result)


def test_unknown_keys_are_named_and_the_plan_is_made(results: dict[str, Result]) -> None:
    result = results["typo"]
    output = Path(results["_folder"].stdout) / "plan.json"
    assert result.returncode == 0, result.stderr
    warning = 'Warning: unknown key "{key}" ignored (check its spelling).'
    for key in ("candidates[1].secteurs", "event.tours", "remarque"):
        assert contains(result.stderr, warning, key=key), result.stderr
    assert json.loads(output.read_text(encoding="utf-8"))["rounds"]
    no_english(result)


def test_a_clean_file_gives_no_warning(results: dict[str, Result]) -> None:
    result = results["clean"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_readme_example_is_a_valid_instance() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The instance file of `passerelle plan`", 1)[1]
    example = section.split("```json", 1)[1].split("```", 1)[0]
    inst = Instance.from_dict(json.loads(example))
    assert inst.unknown_keys == () and inst.event.admission == "registration"
    assert inst.candidates[0].priority == 1
