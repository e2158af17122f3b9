"""Hard-rule checker: every plan, from any solver or edited by hand, can be verified."""

from __future__ import annotations

from collections import Counter

from matching.model import Instance, Plan


def check_plan(instance: Instance, plan: Plan) -> list[str]:
    """Return the violated hard rules as French sentences; an empty list means valid."""
    ev = instance.event
    rooms_per_site = {s.id: s.rooms for s in ev.sites}
    candidates = {c.id: c for c in instance.candidates}
    employers = {e.id: e for e in instance.employers}
    problems: list[str] = []
    seen_rounds: set[int] = set()
    pair_count: Counter[tuple[str, str]] = Counter()
    meetings: Counter[str] = Counter()
    seated: set[str] = set()

    for rp in plan.rounds:
        where = f"tour {rp.round}"
        if not 1 <= rp.round <= ev.rounds:
            problems.append(f"{where} : ce tour n'existe pas (1 à {ev.rounds})")
        if rp.round in seen_rounds:
            problems.append(f"{where} : tour présent deux fois")
        seen_rounds.add(rp.round)
        in_round: Counter[str] = Counter()
        room_keys: Counter[tuple[str, int]] = Counter()
        for room in rp.rooms:
            at = f"{where}, site « {room.site} », salle {room.room}"
            room_keys[(room.site, room.room)] += 1
            if room.site not in rooms_per_site:
                problems.append(f"{at} : site inconnu")
            elif not 1 <= room.room <= rooms_per_site[room.site]:
                problems.append(
                    f"{at} : numéro de salle hors limites (le site a {rooms_per_site[room.site]}"
                    " salle(s))"
                )
            if len(room.employers) > ev.employers_per_room:
                problems.append(f"{at} : {len(room.employers)} employeurs pour "
                                f"{ev.employers_per_room} place(s)")
            if len(room.candidates) > ev.candidates_per_room:
                problems.append(f"{at} : {len(room.candidates)} candidat·e·s pour "
                                f"{ev.candidates_per_room} place(s)")
            if not room.candidates:
                problems.append(f"{at} : salle sans candidat·e")
            if ev.employers_per_room > 0 and not room.employers:
                problems.append(f"{at} : salle sans employeur")
            for person in (*room.employers, *room.candidates):
                in_round[person] += 1
                if person in instance.withdrawn:
                    problems.append(f"{at} : « {person} » s'est désisté·e")
            for e in room.employers:
                emp = employers.get(e)
                if emp is None:
                    problems.append(f"{at} : employeur inconnu « {e} »")
                elif not emp.accepts(room.site):
                    problems.append(f"{at} : « {e} » ne reçoit pas sur ce site")
            for c in room.candidates:
                cand = candidates.get(c)
                if cand is None:
                    problems.append(f"{at} : candidat·e inconnu·e « {c} »")
                elif cand.site != room.site:
                    problems.append(f"{at} : « {c} » est inscrit·e sur le site « {cand.site} »")
                for e in room.employers:
                    pair_count[(c, e)] += 1
                    meetings[e] += 1
            seated.update(room.employers)
            seated.update(room.candidates)
        for person, count in in_round.items():
            if count > 1:
                problems.append(f"{where} : « {person} » est dans {count} salles en même temps")
        for (site, number), count in room_keys.items():
            if count > 1:
                problems.append(f"{where}, site « {site} » : la salle {number} est attribuée "
                                f"{count} fois")
        for site, limit in rooms_per_site.items():
            used = sum(1 for (s, _n) in room_keys if s == site)
            if used > limit:
                problems.append(f"{where}, site « {site} » : {used} salles pour {limit}")

    for (c, e), count in pair_count.items():
        if count > 1:
            problems.append(f"« {c} » rencontre « {e} » {count} fois")
    for e, count in meetings.items():
        emp = employers.get(e)
        if emp is not None and emp.max_candidates is not None and count > emp.max_candidates:
            problems.append(f"« {e} » reçoit {count} candidat·e·s pour {emp.max_candidates} "
                            "au maximum")
    waiting_ids = Counter(w.id for w in plan.waiting)
    for person, count in waiting_ids.items():
        if count > 1:
            problems.append(f"« {person} » figure {count} fois en liste d'attente")
        if person in seated:
            problems.append(f"« {person} » a une salle et figure aussi en liste d'attente")
    for person in (*candidates, *employers):
        if person in instance.withdrawn:
            continue
        if person not in seated and person not in waiting_ids:
            problems.append(f"« {person} » n'a ni salle ni place en liste d'attente")
    return problems
