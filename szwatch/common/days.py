"""Sets of days written as spans: a 50-year crawl is one pair of dates, not 18,000 of them.

A crawl request travels to the crawler's child process on its command line and is kept in the run's row; as a
list of every date, a long range overflowed the command line ("Argument list too long").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any


def to_spans(days: Iterable[date]) -> list[list[str]]:
    """Consecutive days folded into ``[first, last]`` pairs (ISO dates), in order."""
    spans: list[list[date]] = []
    for day in sorted(set(days)):
        if spans and day - spans[-1][1] == timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [[first.isoformat(), last.isoformat()] for first, last in spans]


def from_spans(spans: Iterable[Iterable[str]]) -> tuple[date, ...]:
    days: list[date] = []
    for first, last in (tuple(span) for span in spans):
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            days.append(day)
            day += timedelta(days=1)
    return tuple(days)


def request_days(request: dict[str, Any]) -> tuple[date, ...]:
    """The days a stored crawl request asked for (``spans``; runs written before spans have ``dates``)."""
    if "spans" in request:
        return from_spans(request["spans"])
    return tuple(date.fromisoformat(d) for d in request.get("dates", []))
