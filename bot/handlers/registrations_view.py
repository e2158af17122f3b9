"""`/inscrits`: staff see who signed up for an event, open a portrait card, export a CSV.

When the event's seat rule is the team's choice (`bot.services.admission`), staff also set
the candidates' order here, with ⬆ ⬇ buttons.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import (
    AdmissionMove,
    AdmissionOrder,
    SignUpCard,
    SignUpsCsv,
    SignUpsEvent,
    SignUpsPage,
    button,
)
from bot.context import services, translator_for
from bot.dates import format_short
from bot.db.models.events import RegistrationStatus
from bot.db.models.people import Role
from bot.handlers.common import Context, reply, staff_only
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.services import admission
from bot.services.events import list_events
from bot.services.registrations_view import (
    SignUp,
    SignUpOverview,
    find_signup,
    portrait_image,
    signups_csv,
)
from bot.services.registrations_view import signups as load_signups

PAGE_SIZE = 8

ROLE_LABELS = {Role.CANDIDATE: N_("candidate"), Role.EMPLOYER: N_("employer")}
ROLE_TITLES = {Role.CANDIDATE: N_("Candidates"), Role.EMPLOYER: N_("Employers")}
STATUS_LABELS = {
    RegistrationStatus.REGISTERED: N_("registered"),
    RegistrationStatus.CONFIRMED: N_("attendance confirmed"),
    RegistrationStatus.WAITING: N_("waiting list"),
    RegistrationStatus.WITHDRAWN: N_("withdrawn"),
    RegistrationStatus.INELIGIBLE: N_("not eligible"),
}
CSV_HEADERS = (
    N_("Role"),
    N_("Status"),
    N_("First name"),
    N_("Last name"),
    N_("Site"),
    N_("Sectors"),
    N_("Target job / company"),
    N_("Programme"),
    N_("Constraints"),
    N_("Registered at"),
)


def _role(_: Translator, role: str) -> str:
    return _.plain(ROLE_LABELS[Role(role)]) if role in ROLE_LABELS else role


def _status(_: Translator, status: str) -> str:
    if status in STATUS_LABELS:
        return _.plain(STATUS_LABELS[RegistrationStatus(status)])
    return status


def _full_name(person: SignUp) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part)


async def _refuse(update: Update, message: str) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(message, show_alert=True)


# --------------------------------------------------------------------------- texts


def _counts_text(_: Translator, overview: SignUpOverview) -> str:
    lines = [_("<b>Sign-ups — {name}</b>", name=overview.event_name)]
    by_role = overview.count_by_role_and_status()
    for role in (Role.CANDIDATE, Role.EMPLOYER):
        counts: Counter[str] = by_role.get(role, Counter())
        details = ", ".join(
            f"{counts[status]} {_status(_, status)}" for status in STATUS_LABELS if counts[status]
        )
        total = sum(counts.values())
        lines.append(
            _("{role}: {total}", role=_.plain(ROLE_TITLES[role]), total=total)
            + (f" ({html.escape(details)})" if details else "")
        )
    by_site = overview.active_by_site()
    remote = overview.remote_employers()
    if by_site or remote:
        lines.append("")
        lines.append(_("By site (registered or confirmed):"))
        for site, counts in by_site.items():
            lines.append(
                _(
                    "• {site}: {candidates} candidates, {employers} employers",
                    site=site or _.plain("no site chosen"),
                    candidates=counts.get(Role.CANDIDATE, 0),
                    employers=counts.get(Role.EMPLOYER, 0),
                )
            )
        if remote:
            lines.append(
                _.n("• By video: {count} employer", "• By video: {count} employers", remote)
            )
        if any(p.role == Role.EMPLOYER and len(p.sites) > 1 for p in overview.people):
            lines.append(_("An employer who accepts several sites counts in each of them."))
    if not overview.people:
        lines.append("")
        lines.append(_("Nobody has signed up yet."))
    return "\n".join(lines)


def _page_count(overview: SignUpOverview) -> int:
    return max(1, -(-len(overview.people) // PAGE_SIZE))


def _page(_: Translator, overview: SignUpOverview, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the list: a numbered line and a card button per person, then navigation."""
    pages = _page_count(overview)
    page = min(max(page, 0), pages - 1)
    start = page * PAGE_SIZE
    people = overview.people[start : start + PAGE_SIZE]
    lines = [_("Page {page} of {pages}", page=page + 1, pages=pages)]
    keyboard: list[list[InlineKeyboardButton]] = []
    for number, person in enumerate(people, start=start + 1):
        site = ", ".join(person.sites)
        lines.append(
            f"{number}. "
            + _(
                "{name} — {role}, {status}",
                name=_full_name(person),
                role=_role(_, person.role),
                status=_status(_, person.status),
            )
            + (f" — {html.escape(site)}" if site else "")
        )
        label = f"{number}. {_full_name(person)}"[:40]
        keyboard.append([button(label, SignUpCard(person.registration_id))])
    navigation = []
    if page > 0:
        navigation.append(button("◀", SignUpsPage(overview.event_id, page - 1)))
    if page < pages - 1:
        navigation.append(button("▶", SignUpsPage(overview.event_id, page + 1)))
    if navigation:
        keyboard.append(navigation)
    csv_button = button(_.plain("Download the list (CSV)"), SignUpsCsv(overview.event_id))
    keyboard.append([csv_button])
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def _card_text(_: Translator, person: SignUp) -> str:
    lines = [
        f"<b>{html.escape(_full_name(person))}</b>",
        _(
            "{role}, {status}",
            role=_role(_, person.role),
            status=_status(_, person.status),
        ),
    ]
    if person.sites:
        lines.append(_("Site: {site}", site=", ".join(person.sites)))
    elif person.remote:
        lines.append(_("Site: {site}", site=_.plain("Remote")))
    if person.sectors:
        lines.append(_("Sectors: {sectors}", sectors=", ".join(person.sectors)))
    if person.target_or_company:
        if person.role == Role.CANDIDATE:
            lines.append(_("Target job: {value}", value=person.target_or_company))
        else:
            lines.append(_("Company: {value}", value=person.target_or_company))
    if person.programme:
        lines.append(_("Programme: {programme}", programme=person.programme))
    if person.constraints:
        lines.append(_("Constraints (staff only): {constraints}", constraints=person.constraints))
    return "\n".join(lines)


