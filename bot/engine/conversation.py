"""A multi-step conversation whose step lives in the database, in the update's transaction.

It is declared like PTB's `ConversationHandler` — `entry_points`, a `states={…}` map of PTB
handlers, `fallbacks` — and its callbacks return the next state (or `END`, or None to stay),
so a flow reads top to bottom in one literal, as in PTB's `conversationbot.py`. What differs
is where the state lives: `ConversationHandler` keeps it in memory and persists it apart
from the handler's own writes, which lets a crash between the two lose or repeat an answer
and lets two processes disagree. Here the engine loads the person's steps when their update
arrives and writes them back in the same transaction as the handler's changes (see
`bot.engine.application`).

`guard` (e.g. the staff check) runs before every callback of the conversation, entry points
and fallbacks included, so a step added later cannot forget it. `reask` asks the current
question again: the last-resort handler (`bot.handlers.fallback`) calls it when a message or
a button no step takes arrives in the middle of the conversation, so nobody is left without
the question. An idle conversation is
closed by a periodic job that runs the `timeout` handlers with the person's last update;
`on_nudge` handlers run once before that, after `nudge_after` (a gentle "carry on?").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, CallbackContext

from bot.engine.turn import current_turn

END = -1
Context = CallbackContext[Any, Any, Any, Any]
Guard = Callable[[Update, Context], Awaitable[bool]]
AnyHandler = BaseHandler[Any, Any, Any]


@dataclass(frozen=True)
class Match:
    handler: AnyHandler
    check: object


async def _nothing(update: object, context: object) -> None:
    return None


class Conversation(BaseHandler[Update, Any, Any]):
    """See the module docstring. `name` keys the stored steps: never rename it."""

    def __init__(
        self,
        *,
        name: str,
        entry_points: Sequence[AnyHandler],
        states: dict[str, Sequence[AnyHandler]],
        fallbacks: Sequence[AnyHandler] = (),
        allow_reentry: bool = False,
        guard: Guard | None = None,
        timeout: timedelta | None = None,
        on_timeout: Sequence[AnyHandler] = (),
        reask: Callable[[Update, Context], Awaitable[object]] | None = None,
        nudge_after: timedelta | None = None,
        on_nudge: Sequence[AnyHandler] = (),
    ) -> None:
        super().__init__(_nothing)
        self.name = name
        self.entry_points = list(entry_points)
        self.states = {state: list(handlers) for state, handlers in states.items()}
        self.fallbacks = list(fallbacks)
        self.allow_reentry = allow_reentry
        self.guard = guard
        self.timeout = timeout
        self.on_timeout = list(on_timeout)
        self.reask = reask
        self.nudge_after = nudge_after if on_nudge else None
        self.on_nudge = list(on_nudge)

    def current(self) -> object | None:
        """The person's step in this conversation, for the update being handled."""
        turn = current_turn()
        return turn.state(self.name) if turn is not None else None

    @staticmethod
    def _first(handlers: Sequence[AnyHandler], update: object) -> Match | None:
        for handler in handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return Match(handler, check)
        return None

    def check_update(self, update: object) -> Match | None:
        turn = current_turn()
        if turn is None or not isinstance(update, Update) or turn.user_id is None:
            return None
        state = turn.state(self.name)
        if state is None or self.allow_reentry:
            found = self._first(self.entry_points, update)
            if found is not None or state is None:
                return found
        assert state is not None
        return self._first(self.states.get(str(state), []), update) or self._first(
            self.fallbacks, update
        )

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, Any, Any, Any, Any, Any],
        check_result: object,
        context: Context,
    ) -> object:
        turn = current_turn()
        assert turn is not None and isinstance(check_result, Match)
        if self.guard is not None and not await self.guard(update, context):
            return None
        match = check_result
        new_state = await match.handler.handle_update(update, application, match.check, context)
        if new_state == END:
            turn.set_state(self.name, None)
        elif new_state is not None:
            turn.set_state(self.name, new_state)
        elif turn.state(self.name) is not None:
            # Staying on the same step is still a sign of life: the idle clock starts again.
            turn.set_state(self.name, turn.state(self.name))
        return None
