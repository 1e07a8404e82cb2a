"""Which watchlist the store was last detected with: read by ``detect`` and ``web`` before they start, written by
every detection run (the CLI's and the daemon's alike)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from szwatch.store.plain import plain_of
from szwatch.store.reads.alerts import utc_moment

if TYPE_CHECKING:
    from sqlmodel import Session

    from szwatch.store.plain import Db


@dataclass(frozen=True)
class Remembered:
    path: str  # "" when the store predates the record (only the digest is known)
    digest: str
    watches: int
    recorded_at: datetime


def remembered(db: Db) -> Remembered | None:
    """Read with plain SQL: ``watch test`` asks it without the ORM (start-up)."""
    sql = "SELECT path, digest, watches, recorded_at FROM watchlist_in_use WHERE name = :name"
    rows = plain_of(db).run(sql, {"name": "detect"})
    return Remembered(rows[0][0] or "", rows[0][1], rows[0][2] or 0, utc_moment(rows[0][3])) if rows else None


def remember(session: Session, path: str, digest: str, watches: int) -> None:
    from szwatch.store.models import WatchlistInUse, utcnow  # here: reading what is remembered needs no ORM

    session.merge(WatchlistInUse(name="detect", path=path, digest=digest, watches=watches, recorded_at=utcnow()))
