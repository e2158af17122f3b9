"""Changes made from `/profil`: the same question as in the sign-up, then saved at once."""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.handlers import profile
from bot.handlers.common import Context, reply
from bot.handlers.signup_flow import END, PROFILE, Draft, ask, drop_draft, new_draft
from bot.handlers.signup_summary import photo_of
from bot.keyboards import unpack
from bot.services.profiles import update_profile


async def edit_from_profile(update: Update, context: Context) -> str | int:
    """A "change" button under the portrait card: the same question, then saved at once."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    own = await profile.profile_for_edit(services(context).database, update)
    allowed = profile.EDITABLE.get(own.role, ()) if own else ()
    if own is None or len(parts) != 2 or parts[1] not in [code for code, _label in allowed]:
        await query.answer(_("This button is not valid."), show_alert=True)
        return END
    await query.answer()
    draft = new_draft(context, role=own.role, mode=PROFILE, event_id=None)
    draft["answers"] = dict(own.answers)
    draft["consent_at"] = None
    if await ask(update, context, draft, parts[1]):
        return parts[1]
    drop_draft(context)
    return END


async def save_profile_change(update: Update, context: Context, draft: Draft) -> int:
    _ = translator_for(update)
    app = services(context)
    user = update.effective_user
    assert user is not None
    photo = await photo_of(context, draft)
    saved = await update_profile(app.database, user.id, draft["answers"], photo)
    drop_draft(context)
    if not saved:
        await reply(update, _("Your profile could not be found. Type /start."))
        return END
    await reply(update, _("Saved."))
    await profile.send_card(update, context)
    return END
