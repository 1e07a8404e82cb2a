"""Plain SQL text with ``:named`` parameters, on a SQLAlchemy connection or on the standard library's sqlite3.

Why two kinds: ``szwatch search`` must start in a fraction of a second, and importing SQLAlchemy alone takes
about 0.2 s of it. The search index is read with SQL text, which both kinds of connection speak; this is the
small surface they share (run a statement, get rows back). The embedded SQLite store, when its schema is
already at the newest migration, is then read through sqlite3 directly (``db.plain_reader``); every other
case, and every writer, goes through SQLAlchemy as before. Nothing here imports SQLAlchemy at module level.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]


class Plain:
    """A connection that runs SQL text; a list of parameter sets runs the statement once for each."""

    @property
    def dialect(self) -> str:
        raise NotImplementedError

    def run(self, statement: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    @contextmanager
    def sibling(self) -> Iterator[Plain | None]:
        """Another connection to the same database, in a transaction of its own, for a statement run beside one
        on this connection (``beside.both``); None where there is no other (the sqlite3 reader)."""
        yield None


class AlchemyPlain(Plain):
    """A SQLAlchemy connection (of a session, or bare): the statement joins the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def run(self, statement: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        result = self.conn.execute(text(statement), params if params is not None else {})
        return [tuple(row) for row in result.all()] if result.returns_rows else []  # all(): fetched at once

    @contextmanager
    def sibling(self) -> Iterator[Plain | None]:
        with self.conn.engine.connect() as other:  # from the engine's pool: warm in a long-lived process
            yield AlchemyPlain(other)


class SqlitePlain(Plain):
    """A stdlib sqlite3 connection, opened by ``db.plain_reader`` to read only (``query_only``, one snapshot
    until it is closed)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        return "sqlite"

    def run(self, statement: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        if params is not None and not isinstance(params, Mapping):
            self.conn.executemany(statement, params)
            return []
        return self.conn.execute(statement, params or {}).fetchall()


def plain_of(db: Db) -> Plain:
    """A ``Plain`` for any of the things callers hold. A session is flushed first: plain SQL must see what the
    ORM has pending, as an ORM query would."""
    if isinstance(db, Plain):
        return db
    from sqlalchemy.engine import Connection  # only here: the sqlite3 reader never needs SQLAlchemy

    if isinstance(db, Connection):
        return AlchemyPlain(db)
    db.flush()
    return AlchemyPlain(db.connection())


@contextmanager
def plain_on(db: Db | Engine) -> Iterator[Plain]:
    """``plain_of`` for an engine too (a connection of its own for the block): readers shared by a command that
    holds a plain reader and a daemon or web view that hold an engine or a session."""
    if isinstance(db, Plain):
        yield db
        return
    from sqlalchemy.engine import Engine  # only here, as in ``plain_of``

    if isinstance(db, Engine):
        with db.connect() as conn:
            yield AlchemyPlain(conn)
        return
    yield plain_of(db)


def in_list(name: str, values: Iterable[Any], params: dict[str, Any]) -> str:
    """``(:name0, :name1, …)`` with the values put in ``params``: an IN list both kinds of connection accept."""
    keys = []
    for i, value in enumerate(values):
        params[f"{name}{i}"] = value
        keys.append(f":{name}{i}")
    return "(" + ", ".join(keys) + ")" if keys else "(NULL)"


if TYPE_CHECKING:
    from typing import TypeAlias

    Db: TypeAlias = Plain | Connection | Session  # what callers of the search index hold