# --------------------------------------------------------------------------- handlers


@staff_only
async def inscrits_command(update: Update, context: Context) -> None:
    """`/inscrits`: pick the event."""
    _ = translator_for(update)
    events = await list_events(services(context).database)
    if not events:
        await reply(update, _("No event yet. Type /evenement to create one."))
        return
    choices = [
        button(
            f"{format_short(event.starts_at, event.timezone)[:5]} · {event.name}"[:60],
            SignUpsEvent(event.id),
        )
        for event in events
    ]
    await reply(update, _("Which event?"), reply_markup=column(choices))


async def _overview_or_refuse(
    update: Update, context: Context, event_id: int | None
) -> SignUpOverview | None:
    _ = translator_for(update)
    if event_id is None:
        await _refuse(update, _.plain("This button is no longer valid."))
        return None
    overview = await load_signups(services(context).database, event_id)
    if overview is None:
        await _refuse(update, _.plain("This event no longer exists."))
    return overview


@staff_only
async def on_event(update: Update, context: Context) -> None:
    """The counts, then the first page of the list."""
    query = update.callback_query
    assert query is not None
    data = SignUpsEvent.parse(query.data)
    overview = await _overview_or_refuse(update, context, data.event_id if data else None)
    if overview is None:
        return
    await query.answer()
    _ = translator_for(update)
    rule = await admission.rule_of(services(context).database, overview.event_id)
    counts = (
        _counts_text(_, overview)
        + "\n\n"
        + _("Who gets a seat: {rule}.", rule=_.plain(admission.RULE_LABELS[rule]))
    )
    if rule == "staff" and any(p.role == Role.CANDIDATE for p in overview.people):
        order = button(_.plain("Set the candidates' order"), AdmissionOrder(overview.event_id, 0))
        await reply(update, counts, reply_markup=column([order]))
    else:
        await reply(update, counts)
    if overview.people:
        text, markup = _page(_, overview, 0)
        await reply(update, text, reply_markup=markup)


