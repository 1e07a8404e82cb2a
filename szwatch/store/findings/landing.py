"""Which articles the daemon's land job must read: a floor below which every article has been seen by a detection.

Article ids are handed out when a row is inserted, not when its transaction commits: two writers (Scrapyd nodes on
one PostgreSQL, the daemon's own crawl) can commit id 100 after id 101, and a watermark at "the newest id seen"
would step over 100 for good. So the floor trails: a detection that starts at time *s* sees every article whose
transaction ended by then, which is every id handed out before *s* − ``LATE_COMMIT`` (a write transaction lasts
about a second: a batch of articles); the floor moves up to the newest id seen at a detection that long ago. The
stories above the floor are read again by each pass, which costs a look at their digests: detection skips a story
it has seen with the same text, and an alert that exists already is not raised again.

Whether a pass is due at all stays cheap: the count and the newest id of the articles above the floor, which a late
commit changes even when it does not change the newest id.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from szwatch.store.models import Article

LATE_COMMIT = timedelta(minutes=2)  # longer than any write transaction of a crawl; the floor trails by this much


def articles_above(session: Session, after_id: int) -> tuple[int, int]:
    """How many articles have an id above ``after_id``, and the newest id: a late commit of a lower id changes the
    count, though not the newest id."""
    count, newest = session.exec(select(func.count(), func.max(Article.id)).where(col(Article.id) > after_id)).one()
    return int(count or 0), int(newest or 0)


@dataclass
class LandingFloor:
    """The land job's floor (``after``: every article at or below it has been read by a detection)."""

    after: int | None = None  # None until the daemon's first look: what is stored then is the catch-up's
    seen: tuple[int, int] | None = None  # (count, newest id) above the floor before the last pass read
    marks: deque[tuple[datetime, int]] = field(default_factory=deque)  # (when a pass started, the newest id then)

    def due(self, above: tuple[int, int]) -> bool:
        """Whether articles above the floor have landed since the last pass (a late commit counts)."""
        return above[0] > 0 and above != self.seen

    def target(self, started: datetime) -> int:
        """Where a pass starting now may leave the floor: the newest id seen at a pass ``LATE_COMMIT`` ago or
        earlier (every id at or below it has landed by now, so this pass reads them all)."""
        floor = self.after or 0
        while self.marks and self.marks[0][0] <= started - LATE_COMMIT:
            floor = max(floor, self.marks.popleft()[1])
        return floor

    def passed(self, started: datetime, newest: int, target: int, above: tuple[int, int]) -> None:
        """A detection that started at ``started`` (the newest id then: ``newest``) read everything landed above
        the floor; the floor moves to ``target``, above which ``above`` was the state before it read."""
        self.marks.append((started, newest))
        self.after, self.seen = target, above
