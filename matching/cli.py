"""Command line: ``passerelle plan INSTANCE.json [-o PLAN.json] [--seed N] [--picture P.png]``.

Reads an instance, writes the plan as JSON, prints a short summary in French. A malformed
instance is refused with a message naming the place in the file and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matching.model import InstanceError, Plan, load_instance
from matching.picture import render_plan_png
from matching.solver import solve
from matching.validate import check_plan


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"Erreur : {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="passerelle plan",
                     description="Construit le plan des salles d'un événement.")
    parser.add_argument("instance", help="fichier JSON de l'événement")
    parser.add_argument("-o", "--output", help="fichier JSON où écrire le plan")
    parser.add_argument("--seed", type=int, default=0, help="graine (résultat reproductible)")
    parser.add_argument("--picture", help="image PNG du plan à écrire")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="temps de calcul maximal en secondes")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        instance = load_instance(args.instance)
    except InstanceError as exc:
        print(f"Fichier refusé : {exc}", file=sys.stderr)
        return 2
    plan = solve(instance, seed=args.seed, time_limit=args.time_limit)
    problems = check_plan(instance, plan)
    try:
        if args.output:
            Path(args.output).write_text(
                json.dumps(plan.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        if args.picture:
            Path(args.picture).write_bytes(render_plan_png(instance, plan))
    except OSError as exc:
        print(f"Écriture impossible : {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    print(summary(plan))
    if not args.output:
        print(json.dumps(plan.to_dict(), ensure_ascii=False))
    if problems:
        print("Attention, règles non respectées :", *problems, sep="\n  - ", file=sys.stderr)
        return 1
    return 0


def summary(plan: Plan) -> str:
    rooms = sum(len(rp.rooms) for rp in plan.rounds)
    seated = {p for rp in plan.rounds for r in rp.rooms for p in (*r.candidates, *r.employers)}
    lines = [
        f"Plan prêt : {len(plan.rounds)} tour(s), {rooms} salle(s), {len(seated)} personne(s) "
        f"convoquée(s).",
        f"Score : {plan.score:.2f}.",
    ]
    if plan.worst_candidate:
        worst = plan.worst_candidate
        lines.append(f"Candidat·e le moins bien servi·e : {worst['id']} "
                     f"(score {float(worst['score']):.2f}).")
    waiting = [w for w in plan.waiting if not w.reason.startswith("Désistement")]
    if waiting:
        lines.append(f"Liste d'attente : {len(waiting)} personne(s).")
        lines.extend(f"  - {w.id} : {w.reason}" for w in waiting[:10])
        if len(waiting) > 10:
            lines.append(f"  … et {len(waiting) - 10} autre(s).")
    else:
        lines.append("Tout le monde a une place.")
    return "\n".join(lines)
