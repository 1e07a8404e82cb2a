"""Two halves of one piece of work at once, on two connections.

Ranking a frequent term's newest matches on PostgreSQL reads each match's tsvector back out of TOAST (about
12 µs each, 2,000 of them: most of a relevance search), and one server process reads them one after the
other. Two server processes, one per half, halve that wait on a machine with two cores or more. The CPU spent
is the same: the gain is in how long one search takes, not in how many searches a busy server can answer.

The first half never waits for the second's connection: a thread asks the engine's pool for one, and if the
first half is done before the second has started (no connection to spare, or a thread slow to start), this
connection does the second half too. So a search cannot block on a pool that its own caller is exhausting
(every request of the web view holds one connection).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import TypeVar

from loguru import logger

from szwatch.store.plain import Plain

T = TypeVar("T")
_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="szwatch-beside")


def both(conn: Plain, first: Callable[[Plain], T], second: Callable[[Plain], T]) -> tuple[T, T]:
    """``(first(conn), second(other))`` with ``other`` a second connection working at the same time, or
    ``second(conn)`` afterwards when no second connection started in time."""
    claim = threading.Lock()
    taken: list[str] = []  # who does the second half: "beside" or "here", whoever claims it first

    def beside() -> T | None:
        with ExitStack() as stack:
            try:
                other = stack.enter_context(conn.sibling())
            except Exception as exc:  # no second connection (the server is full, the pool closed): not an error
                logger.debug("search: no second connection ({error}); one does both halves", error=exc)
                return None
            with claim:
                if other is None or taken:
                    return None
                taken.append("beside")
            return second(other)
        return None  # unreachable: ExitStack swallows nothing (mypy cannot tell)

    pending = _THREADS.submit(beside)
    done = first(conn)
    with claim:
        if not taken:
            taken.append("here")
    if taken[0] == "here":
        return done, second(conn)
    result = pending.result()
    assert result is not None  # claimed "beside": it ran ``second``
    return done, result
