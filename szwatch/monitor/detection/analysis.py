"""What a story holds, as rows to store: matching and extraction, in this process or in worker processes.

Analysis is pure (text in, rows out) and takes nearly all of a large run's CPU, so a run over many stories
spreads it over worker processes — one per core, each building its matcher once — while this process writes;
results come back in story order, so what is stored does not depend on how many workers there were. A run
over a few stories (the daemon after a crawl) stays in this process: starting a worker costs about a second.

A rescan's preview analyses every story to show what would be removed; ``Kept`` holds those results for the
run that follows (in memory up to a bound, then on disk), so each story is analysed once for both.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
import tempfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from operator import attrgetter
from typing import IO, TYPE_CHECKING

from szwatch.monitor.detection.facts import Fact, mention_facts, story_facts
from szwatch.monitor.detection.findings import find, parts_body
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.places import OTHER
from szwatch.monitor.detection.watchlist import Watchlist

if TYPE_CHECKING:  # the rows are built in the parent only: a worker starts without the ORM (0.7 s of CPU each)
    from szwatch.store.findings.detections import MentionRow, ObservationRow, Story

# The cyclic collector's first threshold during a run (Python's default: 700). A run allocates millions of
# short-lived acyclic objects (hits, rows, tuples), each 700 of which started a collection; a full one walks
# every object alive, the ORM's and the batch's included: 15-25 % of the parent's CPU, for no cycle freed.
GC_THRESHOLD = 50_000
POOL_FROM = 400  # stories to process from which worker processes pay for their start
CHUNK = 20  # stories sent to a worker at a time
KEPT_IN_MEMORY = 250_000  # findings a rescan's preview keeps in memory for its run (``Kept``), the rest on disk
AHEAD = 2  # batches sent to the workers beyond the one the caller is storing (``Analyser.ahead``)
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


@dataclass(frozen=True)
class StoryFindings:
    mentions: list[MentionRow]
    observations: list[ObservationRow]
    facts: list[Fact]  # what the story says about its projects (stage, investment, progress)


@dataclass(slots=True)
class _Mention:
    """A mention as analysis finds it: the row to store but for its story (what ``facts.mention_facts`` reads)."""

    watch_id: str
    surface: str
    kind: str
    snippet: str
    sentence_index: int
    start: int
    end: int


# What a worker reads (a story's kicker, title and subtitle, its parts' texts, issue date and default place: it
# makes the story's text itself, ``parts_body``, as the parent's writes are the longest stage of a run) and sends
# back (mentions, observations, facts): plain values, so that a worker imports the matching modules only, not the
# store's. Mentions and observations travel as tuples of their columns (``_MENTION``, ``_OBSERVATION``): pickling
# and unpickling a dataclass each costs several times a tuple's, and a story has about 25 of them.
_Text = tuple[str | None, str | None, str | None, tuple[str, ...], date, str | None]
_Found = tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[Fact]]
_MENTION = attrgetter("watch_id", "surface", "kind", "snippet", "sentence_index", "start", "end")
# ``ObservationRow``'s columns in its order, but for the story's (url, article) and the ordinal
_OBSERVATION = attrgetter("indicator_id", "value", "unit", "growth_pct", "period", "period_start", "period_end",
                          "scope", "rank", "relative", "snippet", "surface", "sentence_index")  # fmt: skip


def analyse(
    story: Story, matcher: Matcher, watchlist: Watchlist, provincial: frozenset[str] = frozenset()
) -> StoryFindings:
    """Mentions, observations and project facts of one story, as rows to store (pure: nothing is written).

    ``provincial``: the papers (``issues.source``) whose stories have no default city, so that a figure counts
    for Shuozhou only where 朔州 or one of its counties is named (the app knows them from the profiles)."""
    return _rows(story, _find(_text(story, provincial), matcher, watchlist))


def _text(story: Story, provincial: frozenset[str]) -> _Text:
    head = story.parts[0]
    return (head.kicker, head.title, head.subtitle, tuple(part.text for part in story.parts), story.issue_date,
            OTHER if story.source in provincial else None)  # fmt: skip


def _find(text: _Text, matcher: Matcher, watchlist: Watchlist) -> _Found:
    """The findings of one story's text; its project facts read from its mentions, clause by clause."""
    kicker, title, subtitle, parts, issue_date, default_place = text
    body = parts_body(kicker, title, subtitle, parts)  # ``story_body``
    found = find(body, matcher, watchlist, issue_date, default_place, facts=False)
    mentions = [
        _Mention(h.watch_id, h.surface, h.kind, h.sentence.text.strip(), h.sentence.index, h.start, h.end)
        for h in found.mentions
    ]
    facts = story_facts(mention_facts(mentions))
    return [_MENTION(m) for m in mentions], [_OBSERVATION(o) for o in found.observations], facts


