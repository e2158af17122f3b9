"""PTB persistence in our own database: conversations and user data survive a restart.

Pickle files would live beside the database and drift from it; here a sign-up's step and its
draft answers are rows like any other. Values must be JSON-friendly (str, int, float, bool,
None, lists and dicts of those). `bot.app` flushes after every update so a `kill -9` loses
at most the update being handled, which Telegram then delivers again.
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

from sqlalchemy import delete, or_, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.db.models import PersistedState
from bot.db.session import Database

USER_DATA = "user_data"
CONVERSATION_PREFIX = "conversation:"


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Stores conversations and user_data; chat, bot and callback data are not used."""

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=3600,
        )
        self.database = database
        self._user_data: dict[int, dict[str, Any]] | None = None
        self._conversations: dict[str, ConversationDict] = {}

    async def _rows(self, namespace: str) -> list[PersistedState]:
        await self.database.migrate()
        async with self.database.session() as session:
            result = await session.scalars(
                select(PersistedState).where(PersistedState.namespace == namespace)
            )
            return list(result)

    async def _put(self, namespace: str, key: str, data: object) -> None:
        async with self.database.session() as session:
            row = await session.get(PersistedState, (namespace, key))
            if data is None:
                if row is not None:
                    await session.delete(row)
                return
            if row is None:
                session.add(PersistedState(namespace=namespace, key=key, data=data))
            else:
                row.data = data

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        if self._user_data is None:
            self._user_data = {
                int(row.key): dict(row.data)  # type: ignore[call-overload]
                for row in await self._rows(USER_DATA)
            }
        return deepcopy(self._user_data)

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        if name not in self._conversations:
            rows = await self._rows(CONVERSATION_PREFIX + name)
            self._conversations[name] = {
                tuple(json.loads(row.key)): row.data  # type: ignore[misc]
                for row in rows
            }
        return dict(self._conversations[name])

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        known = self._conversations.setdefault(name, {})
        if known.get(key) == new_state and (new_state is not None or key not in known):
            return
        if new_state is None:
            known.pop(key, None)
        else:
            known[key] = new_state
        await self._put(CONVERSATION_PREFIX + name, json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if self._user_data is None:
            self._user_data = {}
        if self._user_data.get(user_id) == data:
            return
        self._user_data[user_id] = deepcopy(data)
        await self._put(USER_DATA, str(user_id), data or None)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        if self._user_data is not None:
            self._user_data.pop(user_id, None)
        await self._put(USER_DATA, str(user_id), None)

    async def forget_person(self, user_id: int) -> None:
        """Erase a person's draft answers and open conversations (right to erasure)."""
        await self.drop_user_data(user_id)
        async with self.database.session() as session:
            await session.execute(
                delete(PersistedState).where(
                    PersistedState.namespace.like(CONVERSATION_PREFIX + "%"),
                    or_(
                        PersistedState.key == f"[{user_id}]",
                        PersistedState.key.like(f"%, {user_id}]"),
                    ),
                )
            )
        for conversation in self._conversations.values():
            for key in [key for key in conversation if key and key[-1] == user_id]:
                conversation.pop(key, None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
