"""What people do to a running monitor from the web view, kept in the store so every process sees it.

The audit trail (who, when, what), paused channels and routes (the delivery worker holds their deliveries),
and "check now" requests (the daemon takes them at its next tick). Reads and writes only: deciding what a
pause means for sending is the delivery worker's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from szwatch.store.models import AuditEntry, CheckRequest, Pause, utcnow
from szwatch.store.plain import plain_of
from szwatch.store.reads import pending

# The kinds of pause and a route's name live with the plain reads of pending deliveries (``status`` reads them
# without the ORM); they stay importable from here.
from szwatch.store.reads.pending import CHANNEL as CHANNEL
from szwatch.store.reads.pending import ROUTE as ROUTE
from szwatch.store.reads.pending import route_name as route_name


def audit(session: Session, actor: str, action: str, target: str, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor[:64], action=action[:32], target=target[:255], detail=detail))


def audit_trail(session: Session, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if target is not None:
        stmt = stmt.where(AuditEntry.target == target)
    return list(session.exec(stmt).all())


def pause(session: Session, kind: str, name: str, actor: str) -> bool:
    """Pause a channel or route; False when it was paused already (nothing changes then)."""
    if session.get(Pause, (kind, name)) is not None:
        return False
    session.add(Pause(kind=kind, name=name, paused_by=actor[:64]))
    return True


def unpause(session: Session, kind: str, name: str) -> bool:
    row = session.get(Pause, (kind, name))
    if row is None:
        return False
    session.delete(row)
    return True


def pauses(session: Session) -> list[Pause]:
    return list(session.exec(select(Pause).order_by(col(Pause.kind), col(Pause.name))).all())


def paused_channels(session: Session) -> list[str]:
    return pending.paused_channels(plain_of(session))


def paused_routes(session: Session) -> list[tuple[str, str]]:
    """(channel, mode) of each paused route (read in plain SQL, as ``status`` reads them)."""
    return pending.paused_routes(plain_of(session))


def request_check(session: Session, source: str, actor: str) -> CheckRequest:
    """Ask for a check of ``source``; one request still waiting is enough, so a second click adds nothing."""
    waiting = session.exec(
        select(CheckRequest).where(CheckRequest.source == source, col(CheckRequest.taken_at).is_(None))
    ).first()
    if waiting is not None:
        return waiting
    row = CheckRequest(source=source, requested_by=actor[:64])
    session.add(row)
    session.flush()
    return row


def waiting_checks(session: Session) -> list[CheckRequest]:
    stmt = select(CheckRequest).where(col(CheckRequest.taken_at).is_(None)).order_by(col(CheckRequest.id))
    return list(session.exec(stmt).all())


def take_checks(session: Session, sources: Sequence[str], now: datetime | None = None) -> list[str]:
    """Mark the waiting requests for ``sources`` as taken and return their sources, oldest first, once each."""
    taken: list[str] = []
    for row in waiting_checks(session):
        if row.source in sources:
            row.taken_at = now or utcnow()
            session.add(row)
            if row.source not in taken:
                taken.append(row.source)
    return taken
