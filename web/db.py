"""Engines and sessions. SQLite (WAL) by default, PostgreSQL by URL; the schema comes from alembic."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

from web import side_effects
from web.domain import audit


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the bridge write while the web app reads; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// URLs would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@event.listens_for(OrmSession, "after_commit")
def _committed(_session) -> None:
    # A handler that commits part of its work itself (a login's counted guess, an upload's bookkeeping)
    # cannot be run again from the start: that part would be done twice (web/api/routing.py).
    side_effects.happened("committed part of its work")


@contextmanager
def session_scope(engine: Engine, actor: audit.Actor | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. `actor` is who the audit log blames."""
    with Session(engine, expire_on_commit=False) as session:
        session.info["actor"] = actor
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def dialect_insert(db):
    """The INSERT construct of the session's database, which has ON CONFLICT (SQLite and PostgreSQL)."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
