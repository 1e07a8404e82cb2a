"""Push windows: the hours (Asia/Shanghai) in which a route's messages may go out, e.g. ``08:00-22:00``.

Outside its window a message is *held*, not dropped: its delivery waits until the window next opens and then
goes out with the others held, in the order they were raised. A window whose end is before its start runs past
midnight (``22:00-07:00``: nights only). Times are the day's wall clock in Shanghai, which has no daylight
saving, so a window is the same length every day.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from szwatch.common.clock import SHANGHAI

PATTERN = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)")


def parse(window: str) -> tuple[time, time] | None:
    """``(start, end)`` of ``"08:00-22:00"``; None when it is not a window (or opens and closes at once)."""
    found = PATTERN.fullmatch(window.replace(" ", ""))
    if not found:
        return None
    start = time(int(found[1]), int(found[2]))
    end = time(0, 0) if found[3] == "24" else time(int(found[3]), int(found[4]))
    if found[3] == "24" and found[4] != "00":
        return None
    return None if start == end and found[3] != "24" else (start, end)


def is_open(window: str | None, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``window`` (no window: always)."""
    bounds = parse(window) if window else None
    if bounds is None:
        return True
    start, end = bounds
    now = _local(moment).time()
    if start < end:
        return start <= now < end
    return now >= start or now < end  # past midnight, or "00:00-24:00"


def next_open(window: str | None, moment: datetime) -> datetime:
    """``moment`` itself if the window is open then, else the next time it opens (in UTC, as rows keep it)."""
    if is_open(window, moment):
        return moment
    start, _ = parse(window or "") or (time(0, 0), time(0, 0))
    local = _local(moment)
    opening = datetime.combine(local.date(), start, tzinfo=SHANGHAI)
    if opening <= local:
        opening += timedelta(days=1)
    return opening.astimezone(UTC)


def _local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI)
