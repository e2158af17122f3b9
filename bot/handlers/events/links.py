"""An event's two invitation links, as text (easy to forward) and as QR codes (easy to print)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date
from telegram import Update

from bot.context import translator_for
from bot.handlers.common import Context, reply
from bot.i18n import N_
from bot.services.events import EventView
from bot.services.invitations import deep_link, qr_png


async def send_invitations(update: Update, context: Context, event: EventView) -> None:
    """Both deep links in one message, then one QR code per link with the link under it."""
    _ = translator_for(update)
    chat = update.effective_chat
    assert chat is not None
    username = context.bot.username
    candidate_link = deep_link(username, event.candidate_code)
    employer_link = deep_link(username, event.employer_code)
    await reply(
        update,
        _("Invitation links for “{name}”:", name=event.name)
        + "\n\n"
        + _("For candidates: {link}", link=candidate_link)
        + "\n"
        + _("For employers: {link}", link=employer_link)
        + "\n\n"
        + _("Share them, or print the QR codes below."),
        disable_web_page_preview=True,
    )
    day = format_date(event.starts_at.astimezone(ZoneInfo(event.timezone)), "d MMMM", _.language)
    for caption, link, audience in (
        (_("QR code for candidates — {name}", name=event.name), candidate_link, N_("Candidates")),
        (_("QR code for employers — {name}", name=event.name), employer_link, N_("Employers")),
    ):
        printed = _.plain(
            "{audience} — {name}, {day}", audience=_.plain(audience), name=event.name, day=day
        )
        photo = qr_png(link, caption=printed)
        await context.bot.send_photo(chat.id, photo=photo, caption=f"{caption}\n{link}")
