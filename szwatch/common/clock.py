"""Asia/Shanghai: the paper's days and the users' clocks. The store keeps UTC; people see Shanghai time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_today(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def local_iso(moment: datetime | None) -> str | None:
    """A UTC time (naive ones, as SQLite returns them, are UTC) as Shanghai ISO text to the second."""
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def day_start_utc(day: date) -> datetime:
    """The first moment of a day in Asia/Shanghai, in UTC (``--since`` days are the reader's days)."""
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)
