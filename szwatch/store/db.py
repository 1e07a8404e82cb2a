"""Opening the database: engine, sessions and schema migrations. No queries live here.

SQLite is the embedded default (WAL, so the daemon can write while ``szwatch search`` reads);
PostgreSQL is chosen by giving a ``postgresql+psycopg://`` URL. Migrations run on every open, so a user
never has to remember an upgrade step.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, create_engine

from szwatch.store.errors import DatabaseUnavailableError

DEFAULT_URL = "sqlite:///szwatch.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(explicit: str | None = None) -> str:
    """``--db`` first, then ``SZWATCH_DB``, then a file in the working directory."""
    return explicit or os.environ.get("SZWATCH_DB") or DEFAULT_URL


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, parsed.database)
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnavailableError(url, "not a database URL (try sqlite:///file.db)") from exc


def _sqlite_engine(url: str, path: str | None) -> Engine:
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command  # imported here: the crawler's child process never migrates
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise DatabaseUnavailableError(str(engine.url), str(exc.orig).splitlines()[0]) from exc


def read_only_engine(url: str | None = None) -> Engine:
    """An engine whose connections cannot write (SQLite ``query_only``, PostgreSQL read-only transactions):
    for readers that must never change the store, whatever their code does (the web view)."""
    engine = make_engine(database_url(url))

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("PRAGMA query_only = ON")
        else:
            cur.execute("SET default_transaction_read_only = on")
            dbapi_conn.commit()
        cur.close()

    return engine


def open_store(url: str | None = None) -> Engine:
    """The one way commands get a database: resolved URL, engine, schema up to date."""
    engine = make_engine(database_url(url))
    migrate(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
