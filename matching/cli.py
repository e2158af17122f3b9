"""Command line: ``passerelle plan INSTANCE.json [-o PLAN.json] [--seed N] [--picture P.png]``.

Reads an instance, writes the plan as JSON, prints a short summary (French by default). A
malformed instance is refused with a message naming the place in the file and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from matching.i18n import Translator, translator
from matching.model import InstanceError, Plan, load_instance
from matching.picture import render_plan_png
from matching.solver import WITHDRAWN_REASON, solve
from matching.validate import check_plan


class _Parser(argparse.ArgumentParser):
    translate: Translator = translator()

    def error(self, message: str) -> NoReturn:
        _ = self.translate
        self.print_usage(sys.stderr)
        print(_("Error: {message}", message=message), file=sys.stderr)
        raise SystemExit(2)


def _parser(_: Translator) -> argparse.ArgumentParser:
    parser = _Parser(prog="passerelle plan", description=_("Builds the room plan of an event."))
    parser.translate = _
    parser.add_argument("instance", help=_("JSON file of the event"))
    parser.add_argument("-o", "--output", help=_("JSON file to write the plan to"))
    parser.add_argument("--seed", type=int, default=0, help=_("seed (reproducible result)"))
    parser.add_argument("--picture", help=_("PNG picture of the plan to write"))
    parser.add_argument(
        "--time-limit", type=float, default=None, help=_("maximum computing time in seconds")
    )
    return parser


def main(argv: list[str] | None = None, language: str = "fr") -> int:
    _ = translator(language)
    args = _parser(_).parse_args(argv)
    try:
        instance = load_instance(args.instance, language=language)
    except InstanceError as exc:
        print(_("File refused: {error}", error=exc), file=sys.stderr)
        return 2
    plan = solve(instance, seed=args.seed, time_limit=args.time_limit, language=language)
    problems = check_plan(instance, plan, language=language)
    try:
        if args.output:
            Path(args.output).write_text(
                json.dumps(plan.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        if args.picture:
            Path(args.picture).write_bytes(render_plan_png(instance, plan, language=language))
    except OSError as exc:
        print(
            _("Cannot write {file}: {error}", file=exc.filename, error=exc.strerror),
            file=sys.stderr,
        )
        return 1
    print(summary(plan, language))
    if not args.output:
        print(json.dumps(plan.to_dict(), ensure_ascii=False))
    if problems:
        print(_("Warning, rules not respected:"), *problems, sep="\n  - ", file=sys.stderr)
        return 1
    return 0


def summary(plan: Plan, language: str = "fr") -> str:
    _ = translator(language)
    rooms = sum(len(rp.rooms) for rp in plan.rounds)
    seated = {p for rp in plan.rounds for r in rp.rooms for p in (*r.candidates, *r.employers)}
    lines = [
        _(
            "Plan ready: {rounds} round(s), {rooms} room(s), {people} person(s) convened.",
            rounds=len(plan.rounds),
            rooms=rooms,
            people=len(seated),
        ),
        _("Score: {score}.", score=f"{plan.score:.2f}"),
    ]
    if plan.worst_candidate:
        worst = plan.worst_candidate
        lines.append(
            _(
                "Worst-off candidate: {name} (score {score}).",
                name=worst["id"],
                score=f"{float(worst['score']):.2f}",
            )
        )
    withdrawn = _(WITHDRAWN_REASON)
    waiting = [w for w in plan.waiting if w.reason != withdrawn]
    if waiting:
        lines.append(
            _.n("Waiting list: {count} person.", "Waiting list: {count} people.", len(waiting))
        )
        lines.extend(
            "  - " + _("{name}: {reason}", name=w.id, reason=w.reason) for w in waiting[:10]
        )
        if len(waiting) > 10:
            lines.append(
                "  " + _.n("… and {count} other.", "… and {count} others.", len(waiting) - 10)
            )
    else:
        lines.append(_("Everyone has a seat."))
    return "\n".join(lines)
