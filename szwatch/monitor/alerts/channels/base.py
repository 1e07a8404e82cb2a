"""The result every channel returns; the delivery worker decides retries from it alone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # try again after a backoff
    FAILED = "failed"  # will not get better by retrying: visible in `alerts --status failed`
    DEFER = "defer"  # not tried: the receiver's rate limit has no room yet; not an attempt, nothing is lost


SENT, RETRY, FAILED, DEFER = Outcome.SENT, Outcome.RETRY, Outcome.FAILED, Outcome.DEFER


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    retry_after: float = 0.0  # seconds the receiver asked us to wait (a rate limit); the backoff is at least this

    @property
    def ok(self) -> bool:
        return self.outcome == SENT
