"""Command line: ``passerelle plan INSTANCE.json [-o PLAN.json] [--seed N] [--picture P.png]``.

Reads an instance, writes the plan as JSON, prints a short summary (French by default). A
malformed instance is refused with a message naming the place in the file and exit code 2;
so is every argument error, in French (:class:`Parser`, also used by ``bot.cli``). Keys of
the file the format does not know (a typo) are named in warnings, and the plan is made.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import matching
from matching.i18n import N_, Translator, translator
from matching.model import WITHDRAWN_REASON, InstanceError, Plan, load_instance
from matching.validate import check_plan

USAGE = N_("usage: ")
COMMANDS = N_("commands")
# argparse's error sentences (Python 3.11 wording) and how to say them; anything else gets
# a general sentence, so no English reaches the person typing.
_ARGPARSE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"the following arguments are required: (?P<names>.+)"),
        N_("missing: {names}"),
    ),
    (re.compile(r"unrecognized arguments: (?P<names>.+)"), N_("unknown option: {names}")),
    (
        re.compile(r"argument (?P<name>\S+): invalid (?:int|float) value: (?P<value>.+)"),
        N_("{name}: {value} is not a number"),
    ),
    (
        re.compile(r"argument (?P<name>\S+): invalid choice: (?P<value>.+?) \(choose from .*\)"),
        N_("{name}: {value} is not a possible choice"),
    ),
    (
        re.compile(r"argument (?P<name>\S+): expected .*argument"),
        N_("{name}: a value is expected after it"),
    ),
    (
        re.compile(r"ambiguous option: (?P<name>\S+) could match .*"),
        N_("{name}: ambiguous option, write it in full"),
    ),
)


def _french_error(_: Translator, message: str) -> str:
    for pattern, text in _ARGPARSE_ERRORS:
        found = pattern.fullmatch(message)
        if found:
            return _(text, **found.groupdict())
    return _("these arguments are not understood")


class _Formatter(argparse.HelpFormatter):
    """Help text with the translated "usage:" prefix."""

    translate: Translator = translator()

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        if prefix is None:
            prefix = self.translate(USAGE)
        super().add_usage(usage, actions, groups, prefix)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose own words (usage, help, errors) are translated.

    Argument errors print the usage and a sentence in the translator's language, then exit
    with code 2, never a traceback. Sub-command parsers are of the same class.
    """

    def __init__(
        self, *args: Any, translate: Translator | None = None, add_help: bool = True, **kwargs: Any
    ) -> None:
        _ = translate or translator()
        self.translate = _
        formatter = type("Formatter", (_Formatter,), {"translate": _})
        kwargs.setdefault("formatter_class", formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=_("show this help message and exit"),
            )

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("title", self.translate(COMMANDS))
        action = super().add_subparsers(**kwargs)
        translate = self.translate

        class _Sub(Parser):
            def __init__(self, *args: Any, **sub_kwargs: Any) -> None:
                super().__init__(*args, translate=translate, **sub_kwargs)

        action._parser_class = _Sub
        return action

    def error(self, message: str) -> NoReturn:
        _ = self.translate
        self.print_usage(sys.stderr)
        print(_("Error: {message}", message=_french_error(_, message)), file=sys.stderr)
        raise SystemExit(2)


def _parser(_: Translator) -> argparse.ArgumentParser:
    parser = Parser(
        prog="passerelle plan", description=_("Builds the room plan of an event."), translate=_
    )
    file, number, seconds = _("FILE"), _("NUMBER"), _("SECONDS")
    parser.add_argument("instance", metavar=_("EVENT_FILE"), help=_("JSON file of the event"))
    parser.add_argument("-o", "--output", metavar=file, help=_("JSON file to write the plan to"))
    parser.add_argument(
        "--seed", type=int, default=0, metavar=number, help=_("seed (reproducible result)")
    )
    parser.add_argument("--picture", metavar=file, help=_("PNG picture of the plan to write"))
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar=seconds,
        help=_("maximum computing time in seconds"),
    )
    return parser


def main(argv: Sequence[str] | None = None, language: str = "fr") -> int:
    _ = translator(language)
    args = _parser(_).parse_args(argv)
    try:
        instance = load_instance(args.instance, language=language)
    except InstanceError as exc:
        print(_("File refused: {error}", error=exc), file=sys.stderr)
        return 2
    for key in instance.unknown_keys:
        print(
            _('Warning: unknown key "{key}" ignored (check its spelling).', key=key),
            file=sys.stderr,
        )
    plan = matching.solve(instance, seed=args.seed, time_limit=args.time_limit, language=language)
    problems = check_plan(instance, plan, language=language)
    try:
        if args.output:
            Path(args.output).write_text(
                json.dumps(plan.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        if args.picture:
            Path(args.picture).write_bytes(
                matching.render_plan_png(instance, plan, language=language)
            )
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
        _("Score: {score}.", score=_.decimal(plan.score, 2)),
    ]
    if plan.worst_candidate:
        worst = plan.worst_candidate
        lines.append(
            _(
                "Worst-off candidate: {name} (score {score}).",
                name=worst["id"],
                score=_.decimal(float(worst["score"]), 2),
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
    if plan.met_again:
        lines.append(
            _.n(
                "Met at an earlier edition and together again (no other plan seats everyone): "
                "{count} pair.",
                "Met at an earlier edition and together again (no other plan seats everyone): "
                "{count} pairs.",
                len(plan.met_again),
            )
        )
        lines.extend("  - " + " – ".join(pair) for pair in plan.met_again[:10])
    return "\n".join(lines)
