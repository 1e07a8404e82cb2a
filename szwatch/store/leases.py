"""A lease row: the one way two daemons on one database agree which of them runs.

Taking it is a single conditional UPDATE (or the INSERT of a row that did not exist), so on PostgreSQL two
machines racing for it cannot both win; a holder renews it while alive and loses it when it stops renewing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from szwatch.store.models import Lease, utcnow


def acquire(engine: Engine, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> Lease | None:
    """Take or renew the lease; None when someone else holds it and it has not expired."""
    now = now or utcnow()
    with Session(engine) as session:
        taken = session.exec(
            update(Lease)
            .where(col(Lease.name) == name, or_(col(Lease.holder) == holder, col(Lease.expires_at) < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if taken.rowcount == 1:
            session.commit()
            return session.get(Lease, name)
        if session.get(Lease, name) is not None:
            return None
        session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
        try:
            session.commit()
        except IntegrityError:  # another process inserted it first
            return None
        return session.get(Lease, name)


def release(engine: Engine, name: str, holder: str) -> None:
    with Session(engine) as session:
        lease = session.get(Lease, name)
        if lease is not None and lease.holder == holder:
            lease.expires_at = utcnow()
            session.add(lease)
            session.commit()


def record_info(engine: Engine, name: str, holder: str, info: dict[str, Any]) -> None:
    with Session(engine) as session:
        lease = session.get(Lease, name)
        if lease is not None and lease.holder == holder:
            lease.info = info
            session.add(lease)
            session.commit()


def current(engine: Engine, name: str) -> Lease | None:
    with Session(engine) as session:
        return session.get(Lease, name)