def _rows(story: Story, found: _Found) -> StoryFindings:
    return _rows_of(story.url, story.head_id, found)


def _rows_of(url: str, head: int, found: _Found) -> StoryFindings:
    from szwatch.store.findings.detections import MentionRow, ObservationRow  # the parent has it loaded

    mentions, observations, facts = found
    return StoryFindings(
        [MentionRow(m[0], url, head, *m[1:]) for m in mentions],  # type: ignore[arg-type]
        [ObservationRow(o[0], url, head, *o[1:], ordinal) for ordinal, o in enumerate(observations)],  # type: ignore[arg-type, call-arg]
        facts,
    )


def worker_count(stories: int, workers: int | None) -> int:
    """How many worker processes a run over ``stories`` uses: ``workers`` if given, else one per core the
    process may use once the run is large enough (1 means none: analysis stays in this process)."""
    if workers is not None:
        return max(1, workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if stories >= POOL_FROM else 1


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Collect cycles rarely during a run, and never walk what was alive before it (``gc.freeze``): the
    modules, the watchlist, the matcher. The collector's settings are put back afterwards (the daemon runs on)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


class Analyser:
    """Analyses batches of stories, in worker processes when there are several (a context manager)."""

    def __init__(self, watchlist: Watchlist, workers: int = 1, provincial: frozenset[str] = frozenset()) -> None:
        self.watchlist, self.matcher, self.provincial = watchlist, Matcher(watchlist), provincial
        self.pool: Executor | None = None
        self._collections: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if workers > 1:
            # spawn, not fork: the caller holds database connections and a logging thread
            self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                            initargs=(watchlist, os.getpid()))  # fmt: skip

    def __enter__(self) -> Analyser:
        self._collections = few_collections()
        self._collections.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        finally:
            self._collections.__exit__(None, None, None)

    def batch(self, stories: Sequence[Story], kept: Kept | None = None) -> Iterator[StoryFindings]:
        """Each story's findings, in the stories' order; those ``kept`` (for the same text) are not analysed again.
        With workers the stories are sent to them now, so a caller may start the next batch before it reads the
        findings of this one (``ahead``)."""
        known = kept.take(stories) if kept is not None else [None] * len(stories)
        fresh = self._analyse([story for story, found in zip(stories, known, strict=True) if found is None])
        return (found if found is not None else next(fresh) for found in known)

    def ahead(
        self, batches: Iterable[Sequence[Story]], kept: Kept | None = None
    ) -> Iterator[tuple[Sequence[Story], list[StoryFindings]]]:
        """Each batch with its findings, the next ``AHEAD`` batches sent to the workers before this one is handed
        back: while the caller stores a batch, the workers analyse the next (one after the other, the cores idled
        through every write: about 1.55 of 2 busy). Two, not one: a batch the caller takes longer to store (many
        findings, a slow commit) would otherwise leave the workers waiting once they have done the next."""
        pending: deque[tuple[Sequence[Story], Iterator[StoryFindings]]] = deque()
        for stories in batches:
            pending.append((stories, self.batch(stories, kept)))
            if len(pending) > AHEAD:
                done, found = pending.popleft()
                yield done, list(found)
        while pending:
            done, found = pending.popleft()
            yield done, list(found)

    def _analyse(self, stories: Sequence[Story]) -> Iterator[StoryFindings]:
        if self.pool is None:
            return (analyse(story, self.matcher, self.watchlist, self.provincial) for story in stories)
        texts = [_text(story, self.provincial) for story in stories]
        chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
        found = (f for chunk in self.pool.map(_analyse_chunk, chunks) for f in chunk)  # submitted now
        return (_rows(story, f) for story, f in zip(stories, found, strict=True))


