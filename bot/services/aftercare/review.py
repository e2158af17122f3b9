"""Staff review of employers' cards, and their delivery to candidates (being written)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def card_completed(session: AsyncSession, feedback_id: int) -> None:
    """An employer finished a card: queue it for the candidate now (event without review)
    or leave it for staff to review. Called in the employer's unit of work."""