def _order_page(
    _: Translator, event_id: int, order: list[admission.Ranked], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The team's order: a numbered line and ⬆ ⬇ buttons per candidate, then navigation."""
    pages = max(1, -(-len(order) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    start = page * PAGE_SIZE
    lines = [_("<b>Order of the seats</b> (1 gets a seat first)")]
    keyboard: list[list[InlineKeyboardButton]] = []
    for number, ranked in enumerate(order[start : start + PAGE_SIZE], start=start + 1):
        lines.append(f"{number}. {html.escape(ranked.name)}")
        keyboard.append(
            [
                button(
                    f"⬆ {ranked.name}"[:40], AdmissionMove(event_id, ranked.registration_id, "up")
                ),
                button(
                    f"⬇ {ranked.name}"[:40], AdmissionMove(event_id, ranked.registration_id, "down")
                ),
            ]
        )
    if pages > 1:
        lines.append(_("Page {page} of {pages}", page=page + 1, pages=pages))
        navigation = []
        if page > 0:
            navigation.append(button("◀", AdmissionOrder(event_id, page - 1)))
        if page < pages - 1:
            navigation.append(button("▶", AdmissionOrder(event_id, page + 1)))
        keyboard.append(navigation)
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


@staff_only
async def on_order(update: Update, context: Context) -> None:
    """The team's order of the candidates, as a new message (or another page of it)."""
    query = update.callback_query
    assert query is not None
    data = AdmissionOrder.parse(query.data)
    overview = await _overview_or_refuse(update, context, data.event_id if data else None)
    if overview is None or data is None:
        return
    await query.answer()
    _ = translator_for(update)
    order = await admission.staff_order(services(context).database, data.event_id)
    if not order:
        await reply(update, _("No candidate is registered."))
        return
    text, markup = _order_page(_, data.event_id, order, data.page)
    if data.page == 0:
        await reply(update, text, reply_markup=markup)
    else:
        await query.edit_message_text(text, reply_markup=markup)


@staff_only
async def on_move(update: Update, context: Context) -> None:
    """⬆ ⬇: the candidate swaps places with their neighbour; the same message shows it."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = AdmissionMove.parse(query.data)
    if data is None:
        await _refuse(update, _.plain("This button is no longer valid."))
        return
    moved = await admission.move(
        services(context).database, data.event_id, data.registration_id, data.direction
    )
    if moved is None:
        await _refuse(update, _.plain("This person is no longer registered."))
        return
    order, changed = moved
    if not changed:
        await query.answer(_.plain("Nothing changed: it was already so."))
        return
    await query.answer(_.plain("✅ Saved."))
    ids = [ranked.registration_id for ranked in order]
    page = ids.index(data.registration_id) // PAGE_SIZE
    text, markup = _order_page(_, data.event_id, order, page)
    await query.edit_message_text(text, reply_markup=markup)


@staff_only
async def on_page(update: Update, context: Context) -> None:
    """◀ ▶: the same message shows another page."""
    query = update.callback_query
    assert query is not None
    data = SignUpsPage.parse(query.data)
    overview = await _overview_or_refuse(update, context, data.event_id if data else None)
    if overview is None or data is None:
        return
    await query.answer()
    _ = translator_for(update)
    text, markup = _page(_, overview, data.page)
    await query.edit_message_text(text, reply_markup=markup)


@staff_only
async def on_card(update: Update, context: Context) -> None:
    """The person's portrait card when the card module exists, a text summary otherwise."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = SignUpCard.parse(query.data)
    app = services(context)
    person = await find_signup(app.database, data.registration_id) if data else None
    if person is None:
        await _refuse(update, _.plain("This person is no longer registered."))
        return
    await query.answer()
    image = await portrait_image(app.database, person.person_id)
    text = _card_text(_, person)
    chat = update.effective_chat
    assert chat is not None
    if image is None:
        await reply(update, text)
    else:
        await context.bot.send_photo(chat.id, photo=image, caption=text[:1000])


@staff_only
async def on_csv(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    data = SignUpsCsv.parse(query.data)
    overview = await _overview_or_refuse(update, context, data.event_id if data else None)
    if overview is None:
        return
    await query.answer()
    _ = translator_for(update)
    content = signups_csv(
        overview,
        headers=[_.plain(header) for header in CSV_HEADERS],
        role_labels={role: _role(_, role) for role in ROLE_LABELS},
        status_labels={status: _status(_, status) for status in STATUS_LABELS},
        remote_label=_.plain("Remote"),
    )
    chat = update.effective_chat
    assert chat is not None
    filename = f"inscrits-{overview.event_id}-{date.today().isoformat()}.csv"
    await context.bot.send_document(
        chat.id,
        document=InputFile(content, filename=filename),
        caption=_.n(
            "{count} person in the list.", "{count} people in the list.", len(overview.people)
        ),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("inscrits", inscrits_command))
    application.add_handler(CallbackQueryHandler(on_event, pattern=SignUpsEvent.pattern()))
    application.add_handler(CallbackQueryHandler(on_page, pattern=SignUpsPage.pattern()))
    application.add_handler(CallbackQueryHandler(on_card, pattern=SignUpCard.pattern()))
    application.add_handler(CallbackQueryHandler(on_csv, pattern=SignUpsCsv.pattern()))
    application.add_handler(CallbackQueryHandler(on_order, pattern=AdmissionOrder.pattern()))
    application.add_handler(CallbackQueryHandler(on_move, pattern=AdmissionMove.pattern()))
