"""Declarative base and portable column types shared by every model.

Constraint names follow a convention so Alembic migrations behave the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always gives them back aware.

    SQLite drops the offset; without this, comparisons between loaded and fresh values fail.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(dialect: str) -> Callable[[Table], Any]:
    """`INSERT` with `ON CONFLICT` clauses for this dialect (SQLite's and PostgreSQL's share
    one spelling in SQLAlchemy but are two classes).

    Statements on an update's path are built once per dialect (`functools.cache`) and take
    their values as parameters: building a SQLAlchemy statement costs more CPU than
    running it on SQLite.
    """
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements (no ORM bookkeeping on hot paths)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found
