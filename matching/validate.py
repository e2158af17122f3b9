"""Hard-rule checker: every plan, from any solver or edited by hand, can be verified."""

from __future__ import annotations

from collections import Counter

from matching.i18n import translator
from matching.model import Instance, Plan


def check_plan(instance: Instance, plan: Plan, language: str = "fr") -> list[str]:
    """Return the violated hard rules as sentences in ``language``; empty means valid.

    People and sites are quoted (« … » in French) so callers can swap ids for names.
    """
    _ = translator(language)
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
        where = _("round {number}", number=rp.round)
        if not 1 <= rp.round <= ev.rounds:
            problems.append(
                _(
                    "{where}: this round does not exist (1 to {rounds})",
                    where=where,
                    rounds=ev.rounds,
                )
            )
        if rp.round in seen_rounds:
            problems.append(_("{where}: round given twice", where=where))
        seen_rounds.add(rp.round)
        in_round: Counter[str] = Counter()
        room_keys: Counter[tuple[str, int]] = Counter()
        for room in rp.rooms:
            at = _(
                '{where}, site "{site}", room {room}', where=where, site=room.site, room=room.room
            )
            room_keys[(room.site, room.room)] += 1
            if room.site not in rooms_per_site:
                problems.append(_("{where}: unknown site", where=at))
            elif not 1 <= room.room <= rooms_per_site[room.site]:
                problems.append(
                    _(
                        "{where}: room number out of range (the site has {rooms} room(s))",
                        where=at,
                        rooms=rooms_per_site[room.site],
                    )
                )
            if len(room.employers) > ev.employers_per_room:
                problems.append(
                    _(
                        "{where}: {count} employers for {seats} seat(s)",
                        where=at,
                        count=len(room.employers),
                        seats=ev.employers_per_room,
                    )
                )
            if len(room.candidates) > ev.candidates_per_room:
                problems.append(
                    _(
                        "{where}: {count} candidates for {seats} seat(s)",
                        where=at,
                        count=len(room.candidates),
                        seats=ev.candidates_per_room,
                    )
                )
            if not room.candidates:
                problems.append(_("{where}: room without a candidate", where=at))
            if ev.employers_per_room > 0 and not room.employers:
                problems.append(_("{where}: room without an employer", where=at))
            for person in (*room.employers, *room.candidates):
                in_round[person] += 1
                if person in instance.withdrawn:
                    problems.append(_('{where}: "{person}" has withdrawn', where=at, person=person))
            for e in room.employers:
                emp = employers.get(e)
                if emp is None:
                    problems.append(
                        _('{where}: employer "{person}" is unknown', where=at, person=e)
                    )
                elif not emp.accepts(room.site):
                    problems.append(
                        _('{where}: "{person}" does not receive on this site', where=at, person=e)
                    )
            for c in room.candidates:
                cand = candidates.get(c)
                if cand is None:
                    problems.append(
                        _('{where}: candidate "{person}" is unknown', where=at, person=c)
                    )
                elif cand.site != room.site:
                    problems.append(
                        _(
                            '{where}: "{person}" is registered on site "{site}"',
                            where=at,
                            person=c,
                            site=cand.site,
                        )
                    )
                for e in room.employers:
                    pair_count[(c, e)] += 1
                    meetings[e] += 1
            seated.update(room.employers)
            seated.update(room.candidates)
        for person, count in in_round.items():
            if count > 1:
                problems.append(
                    _(
                        '{where}: "{person}" is in {count} rooms at the same time',
                        where=where,
                        person=person,
                        count=count,
                    )
                )
        for (site, number), count in room_keys.items():
            if count > 1:
                problems.append(
                    _(
                        '{where}, site "{site}": room {room} is given {count} times',
                        where=where,
                        site=site,
                        room=number,
                        count=count,
                    )
                )
        for site, limit in rooms_per_site.items():
            used = sum(1 for (s, _n) in room_keys if s == site)
            if used > limit:
                problems.append(
                    _(
                        '{where}, site "{site}": {used} rooms for {limit}',
                        where=where,
                        site=site,
                        used=used,
                        limit=limit,
                    )
                )

    for (c, e), count in pair_count.items():
        if count > 1:
            problems.append(
                _(
                    '"{candidate}" meets "{employer}" {count} times',
                    candidate=c,
                    employer=e,
                    count=count,
                )
            )
    for e, count in meetings.items():
        emp = employers.get(e)
        if emp is not None and emp.max_candidates is not None and count > emp.max_candidates:
            problems.append(
                _(
                    '"{person}" receives {count} candidates for {limit} at most',
                    person=e,
                    count=count,
                    limit=emp.max_candidates,
                )
            )
    waiting_ids = Counter(w.id for w in plan.waiting)
    for person, count in waiting_ids.items():
        if count > 1:
            problems.append(
                _('"{person}" is {count} times on the waiting list', person=person, count=count)
            )
        if person in seated:
            problems.append(
                _('"{person}" has a room and is also on the waiting list', person=person)
            )
    for person in (*candidates, *employers):
        if person in instance.withdrawn:
            continue
        if person not in seated and person not in waiting_ids:
            problems.append(
                _('"{person}" has neither a room nor a place on the waiting list', person=person)
            )
    return problems
