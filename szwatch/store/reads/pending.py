"""What every pending delivery waits for, read with plain SQL: ``szwatch status`` says it, and the paused
channels and routes the delivery worker holds back are read here for it too.

Plain SQL so that ``status`` starts without SQLAlchemy or the ORM models (``db.plain_reader``); the rows carry the
ORM's attribute names (``reads.alerts.DeliveryRow``, ``reads.runs.DetectRunRow``), so the reasons read as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from szwatch.common.clock import local_iso
from szwatch.common.states import DeliveryMode, DeliveryStatus
from szwatch.store.plain import plain_of
from szwatch.store.reads.alerts import DELIVERY_COLUMNS, DeliveryRow, delivery_row
from szwatch.store.reads.runs import DetectRunRow, unfinished_detect_runs

if TYPE_CHECKING:
    from szwatch.store.plain import Db

CHANNEL = "channel"  # ``pauses.kind`` of a paused channel (its name) …
ROUTE = "route"  # … and of a paused route (``route_name``)
DUE_NOW = "due now (szwatch deliver, or the daemon, sends it)"


def route_name(channel: str, mode: str) -> str:
    """A route's name for pausing: its channel and mode (a delivery row knows both, and nothing more)."""
    return f"{channel}/{mode}"


def paused_channels(db: Db) -> list[str]:
    return [name for kind, name in _pauses(db) if kind == CHANNEL]


def paused_routes(db: Db) -> list[tuple[str, str]]:
    """(channel, mode) of each paused route."""
    found = [name.rpartition("/") for kind, name in _pauses(db) if kind == ROUTE]
    return [(channel, mode) for channel, _, mode in found]


def _pauses(db: Db) -> list[tuple[str, str]]:
    return [(kind, name) for kind, name in plain_of(db).run("SELECT kind, name FROM pauses ORDER BY kind, name")]


def why_pending(db: Db, now: datetime | None = None, blocked: Mapping[str, str] | None = None) -> list[tuple[int, str]]:
    """Pending deliveries grouped by what they wait for, so that none is pending without a stated reason.
    ``blocked``: channels that cannot send now (a secret not in the environment), and why."""
    now, plain = now or datetime.now(UTC), plain_of(db)
    sql = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = :pending ORDER BY id"
    rows = [delivery_row(row) for row in plain.run(sql, {"pending": DeliveryStatus.PENDING.value})]
    running: dict[int | None, DetectRunRow] = {r.id: r for r in unfinished_detect_runs(plain)}
    paused, held = set(paused_channels(plain)), set(paused_routes(plain))
    reasons: dict[str, int] = {}
    for row in rows:
        reason = _pending_reason(row, running, now)
        if row.channel in paused or (row.channel, row.mode) in held:
            what = "channel" if row.channel in paused else f"route {route_name(row.channel, row.mode)}"
            reason = f"{row.channel}: {what} paused (web view); held, sent in order when resumed"
        elif blocked and row.channel in blocked and reason.endswith(DUE_NOW):
            reason = f"{row.channel}: cannot send: {blocked[row.channel]}"
        reasons[reason] = reasons.get(reason, 0) + 1
    return sorted(((n, reason) for reason, n in reasons.items()), key=lambda item: (-item[0], item[1]))


def _pending_reason(row: DeliveryRow, running: dict[int | None, DetectRunRow], now: datetime) -> str:
    if row.claimed_until and row.claimed_until >= now:
        return f"{row.channel}: being sent by {row.claimed_by}"
    if row.mode == DeliveryMode.DIGEST and row.batch in running:
        run = running[row.batch]
        return (f"{row.channel}: digest of detection run #{run.id}, still running (pid {run.worker_pid} on "
                f"{run.worker_host}, last heartbeat {local_iso(run.heartbeat_at) or 'none'})")  # fmt: skip
    if row.next_attempt_at > now:
        if row.mode == DeliveryMode.DAILY and not row.attempts:
            return f"{row.channel}: daily digest, due {local_iso(row.next_attempt_at)}"
        if not row.last_error:  # held, not failed: outside the route's push window, or the chat's interval
            held = f"push window {row.push_window}" if row.push_window else "the chat's minimum interval"
            return f"{row.channel}: held by {held}, due {local_iso(row.next_attempt_at)}"
        why = f"after: {(row.last_error or '')[:120]}" if row.last_error else "(backoff)"
        return f"{row.channel}: retried from {local_iso(row.next_attempt_at)} {why}"
    return f"{row.channel}: {DUE_NOW}"
