"""An event's two invitation links, as text (easy to forward) and as QR codes (easy to print)."""

from __future__ import annotations

from telegram import Update

from bot.context import translator_for
from bot.handlers.common import Context, reply
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
    for caption, link in (
        (_("QR code for candidates — {name}", name=event.name), candidate_link),
        (_("QR code for employers — {name}", name=event.name), employer_link),
    ):
        await context.bot.send_photo(chat.id, photo=qr_png(link), caption=f"{caption}\n{link}")
