"""Opening the database: engine, sessions and schema migrations. No queries live here.

SQLite is the embedded default (WAL, so the daemon can write while ``szwatch search`` reads);
PostgreSQL is chosen by giving a ``postgresql+psycopg://`` URL. Migrations run on every open, so a user
never has to remember an upgrade step.

SQLAlchemy is imported inside the functions that use it: ``plain_reader`` opens an embedded store that is
already at the newest migration with the standard library's sqlite3 alone, which is what lets
``szwatch search`` start in a fraction of a second (importing SQLAlchemy costs about 0.2 s).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from szwatch.store.errors import DatabaseUnavailableError, NewerStoreError
from szwatch.store.plain import AlchemyPlain, Plain, SqlitePlain

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

DEFAULT_URL = "sqlite:///szwatch.db"
BACKENDS = ("sqlite", "postgresql")
MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_SECONDS = 30  # how long a writer waits for another process's write to end before "database is locked"
# Keys of PostgreSQL advisory locks (any bigint; these spell "szwatch" and what they guard).
SCHEMA_LOCK = 0x737A7761_74636801
RUNS_LOCK = 0x737A7761_74636802


def database_url(explicit: str | None = None) -> str:
    """``--db`` first, then ``SZWATCH_DB``, then a file in the working directory."""
    return explicit or os.environ.get("SZWATCH_DB") or DEFAULT_URL


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailableError(url, "not a database URL (try sqlite:///file.db)") from exc
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:  # another driver would fail later with a missing module or an unknown dialect
        raise DatabaseUnavailableError(
            parsed.render_as_string(), f"szwatch stores into SQLite or PostgreSQL, not {backend!r} "
            "(sqlite:///file.db or postgresql+psycopg://user:password@host/db)"
        )  # fmt: skip
    try:
        if backend == "sqlite":
            return _sqlite_engine(url, parsed.database)
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailableError(parsed.render_as_string(), f"no driver for it ({exc})") from exc


def _sqlite_engine(url: str, path: str | None) -> Engine:
    from sqlalchemy import create_engine, event

    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")  # first: WAL on a new file may wait
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def head_revision() -> str:
    """The newest migration's id, read from the files (no Alembic import): the one no other file builds on."""
    revisions, parents = _revisions()
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else ""


def _revisions() -> tuple[set[str], set[str]]:
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if found := re.search(r'^revision\s*=\s*"([^"]+)"', source, re.M):
            revisions.add(found[1])
        parents.update(re.findall(r'^down_revision\s*=\s*"([^"]+)"', source, re.M))
    return revisions, parents


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None  # a new database: no version table yet


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent).

    A database already at the head is recognised with one query, without importing Alembic: that keeps
    every read command's start-up short (Alembic and its environment cost about a third of a second).
    Two commands started at once on a new database must not both create the tables ("table … already
    exists"): the upgrade runs under an exclusive lock, and whoever gets it second finds the schema done.
    """
    from sqlalchemy.exc import DatabaseError  # OperationalError is one; so is "file is not a database"

    try:
        current = current_revision(engine)
        if (head := head_revision()) and current == head:
            return
        if current and current not in _revisions()[0]:  # Alembic would fail with 85 lines about it
            raise NewerStoreError(str(engine.url), current)
        from alembic import command  # imported here: the crawler's child process never migrates
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            lock(conn, SCHEMA_LOCK)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DatabaseError as exc:
        raise DatabaseUnavailableError(str(engine.url), str(exc.orig).splitlines()[0]) from exc


def lock(conn: Connection | Session, key: int) -> None:
    """Serialise this transaction with every other one taking the same lock, until it ends.

    Must be the transaction's first statement. SQLite has one lock for the whole file: ``BEGIN IMMEDIATE``
    takes it now (waiting up to the busy timeout) rather than at the first write, so a check-then-write
    (is anyone crawling these dates? if not, start) cannot interleave with another process's. PostgreSQL
    gets a transaction-scoped advisory lock on ``key``.
    """
    from sqlalchemy import text
    from sqlalchemy.engine import Connection

    connection = conn if isinstance(conn, Connection) else conn.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def read_only_engine(url: str | None = None) -> Engine:
    """An engine whose connections cannot write (SQLite ``query_only``, PostgreSQL read-only transactions):
    for readers that must never change the store, whatever their code does (the web view)."""
    from sqlalchemy import event

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
def plain_reader(url: str | None = None) -> Iterator[Plain]:
    """A connection for reading with plain SQL (``store.plain``), for short read commands.

    An embedded store already at the newest migration is read through sqlite3 (``query_only``: this path can
    never write); anything else (PostgreSQL, a new file, a schema to upgrade, an unusual URL) is opened the
    usual way, migrations and all.
    """
    resolved = database_url(url)
    path = _plain_sqlite_path(resolved)
    conn = _sqlite_at_head(path) if path else None
    if conn is not None:
        try:
            yield SqlitePlain(conn)
        finally:
            conn.close()
        return
    engine = open_store(resolved)
    try:
        with engine.connect() as connection:
            yield AlchemyPlain(connection)
    finally:
        engine.dispose()


def _plain_sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///file`` URL with nothing else in it (no driver, options or memory database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix) :]
    return path if path and path != ":memory:" else None


def _sqlite_at_head(path: str) -> sqlite3.Connection | None:
    if not Path(path).is_file() or not (head := head_revision()):
        return None
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA query_only = ON")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.execute("BEGIN")  # one snapshot for every read that follows: a count and its page agree
    except sqlite3.Error:
        row = None  # not a store yet (or not a database): the usual way says what is wrong
    if row is not None and row[0] == head:
        return conn
    conn.close()
    return None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    from sqlmodel import Session  # here, not at the top: opening a database must not need the ORM models

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