class Kept:
    """Stories' findings kept from a rescan's preview for its run: each story is analysed once for both.

    The first ``in_memory`` findings (mentions and observations) stay as the preview made them, whole batches in
    memory (about 0.55 KB a finding with its snippet: 250,000 are about 140 MB, some 10,000 archive-length
    stories): pickling them to disk and loading them back cost the run about a third of its time, with a core
    idle. Beyond that, on disk (an unnamed temporary file: zlib-compressed pickles, a batch at a time, about
    1.7 KB a story of 25 findings), not in memory: a ten-year archive's findings are millions of rows. A story
    whose text changed between the preview and the run (its digest) is analysed again by the run."""

    def __init__(self, in_memory: int = KEPT_IN_MEMORY) -> None:
        self._room = in_memory  # findings that may still be kept in memory
        self._file: IO[bytes] | None = None  # opened for the first batch that does not fit
        self._where: dict[str, tuple[str, int]] = {}  # url -> (digest, index of its batch)
        self._batches: list[dict[str, StoryFindings] | tuple[int, int]] = []  # in memory, or (offset, length)
        self._loaded: tuple[int, dict[str, tuple[str, int, _Found]]] = (-1, {})

    def add(self, stories: Sequence[Story], findings: Sequence[StoryFindings]) -> None:
        rows = sum(len(f.mentions) + len(f.observations) for f in findings)
        self._where.update((story.url, (story.digest, len(self._batches))) for story in stories)
        if rows <= self._room:
            self._room -= rows
            self._batches.append({s.url: f for s, f in zip(stories, findings, strict=True)})
            return
        self._room = 0  # memory first, then disk: the run reads the batches in this order
        # rows as tuples (``_compact``): pickled and loaded again at a third of a dataclass's cost
        kept = {s.url: (s.url, s.head_id, _compact(f)) for s, f in zip(stories, findings, strict=True)}
        blob = zlib.compress(pickle.dumps(kept, 5), 1)
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="szwatch-rescan-")  # noqa: SIM115 (kept open until close)
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(blob)
        self._batches.append((offset, len(blob)))

    def has(self, url: str, digest: str) -> bool:
        """Whether the story's findings are kept for this text."""
        return self._where.get(url, ("", -1))[0] == digest

    def take(self, stories: Sequence[Story]) -> list[StoryFindings | None]:
        """Each story's kept findings, or None where it was not kept or its text has changed since (each story is
        taken once: what was kept in memory is let go)."""
        return [self._findings(story.url) if self.has(story.url, story.digest) else None for story in stories]

    def _findings(self, url: str) -> StoryFindings:
        index = self._where[url][1]
        batch = self._batches[index]
        if isinstance(batch, dict):
            return batch.pop(url)
        if self._loaded[0] != index and self._file is not None:  # the run reads the batches in order: one load each
            offset, length = batch
            self._file.seek(offset)
            self._loaded = (index, pickle.loads(zlib.decompress(self._file.read(length))))
        story_url, head, found = self._loaded[1][url]
        return _rows_of(story_url, head, found)

    def close(self) -> None:
        self._batches, self._loaded = [], (-1, {})
        if self._file is not None:
            self._file.close()


def _compact(findings: StoryFindings) -> _Found:
    """A story's rows as ``_rows_of`` takes them back: tuples of the columns, without the story's URL and head."""
    return [_MENTION(m) for m in findings.mentions], [_OBSERVATION(o) for o in findings.observations], findings.facts


_WORKER: tuple[Matcher, Watchlist] | None = None


def _start_worker(watchlist: Watchlist, parent: int) -> None:
    global _WORKER
    _die_with(parent)
    _WORKER = (Matcher(watchlist), watchlist)
    gc.freeze()  # a worker lives for one run: its modules and matcher are never garbage
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def _die_with(parent: int) -> None:
    """A worker ends when its ``szwatch detect`` is killed (kill -9 leaves no time to shut the pool down).

    Otherwise orphaned workers would live on, holding the terminal's or a supervisor's pipes open. Linux kills
    them with the parent (``PR_SET_PDEATHSIG``); a parent already gone by now is checked by its pid.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _analyse_chunk(texts: list[_Text]) -> list[_Found]:
    assert _WORKER is not None, "worker not started"
    matcher, watchlist = _WORKER
    return [_find(text, matcher, watchlist) for text in texts]
