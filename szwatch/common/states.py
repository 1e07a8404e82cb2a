"""The states the store keeps in plain-text columns, without SQLModel: the settings, the plain-SQL reads and the
ORM tables (``store.models``, which re-exports them) all name the same values.

Apart from the tables because importing ``store.models`` costs about half a second of CPU (SQLAlchemy's ORM and
every table class): a command that only needs a name such as ``DeliveryMode.DIGEST`` (the settings loader, a
read command) must not pay that to start.
"""

from __future__ import annotations

from enum import StrEnum

# The states below are StrEnums: each member *is* its string, so columns stay plain text (shown to users,
# read by SQL and JSON as they are, no migration) while code names them instead of repeating literals.


class IssueStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    NO_ISSUE = "no_issue"


class RunStatus(StrEnum):
    """How a crawl run stands or ended (``crawl_runs.status``)."""

    RUNNING = "running"
    OK = "ok"
    PROBLEMS = "problems"  # finished, with problems recorded
    UNREACHABLE = "unreachable"  # the site's entry could not be fetched at all
    INTERRUPTED = "interrupted"  # stopped early, or its worker died
    FAILED = "failed"  # the crawler process itself failed


class DeliveryStatus(StrEnum):
    """Where an alert stands for one channel (``deliveries.status``)."""

    PENDING = "pending"  # not sent yet, or to be retried
    SENT = "sent"
    FAILED = "failed"  # given up; ``alerts --status failed`` shows it, ``alerts --resend`` retries it


class DeliveryMode(StrEnum):
    """When a delivery goes out (``deliveries.mode``); routes in the alert settings choose it."""

    INSTANT = "instant"
    DIGEST = "digest"  # one message per detection run and channel
    DAILY = "daily"  # one message per day and channel, at the route's ``at`` (Asia/Shanghai)
