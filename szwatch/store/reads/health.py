"""The store's facts behind a health check, read with plain SQL: newest issues, delivery counts, the daemon's lease.

``app/health.py`` judges them for ``szwatch status``, the daemon's health job and the web view's status page alike;
``szwatch sources`` reads each paper's newest issues here too. Plain SQL so that ``status`` and ``sources`` start
without SQLAlchemy or the ORM models (``db.plain_reader``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from szwatch.common.states import IssueStatus
from szwatch.store.findings.finding_reads import iso
from szwatch.store.plain import plain_of
from szwatch.store.reads.alerts import json_value, utc_moment

if TYPE_CHECKING:
    from szwatch.store.plain import Db


@dataclass(frozen=True)
class LeaseRow:
    """One row of ``leases``, as the ORM's ``Lease`` names its attributes."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
    info: dict[str, Any]


def newest_issue(db: Db, complete: bool = False, paper: str | None = None, url_prefix: str | None = None) -> str | None:
    """The newest issue's date (ISO) stored at all (an issue found missing does not count), or the newest complete
    one; of one paper, or of one of its sites (the issue's URL starts with ``url_prefix``)."""
    params: dict[str, Any] = {"status": (IssueStatus.COMPLETE if complete else IssueStatus.NO_ISSUE).value}
    where = ["status = :status" if complete else "status != :status"]
    if paper is not None:
        where, params["paper"] = [*where, "source = :paper"], paper
    if url_prefix is not None:  # no LIKE: a URL's own % and _ must not be wildcards
        where = [*where, "substr(url, 1, :length) = :prefix"]
        params.update(prefix=url_prefix, length=len(url_prefix))
    [(day,)] = plain_of(db).run(f"SELECT max(issue_date) FROM issues WHERE {' AND '.join(where)}", params)
    return iso(day)


def issue_status_on(db: Db, day: date) -> str | None:
    """The status of a day's issue (of any paper: the first stored), or None when none is stored."""
    plain = plain_of(db)
    value = day.isoformat() if plain.dialect == "sqlite" else day  # SQLite keeps dates as ISO text
    rows = plain.run("SELECT status FROM issues WHERE issue_date = :day ORDER BY id LIMIT 1", {"day": value})
    return rows[0][0] if rows else None


def delivery_counts(db: Db) -> dict[str, int]:
    """How many deliveries stand in each state (pending, sent, failed)."""
    rows = plain_of(db).run("SELECT status, count(*) FROM deliveries GROUP BY status")
    return {status: int(count) for status, count in rows}


def lease(db: Db, name: str) -> LeaseRow | None:
    """Who holds the lease ``name`` (the daemon's), until when, with the facts its holder recorded."""
    rows = plain_of(db).run("SELECT name, holder, acquired_at, expires_at, info FROM leases WHERE name = :name",
                            {"name": name})  # fmt: skip
    if not rows:
        return None
    name_, holder, acquired, expires, info = rows[0]
    return LeaseRow(name_, holder, utc_moment(acquired), utc_moment(expires), json_value(info) or {})
