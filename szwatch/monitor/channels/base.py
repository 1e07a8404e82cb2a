"""The result every channel returns; the delivery worker decides retries from it alone."""

from __future__ import annotations

from dataclasses import dataclass

SENT, RETRY, FAILED = "sent", "retry", "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent | retry | failed
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == SENT
