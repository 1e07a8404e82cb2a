"""The result every channel returns; the delivery worker decides retries from it alone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # try again after a backoff
    FAILED = "failed"  # will not get better by retrying: visible in `alerts --status failed`


SENT, RETRY, FAILED = Outcome.SENT, Outcome.RETRY, Outcome.FAILED


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == SENT
