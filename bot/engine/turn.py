"""One update being handled: what it captured, where the person stands, and how it ended."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.db.persistence import Step


@dataclass
class Call:
    """A Bot API call a handler made, held until the update's transaction commits."""

    endpoint: str
    data: dict[str, Any]


@dataclass
class Turn:
    """Everything the engine keeps about the update in hand, for its task only."""

    update: Update
    chat_id: int | None
    user_id: int | None
    steps: dict[str, Step] = field(default_factory=dict)
    changed_steps: dict[str, object | None] = field(default_factory=dict)
    user_data_before: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    error: BaseException | None = None
    forgotten: bool = False
    owner: asyncio.Task[Any] | None = None

    @classmethod
    def of(cls, update: Update) -> Turn:
        user = update.effective_user
        chat = update.effective_chat
        user_id = user.id if user else None
        chat_id = chat.id if chat else user_id
        return cls(update, chat_id, user_id)

    def state(self, conversation: str) -> object | None:
        if conversation in self.changed_steps:
            return self.changed_steps[conversation]
        step = self.steps.get(conversation)
        return step.state if step else None

    def set_state(self, conversation: str, state: object | None) -> None:
        self.changed_steps[conversation] = state

    def in_conversation(self) -> bool:
        """Whether the person is in some conversation once this update is handled."""
        if self.forgotten:
            return False
        names = set(self.steps) | set(self.changed_steps)
        return any(self.state(name) is not None for name in names)

    def remember_user_data(self, data: dict[str, Any]) -> None:
        self.user_data_before = deepcopy(data)

    @contextmanager
    def active(self) -> Iterator[Turn]:
        self.owner = asyncio.current_task()
        token = _turn.set(self)
        try:
            yield self
        finally:
            _turn.reset(token)


_turn: ContextVar[Turn | None] = ContextVar("passerelle_turn", default=None)


def current_turn() -> Turn | None:
    """The update this task is handling (tasks a handler starts are not part of it)."""
    turn = _turn.get()
    return turn if turn is not None and turn.owner is asyncio.current_task() else None
