"""Many rows into one table in one ``executemany`` on the driver's cursor, inside the caller's transaction; and
many rows out of one (``rows_of_stories``), the same way.

A detection run writes tens of thousands of findings. SQLAlchemy's ``insert(table)`` with a list of dicts
builds every row's parameters from its compiled statement (a dict per row, a processor call per value): that
cost as much CPU as the database's own work. Here the statement is written once, rows come as tuples, and each
value goes through the same bind processor SQLAlchemy would apply (the dialect's: on SQLite a date becomes
its ISO text, a time its text, exactly as before), so the stored rows are the same, on SQLite and PostgreSQL.
Reading is the mirror image: SQLAlchemy wraps each row of a result in a ``Row`` and runs its processors; read on
the driver's cursor, only the columns that have a result processor go through it (on SQLite a date's text
becomes a date, an integer flag a bool), so the values are the same as SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection


class BulkInsert:
    """``INSERT INTO table (columns) VALUES (...)`` for rows given as tuples in ``columns``' order."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        self.conn, dialect = conn, conn.dialect
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns):
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((index, processor))
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
        names = ", ".join(quote(name) for name in columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(columns))})"

    def process(self, value: Any, index: int) -> Any:
        """One value as the driver takes it (for a value every row shares: processed once, not per row)."""
        for at, processor in self.processors:
            if at == index:
                return processor(value)
        return value

    def run(self, rows: Iterable[tuple[Any, ...]], raw: Sequence[int] | None = None) -> None:
        """Insert the rows; ``raw``: the column indexes whose values are processed already (see ``process``)."""
        processors = [(i, p) for i, p in self.processors if raw is None or i not in raw]
        rows = [_processed(row, processors) for row in rows] if processors else list(rows)
        if rows:
            self.conn.exec_driver_sql(self.sql, rows)


def _processed(row: Sequence[Any], processors: Sequence[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    values = list(row)
    for index, processor in processors:
        values[index] = processor(values[index])  # as SQLAlchemy does, None included
    return tuple(values)


def rows_of_stories(
    conn: Connection, table: Table, columns: Sequence[str], urls: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE story_url IN urls`` on the caller's connection (and transaction), the
    values as SQLAlchemy would give them (``columns``' result processors)."""
    if not urls:
        return []
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    sql = (f"SELECT {', '.join(quote(name) for name in columns)} FROM {quote(table.name)} "
           f"WHERE {quote('story_url')} IN ({', '.join([mark] * len(urls))})")  # fmt: skip
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, list(urls))
        rows = cursor.fetchall()
        processors = [
            (index, processor)
            for index, (name, described) in enumerate(zip(columns, cursor.description, strict=True))
            if (processor := table.c[name].type.dialect_impl(dialect).result_processor(dialect, described[1]))
        ]
    finally:
        cursor.close()
    return [_processed(row, processors) for row in rows] if processors else [tuple(row) for row in rows]
