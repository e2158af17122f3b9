"""`/plan` for staff: build the rooms, look, adjust, re-plan, publish; export and import JSON.

Every button is re-checked on the server (`staff_only`) and carries the plan id, so a stale
or doubled press is answered in French and changes nothing. The buttons are the `Plan*`
families of `bot.callbacks`, all read by `on_plan_button`.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import (
    PLAN,
    PLAN_FAMILIES,
    AttendanceEvent,
    CallbackData,
    PlanAction,
    PlanEvent,
    PlanMove,
    PlanPick,
    PlanSwap,
    button,
    parse_any,
    prefix_pattern,
)
from bot.context import services, translator_for
from bot.handlers.common import Context, reply, staff_only
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.outbox import wake
from bot.services import plan_exchange, plan_input, plan_store, publication
from bot.services.convocations import french_hour, french_moment, round_times
from bot.services.plan_input import PlanningError
from bot.services.plan_store import PlanView
from matching.model import Room

log = logging.getLogger(__name__)

IMPORT_KEY = "plan_import_event"
DOCUMENT_GROUP = 20
MAX_TEXT = 3900

ERRORS = {
    "unknown_event": N_("This event no longer exists. Type /plan."),
    "unknown_plan": N_("This plan no longer exists. Type /plan."),
    "stale_plan": N_("A newer plan exists for this event. Type /plan to see it."),
    "already_published": N_("This plan is already published. Nothing was sent twice."),
    "nothing_published": N_("No plan of this event is published yet. Type /plan."),
    "no_candidates": N_("Nobody to plan yet: no candidate is registered for this event."),
    "bad_instance": N_("The event data cannot be planned:"),
    "broken_rule": N_("Refused, a rule would be broken:"),
    "not_json": N_("This file is not a JSON file I can read."),
    "not_plan": N_("This file does not contain a plan (a list of rounds and rooms)."),
    "unknown_round": N_("This round does not exist."),
}


def error_text(_: Translator, error: PlanningError) -> str:
    text = _(ERRORS.get(error.code, N_("This button is no longer valid. Type /plan.")))
    if error.problems:
        text += "\n" + "\n".join(f"• {html.escape(p)}" for p in error.problems[:8])
    return text


# -- plan display ---------------------------------------------------------------------------


def room_line(_: Translator, view: PlanView, room: Room) -> str:
    site = view.site_names.get(room.site, room.site)
    employers = ", ".join(view.name(k) for k in room.employers)
    candidates = ", ".join(view.name(k) for k in room.candidates)
    people = " · ".join(part for part in (employers, candidates) if part)
    return _(
        "• {site}, room {room}: {people}",
        site=site,
        room=room.room,
        people=people,
    )


def plan_text(_: Translator, view: PlanView) -> str:
    state = _("published") if view.published_at else _("draft, nothing sent yet")
    lines = [
        _(
            "<b>Plan {version} – {event}</b> ({state})",
            version=view.version,
            event=view.event_name,
            state=state,
        )
    ]
    for round_plan in view.plan.rounds:
        start, _end = round_times(view.event, round_plan.round)
        lines.append("")
        lines.append(
            _(
                "<b>Round {number}</b> – {hour}",
                number=round_plan.round,
                hour=french_hour(_, start, view.event.timezone),
            )
        )
        for room in sorted(round_plan.rooms, key=lambda r: (r.site, r.room)):
            lines.append(room_line(_, view, room))
    waiting = [w for w in view.plan.waiting if w.id not in view.instance.withdrawn]
    if waiting:
        lines += ["", _("<b>Waiting list</b>")]
        lines += [_("• {name}: {reason}", name=view.name(w.id), reason=w.reason) for w in waiting]
    if view.plan.met_again:  # pairs of an earlier edition no plan could keep apart
        lines += [
            "",
            _.n(
                "⚠️ {count} pair already met at an earlier edition (no other plan seats "
                "everyone): {names}",
                "⚠️ {count} pairs already met at an earlier edition (no other plan seats "
                "everyone): {names}",
                len(view.plan.met_again),
                names="; ".join(f"{view.name(a)} – {view.name(b)}" for a, b in view.plan.met_again),
            ),
        ]
    worst = view.plan.worst_candidate
    if worst:
        lines += [
            "",
            _(
                "Worst-off candidate: {name} (score {score})",
                name=view.name(str(worst["id"])),
                score=_.decimal(float(worst["score"]), 2),
            ),
        ]
    if view.source == "replan":
        changed = [view.name(k) for k in view.changed]
        lines += [
            "",
            _.n(
                "{count} convocation changes: {names}",
                "{count} convocations change: {names}",
                len(changed),
                names=", ".join(changed) or "–",
            ),
        ]
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def plan_keyboard(_: Translator, view: PlanView) -> InlineKeyboardMarkup:
    pid, eid = view.id, view.event_id
    rows: list[list[InlineKeyboardButton]] = []
    if view.published_at is None:
        rows.append(
            [
                button(_.plain("Publish"), PlanAction("pub", pid)),
                button(_.plain("Recalculate"), PlanAction("again", pid)),
            ]
        )
        rows.append(
            [
                button(_.plain("Adjust"), PlanAction("adj", pid)),
                button(_.plain("Cancel"), PlanAction("drop", pid)),
            ]
        )
    else:
        rows.append(
            [
                button(_.plain("Adjust"), PlanAction("adj", pid)),
                button(_.plain("Re-plan with few changes"), PlanEvent("replan", eid)),
            ]
        )
    rows.append(
        [
            button(_.plain("Export JSON"), PlanEvent("exp", eid)),
            button(_.plain("Import a plan"), PlanEvent("imp", eid)),
        ]
    )
    rows.append([button(_.plain("Attendance"), AttendanceEvent("ev", eid))])
    return InlineKeyboardMarkup(rows)


async def show_plan(update: Update, context: Context, view: PlanView) -> None:
    """The picture of the rooms (when the engine can draw it), then the text and buttons."""
    _ = translator_for(update)
    chat = update.effective_chat
    assert chat is not None
    try:
        picture = await asyncio.to_thread(plan_store.plan_picture, view)  # seconds on big plans
        await context.bot.send_photo(chat.id, photo=picture)
    except Exception:  # the picture helps; the text below says it all anyway
        log.info("No picture for plan %s", view.id, exc_info=True)
    await context.bot.send_message(chat.id, plan_text(_, view), reply_markup=plan_keyboard(_, view))


# -- entry ----------------------------------------------------------------------------------


def event_label(_: Translator, event: plan_input.EventChoice) -> str:
    return f"{event.name} – {french_moment(_, event.starts_at, event.timezone)}"[:60]


@staff_only
async def plan_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await plan_input.open_events(services(context).database)
    if not events:
        await reply(update, _("No event to plan yet. Create one with /evenement."))
        return
    await reply(
        update,
        _("Which event do you want to plan?"),
        reply_markup=column([button(event_label(_, e), PlanEvent("ev", e.id)) for e in events]),
    )


async def _event_chosen(update: Update, context: Context, event_id: int) -> None:
    _ = translator_for(update)
    database = services(context).database
    published = await plan_store.latest_published(database, event_id)
    if published is not None:
        await show_plan(update, context, published)
        return
    await reply(update, _("I am building the rooms, one moment…"))
    user = update.effective_user
    assert user is not None
    await show_plan(update, context, await plan_store.make_plan(database, event_id, user.id))


# -- adjust ---------------------------------------------------------------------------------


def _seat_label(_: Translator, view: PlanView, round_number: int, key: str, room: int) -> str:
    label = _.plain("{name} (room {room})", name=view.name(key), room=room)
    if view.event.rounds > 1:
        label = _.plain("R{number} · {label}", number=round_number, label=label)
    return label[:60]


def _people_keyboard(_: Translator, view: PlanView) -> InlineKeyboardMarkup:
    buttons = [
        button(_seat_label(_, view, rp.round, key, room.room), PlanPick(view.id, rp.round, key))
        for rp in view.plan.rounds
        for room in sorted(rp.rooms, key=lambda r: (r.site, r.room))
        for key in (*room.employers, *room.candidates)
    ]
    if view.event.rounds == 1:
        buttons += [
            button(
                _.plain("{name} (waiting)", name=view.name(w.id))[:60], PlanPick(view.id, 1, w.id)
            )
            for w in view.plan.waiting
            if w.id not in view.instance.withdrawn
        ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([button(_.plain("Back"), PlanAction("show", view.id))])
    return InlineKeyboardMarkup(rows)


async def _targets_keyboard(
    _: Translator, context: Context, view: PlanView, round_number: int, key: str
) -> InlineKeyboardMarkup:
    round_plan = next(rp for rp in view.plan.rounds if rp.round == round_number)
    is_employer = key in {e.id for e in view.instance.employers}
    mine = next((r for r in round_plan.rooms if key in (*r.employers, *r.candidates)), None)
    rows: list[list[InlineKeyboardButton]] = []
    for room in sorted(round_plan.rooms, key=lambda r: (r.site, r.room)):
        if room is mine:
            continue
        site = view.site_names.get(room.site, room.site)
        rows.append(
            [
                button(
                    _.plain("→ {site}, room {room}", site=site, room=room.room)[:60],
                    PlanMove(view.id, round_number, key, room.site, room.room),
                )
            ]
        )
    sites = await plan_store.site_rooms(services(context).database, view.event_id)
    for site, name, count in sites:
        used = {r.room for r in round_plan.rooms if r.site == site}
        free = next((n for n in range(1, count + 1) if n not in used), None)
        if free is not None:
            rows.append(
                [
                    button(
                        _.plain("→ {site}, room {room} (empty)", site=name, room=free)[:60],
                        PlanMove(view.id, round_number, key, site, free),
                    )
                ]
            )
    same_role = [
        other
        for room in round_plan.rooms
        if room is not mine
        for other in (room.employers if is_employer else room.candidates)
    ]
    if mine is None:
        same_role = [
            other
            for room in round_plan.rooms
            for other in (room.employers if is_employer else room.candidates)
        ]
    elif view.event.rounds == 1:
        pool = (
            {e.id for e in view.instance.employers}
            if is_employer
            else {c.id for c in view.instance.candidates}
        )
        same_role += [
            w.id for w in view.plan.waiting if w.id in pool and w.id not in view.instance.withdrawn
        ]
    rows += [
        [
            button(
                _.plain("⇄ swap with {name}", name=view.name(other))[:60],
                PlanSwap(view.id, round_number, key, other),
            )
        ]
        for other in same_role
    ]
    rows.append([button(_.plain("Back"), PlanAction("show", view.id))])
    return InlineKeyboardMarkup(rows)


# -- callbacks ------------------------------------------------------------------------------


@staff_only
async def on_plan_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    _ = translator_for(update)
    data = parse_any(query.data, PLAN_FAMILIES)
    await query.answer()
    try:
        if data is None:
            raise ValueError(query.data)
        await _act(update, context, data)
    except PlanningError as error:
        await reply(update, error_text(_, error))
    except (ValueError, IndexError, StopIteration):
        await reply(update, _("This button is no longer valid. Type /plan."))


async def _act(update: Update, context: Context, data: CallbackData) -> None:
    match data:
        case PlanEvent(action=action, event_id=event_id):
            await EVENT_ACTIONS[action](update, context, event_id)
        case PlanAction(action=action, plan_id=plan_id):
            await PLAN_ACTIONS[action](update, context, plan_id)
        case PlanPick():
            await _act_who(update, context, data)
        case PlanMove():
            await _act_move(update, context, data)
        case PlanSwap():
            await _act_swap(update, context, data)
        case _:
            raise ValueError(data)


async def _act_show(update: Update, context: Context, plan_id: int) -> None:
    view = await plan_store.load_plan(services(context).database, plan_id)
    if view is None:
        raise PlanningError("unknown_plan")
    await show_plan(update, context, view)


async def _act_again(update: Update, context: Context, plan_id: int) -> None:
    _ = translator_for(update)
    database = services(context).database
    view = await plan_store.load_plan(database, plan_id)
    if view is None or not view.is_latest:
        raise PlanningError("stale_plan" if view else "unknown_plan")
    await reply(update, _("I am building another plan…"))
    new = await plan_store.recalculate(database, view.id, update.effective_user.id)  # type: ignore[union-attr]
    await show_plan(update, context, new)


async def _act_replan(update: Update, context: Context, event_id: int) -> None:
    _ = translator_for(update)
    await reply(update, _("I am re-planning with as few changes as possible…"))
    new = await plan_store.replan_event(
        services(context).database,
        event_id,
        update.effective_user.id,  # type: ignore[union-attr]
    )
    await show_plan(update, context, new)


async def _act_publish(update: Update, context: Context, plan_id: int) -> None:
    _ = translator_for(update)
    query = update.callback_query
    assert query is not None
    result = await publication.publish(
        services(context).database,
        plan_id,
        update.effective_user.id,  # type: ignore[union-attr]
    )
    await _wake_outbox(context)
    await query.edit_message_reply_markup(reply_markup=None)
    lines = [
        _.n(
            "Published: {count} convocation is on its way.",
            "Published: {count} convocations are on their way.",
            result.convocations,
        )
    ]
    if result.waiting:
        lines.append(
            _.n(
                "{count} person is told they are on the waiting list.",
                "{count} people are told they are on the waiting list.",
                result.waiting,
            )
        )
    if not result.first:
        lines.append(
            _.n(
                "{count} person keeps the same convocation and gets nothing new.",
                "{count} people keep the same convocation and get nothing new.",
                result.unchanged,
            )
        )
    keyboard = column([button(_.plain("Attendance"), AttendanceEvent("ev", result.event_id))])
    await reply(update, "\n".join(lines), reply_markup=keyboard)


async def _wake_outbox(context: Context) -> None:
    wake(context.application)


async def _act_drop(update: Update, context: Context, plan_id: int) -> None:
    _ = translator_for(update)
    query = update.callback_query
    assert query is not None
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, _("Plan set aside. Nothing was sent. Type /plan to start again."))


async def _act_adjust(update: Update, context: Context, plan_id: int) -> None:
    _ = translator_for(update)
    view = await plan_store.load_plan(services(context).database, plan_id)
    if view is None or not view.is_latest:
        raise PlanningError("stale_plan" if view else "unknown_plan")
    await reply(update, _("Who do you want to move?"), reply_markup=_people_keyboard(_, view))


async def _act_who(update: Update, context: Context, data: PlanPick) -> None:
    _ = translator_for(update)
    round_number, key = data.round, data.key
    view = await plan_store.load_plan(services(context).database, data.plan_id)
    if view is None or not view.is_latest:
        raise PlanningError("stale_plan" if view else "unknown_plan")
    if key not in view.names:
        raise ValueError(key)
    await reply(
        update,
        _("Where should {name} go (round {number})?", name=view.name(key), number=round_number),
        reply_markup=await _targets_keyboard(_, context, view, round_number, key),
    )


async def _act_move(update: Update, context: Context, data: PlanMove) -> None:
    view = await plan_store.move_person(
        services(context).database,
        data.plan_id,
        data.round,
        data.key,
        data.site,
        data.room,
        update.effective_user.id,  # type: ignore[union-attr]
    )
    await _adjusted(update, context, view)


async def _act_swap(update: Update, context: Context, data: PlanSwap) -> None:
    view = await plan_store.swap_people(
        services(context).database,
        data.plan_id,
        data.round,
        data.key,
        data.other,
        update.effective_user.id,  # type: ignore[union-attr]
    )
    await _adjusted(update, context, view)


async def _adjusted(update: Update, context: Context, view: PlanView) -> None:
    _ = translator_for(update)
    await reply(update, _("Done: the rules are respected."))
    await show_plan(update, context, view)


async def _act_export(update: Update, context: Context, event_id: int) -> None:
    _ = translator_for(update)
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    filename, body = await plan_exchange.export_event(services(context).database, event_id)
    await context.bot.send_document(
        update.effective_chat.id,
        document=InputFile(io.BytesIO(body), filename=filename),
        caption=_(
            "The event for the matching engine (JSON). It holds staff-only data: "
            "keep it inside the team."
        ),
    )


async def _act_import(update: Update, context: Context, event_id: int) -> None:
    _ = translator_for(update)
    assert context.user_data is not None
    context.user_data[IMPORT_KEY] = event_id
    await reply(
        update,
        _(
            "Send me the plan as a JSON file. I will check every rule before "
            "keeping it. Nothing is sent before you publish."
        ),
    )


async def on_document(update: Update, context: Context) -> None:
    """A JSON plan sent after "Import a plan"; any other document is left to other features."""
    if not context.user_data or IMPORT_KEY not in context.user_data:
        return
    await _import_document(update, context)


@staff_only
async def _import_document(update: Update, context: Context) -> None:
    _ = translator_for(update)
    message = update.effective_message
    assert message is not None and message.document is not None and context.user_data is not None
    event_id = int(context.user_data[IMPORT_KEY])
    if (message.document.file_size or 0) > 2_000_000:
        await reply(update, _("This file is too large for a plan."))
        return
    file = await message.document.get_file()
    raw = bytes(await file.download_as_bytearray())
    try:
        view = await plan_exchange.import_plan(
            services(context).database,
            event_id,
            raw,
            update.effective_user.id,  # type: ignore[union-attr]
        )
    except PlanningError as error:
        await reply(update, error_text(_, error) + "\n" + _("Send a corrected file, or /annuler."))
        return
    context.user_data.pop(IMPORT_KEY, None)
    await reply(update, _("Plan imported and checked: every rule is respected."))
    await show_plan(update, context, view)


Act = Callable[[Update, Context, int], Awaitable[None]]
EVENT_ACTIONS: dict[str, Act] = {
    "ev": _event_chosen,
    "replan": _act_replan,
    "exp": _act_export,
    "imp": _act_import,
}
PLAN_ACTIONS: dict[str, Act] = {
    "show": _act_show,
    "again": _act_again,
    "pub": _act_publish,
    "drop": _act_drop,
    "adj": _act_adjust,
}


def register(application: Application) -> None:
    application.add_handler(CommandHandler("plan", plan_command))
    application.add_handler(CallbackQueryHandler(on_plan_button, pattern=prefix_pattern(PLAN)))
    application.add_handler(
        MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, on_document),
        group=DOCUMENT_GROUP,
    )
