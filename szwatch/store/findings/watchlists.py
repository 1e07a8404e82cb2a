"""Which watchlist the store was last detected with: read by ``detect`` and ``web`` before they start, written by
every detection run (the CLI's and the daemon's alike)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from szwatch.store.models import WatchlistInUse, utcnow


@dataclass(frozen=True)
class Remembered:
    path: str  # "" when the store predates the record (only the digest is known)
    digest: str
    watches: int
    recorded_at: datetime


def remembered(session: Session) -> Remembered | None:
    row = session.get(WatchlistInUse, "detect")
    return Remembered(row.path, row.digest, row.watches, row.recorded_at) if row else None


def remember(session: Session, path: str, digest: str, watches: int) -> None:
    session.merge(WatchlistInUse(name="detect", path=path, digest=digest, watches=watches, recorded_at=utcnow()))
