"""Claims on deliveries: the one way several delivery workers on one database send each alert once.

A worker claims one message's rows (one instant delivery, or every row of one digest) before sending, for
longer than the send can take; it re-checks (and extends) the claim just before sending and records the outcome
only on rows it still holds. Claiming is a conditional UPDATE on rows nobody holds: on SQLite inside
``BEGIN IMMEDIATE`` (one writer at a time, so the check and the write cannot interleave), on PostgreSQL after
``SELECT … FOR UPDATE SKIP LOCKED`` (two workers pass each other by instead of queueing on the same rows).

A claim whose worker died is taken over: at once when the worker ran on this host and its pid is gone, else
when ``claimed_until`` passes. The message then goes out again with the same idempotency key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, update
from sqlmodel import Session, col, select

from szwatch.store.models import AlertDelivery, DeliveryMode, DeliveryStatus, DetectRun
from szwatch.store.runs import pid_alive, this_host

INSTANT_WINDOW = 8  # instant rows looked at per claim: a few, so that a worker passes over rows being claimed


def claimant() -> str:
    """This worker's name in ``claimed_by``: host and pid (so a dead one is recognised) and a token (so two
    passes of one process are told apart)."""
    return f"{this_host()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def begin_write(session: Session) -> None:
    """On SQLite take the write lock now (``BEGIN IMMEDIATE``): a read followed by a write in one transaction
    would otherwise fail with "database is locked" whenever another worker wrote in between."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dead_claimants(session: Session, now: datetime) -> list[str]:
    """Workers of this host that hold live claims but whose process is gone (``kill -9``, a crash)."""
    prefix = f"{this_host()[:40]}:"
    held = session.exec(
        select(AlertDelivery.claimed_by)
        .where(col(AlertDelivery.claimed_by).startswith(prefix), col(AlertDelivery.claimed_until) >= now)
        .distinct()
    ).all()
    return [name for name in held if name and not _alive(name)]


def _alive(name: str) -> bool:
    try:
        return pid_alive(int(name.split(":")[1]))
    except (IndexError, ValueError):
        return True  # not a name we wrote: wait for its claim to lapse


def claimable(now: datetime, dead: Sequence[str]) -> ColumnElement[bool]:
    """Rows due now that nobody holds (or whose holder is gone)."""
    free = or_(
        col(AlertDelivery.claimed_until).is_(None),
        col(AlertDelivery.claimed_until) < now,
        col(AlertDelivery.claimed_by).in_(list(dead)),
    )
    return and_(col(AlertDelivery.status) == DeliveryStatus.PENDING, col(AlertDelivery.next_attempt_at) <= now, free)


def candidates(
    session: Session, now: datetime, dead: Sequence[str], skip: Sequence[int], blocked: Sequence[str] = (),
    held: Sequence[tuple[str, str]] = (),
) -> list[AlertDelivery]:  # fmt: skip
    """Claimable rows, in sending order: a few instant ones (rows another worker is claiming right now are
    passed over), every row of each digest whose detection run has ended, every row of each due daily digest.
    Rows of ``blocked`` channels (that cannot send now, or are paused) and of ``held`` (channel, mode) routes
    are left where they are, and left out in SQL so that they never take the place of rows that can go."""
    due = (
        claimable(now, dead),
        col(AlertDelivery.id).not_in(list(skip)),
        col(AlertDelivery.channel).not_in(list(blocked)),
        *(not_(and_(col(AlertDelivery.channel) == channel, col(AlertDelivery.mode) == mode)) for channel, mode in held),
    )
    instant = (
        select(AlertDelivery)
        .where(*due, AlertDelivery.mode == DeliveryMode.INSTANT)
        .order_by(col(AlertDelivery.id))
        .limit(INSTANT_WINDOW)
        .with_for_update(skip_locked=True, of=AlertDelivery)
    )
    ended = select(DetectRun.id).where(col(DetectRun.finished_at).is_not(None))
    digest = select(AlertDelivery).where(
        *due, AlertDelivery.mode == DeliveryMode.DIGEST, col(AlertDelivery.batch).in_(ended)
    )
    daily = select(AlertDelivery).where(*due, AlertDelivery.mode == DeliveryMode.DAILY)
    rows = [*session.exec(instant).all(), *session.exec(digest.order_by(col(AlertDelivery.id))).all()]
    return rows + list(session.exec(daily.order_by(col(AlertDelivery.batch), col(AlertDelivery.id))).all())


def claim(
    session: Session, ids: Sequence[int], worker: str, now: datetime, until: datetime, dead: Sequence[str]
) -> bool:
    """Claim all of ``ids`` for ``worker`` until ``until``, or none of them (False: someone else holds one)."""
    ids = sorted(ids)
    held = session.exec(
        select(AlertDelivery.id)
        .where(col(AlertDelivery.id).in_(ids), claimable(now, dead))
        .order_by(col(AlertDelivery.id))
        .with_for_update(skip_locked=True)
    ).all()
    if len(held) != len(ids):
        return False
    taken = _update(session, ids, claimable(now, dead), claimed_by=worker, claimed_until=until)
    return taken == len(ids)


def extend(session: Session, ids: Sequence[int], worker: str, until: datetime) -> bool:
    """Re-check a claim just before sending and push its end further; False if any row is no longer ours."""
    mine = and_(col(AlertDelivery.claimed_by) == worker, col(AlertDelivery.status) == DeliveryStatus.PENDING)
    return _update(session, sorted(ids), mine, claimed_until=until) == len(ids)


def held_rows(session: Session, ids: Sequence[int], worker: str) -> list[AlertDelivery]:
    """The rows of ``ids`` that ``worker`` still holds, locked for the outcome to be written."""
    stmt = (
        select(AlertDelivery)
        .where(col(AlertDelivery.id).in_(list(ids)), col(AlertDelivery.claimed_by) == worker)
        .order_by(col(AlertDelivery.id))
        .with_for_update()
    )
    return list(session.exec(stmt).all())


def _update(session: Session, ids: Sequence[int], condition: ColumnElement[bool], **values: Any) -> int:
    stmt = update(AlertDelivery).where(col(AlertDelivery.id).in_(list(ids)), condition).values(**values)
    return int(session.exec(stmt).rowcount)
