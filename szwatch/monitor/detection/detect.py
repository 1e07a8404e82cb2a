"""Detection over the archive: match every story not yet processed, store mentions and observations.

Incremental by construction: a story is processed again only when its text changed (a part updated or
a continuation arrived) or on ``rescan`` (after the watchlist changed, which also drops what no longer
matches). Stories are written ``BATCH`` to a transaction (findings, facts, alerts and deliveries, and the
record that the story is done, together): an interrupted run loses nothing but the batch under way, which the
next run does again.

Alerts are news, not the archive (urlwatch's and changedetection.io's habit): the first detection for a
watch — a new database, or a watch added later — is its *baseline*. Its findings are stored, but only
stories stored after it (a higher article id: ids are the store's own clock, immune to a mocked or wrong
wall clock) raise alerts for that watch; for a watch still in its baseline no candidate alert is even built
(its look-ups of earlier figures and facts would be wasted). Stories from issues more than ``max_age_days``
older than the newest issue never alert: a backfill is archive work. ``alert_existing`` lifts both for one run.

``landed_after`` makes a run of only the stories a crawl stored since (the daemon's pass while articles land,
``app/daemon.py``): it never sets a baseline, so it does nothing until every watch has one (the first crawl's
detection afterwards sets them, silently, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.monitor.alerts.outbox import record_alerts
from szwatch.monitor.alerts.settings import Route
from szwatch.monitor.detection.analysis import Analyser, Kept, StoryFindings, worker_count
from szwatch.monitor.detection.rules import story_alerts
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store import alerts as store_alerts
from szwatch.store.db import session_scope
from szwatch.store.findings import detect_runs, detections, watchlists
from szwatch.store.findings.detections import FindingsWriter, Replaced, Story
from szwatch.store.models import Alert, utcnow

BATCH = 200


@dataclass
class DetectReport:
    stories_total: int = 0
    stories_processed: int = 0
    mentions_added: int = 0
    mentions_removed: int = 0
    observations_added: int = 0
    observations_removed: int = 0
    stale_watchlist: bool = False
    alerts: int = 0
    run_id: int | None = None
    by_watch: dict[str, int] = field(default_factory=dict)
    baselined: list[str] = field(default_factory=list)  # watches whose first detection this run was
    held_back_baseline: int = 0  # watches found in a story that is part of their baseline (no alert built)
    held_back_age: int = 0  # … or from an issue older than max_age_days
    max_age_days: int = 7
    alert_existing: bool = False  # this run alerted on what was stored already (no baseline, no age limit)

    @property
    def findings(self) -> int:
        return sum(self.by_watch.values())


@dataclass(frozen=True)
class AlertGate:
    """Which candidate alerts of this run may be raised (see the module's note)."""

    baselines: dict[str, int]
    oldest: date | None = None
    alert_existing: bool = False

    def in_baseline(self, story: Story, watch_id: str) -> bool:
        """Whether the story is part of the watch's baseline (stored before its first detection)."""
        if self.alert_existing:
            return False
        return min(part.article_id for part in story.parts) <= self.baselines.get(watch_id, -1)

    def verdict(self, story: Story, alert: Alert) -> str | None:
        """None when the alert may be raised, else why not ("baseline" or "age")."""
        if self.alert_existing:
            return None
        if self.in_baseline(story, alert.watch_id or ""):
            return "baseline"
        if self.oldest is not None and story.issue_date < self.oldest:
            return "age"
        return None


def detect(
    engine: Engine,
    watchlist: Watchlist,
    rescan: bool = False,
    routes: tuple[Route, ...] = (),
    progress: Callable[[int, int], None] | None = None,
    max_age_days: int = 7,
    alert_existing: bool = False,
    clock: Callable[[], datetime] = utcnow,
    workers: int | None = None,
    provincial: frozenset[str] = frozenset(),
    landed_after: int | None = None,
    papers: Mapping[str, str] | None = None,
    kept: Kept | None = None,
) -> DetectReport:
    """Process what is new; alerts and their deliveries are written with the findings that caused them.

    ``workers``: processes that analyse stories (default: one per core for a large run, else none).
    ``landed_after``: only the stories with a part stored after this article id (see the module's note).
    ``papers``: each paper's name by its id (``issues.source``), which every alert carries so its message names
    the paper. ``kept``: findings a rescan's preview analysed (``preview_rescan``), not analysed again."""
    if landed_after is not None and not all_baselined(engine, watchlist):
        return DetectReport(max_age_days=max_age_days)
    with session_scope(engine) as session:
        if landed_after is None:
            digests, done = detections.story_digests(session), detections.processed(session)
        else:
            digests = detections.landed_digests(session, landed_after)
            done = detections.processed(session, list(digests))
        detect_runs.close_dead(session)
        run_id = detect_runs.start(session).id
        watchlists.remember(session, str(watchlist.path.resolve()), watchlist.digest, len(watchlist.watches))
        gate, baselined = _gate(session, watchlist, bool(digests), max_age_days, alert_existing, run_id)
    report = DetectReport(stories_total=len(digests), run_id=run_id, baselined=baselined, max_age_days=max_age_days,
                          alert_existing=alert_existing)  # fmt: skip
    report.stale_watchlist = any(w != watchlist.digest for _, w in done.values()) and not rescan
    todo = [url for url, digest in digests.items() if rescan or done.get(url, ("", ""))[0] != digest]
    logger.info("detect: {} stories, {} to process (watchlist {})", len(digests), len(todo), watchlist.digest)
    fresh = len(todo) if kept is None else sum(1 for url in todo if not kept.has(url, digests[url]))
    done_so_far = 0
    with Analyser(watchlist, worker_count(fresh, workers), provincial) as analyser:
        for stories, analysed in analyser.ahead(_batches(engine, todo), kept):
            _process(engine, stories, analysed, watchlist, routes, report, gate, clock, papers or {})
            with session_scope(engine) as session:
                detect_runs.beat(session, run_id or 0)
            done_so_far += len(stories)
            if progress:
                progress(done_so_far, len(todo))
    with session_scope(engine) as session:
        detect_runs.finish(session, run_id or 0, report.stories_processed, report.alerts)
    logger.info("detect run {} finished: {} stories, {} findings, {} alerts, baseline for {} new watches, "
                "held back {} (baseline) {} (older than {} days)", run_id, report.stories_processed, report.findings,
                report.alerts, len(report.baselined), report.held_back_baseline, report.held_back_age,
                max_age_days)  # fmt: skip
    return report


def all_baselined(engine: Engine, watchlist: Watchlist) -> bool:
    """Whether every watch has had its first (silent) detection."""
    with Session(engine) as session:
        known = store_alerts.baselines(session)
    return all(w.id in known for w in watchlist.watches)


def _gate(
    session: Session, watchlist: Watchlist, has_stories: bool, max_age_days: int, alert_existing: bool,
    run_id: int | None,
) -> tuple[AlertGate, list[str]]:  # fmt: skip
    """Baselines for watches seen for the first time (recorded now, with the run), and the age limit.

    An empty store gives no baseline: there is nothing to hold back yet, and a watch's first real detection
    (after the first crawl) must still be the silent one."""
    baselines = store_alerts.baselines(session)
    new = [w.id for w in watchlist.watches if w.id not in baselines] if has_stories else []
    if new:
        newest = store_alerts.newest_article_id(session)
        store_alerts.add_baselines(session, new, newest, run_id)
        baselines.update(dict.fromkeys(new, newest))
    newest_issue = store_alerts.newest_issue_date(session) if max_age_days > 0 else None
    oldest = newest_issue - timedelta(days=max_age_days) if newest_issue else None
    return AlertGate(baselines, oldest, alert_existing), new


def _batches(engine: Engine, urls: list[str]) -> Iterator[list[Story]]:
    """The stories of ``urls``, ``BATCH`` at a time, each batch read in a session of its own."""
    for start in range(0, len(urls), BATCH):
        with Session(engine) as session:
            yield list(detections.load_stories(session, urls[start : start + BATCH]))


def _process(
    engine: Engine, stories: Sequence[Story], analysed: list[StoryFindings], watchlist: Watchlist,
    routes: tuple[Route, ...], report: DetectReport, gate: AlertGate, clock: Callable[[], datetime],
    papers: Mapping[str, str],
) -> None:  # fmt: skip
    """One batch of stories in one transaction: findings, facts, alerts and deliveries, and "done". The findings
    were made before the transaction (writers wait less for it), the next batch's while this one is stored."""
    names = {w.id: w.name for w in watchlist.watches}
    limits = {w.id: w.thresholds for w in watchlist.indicators if w.thresholds}
    people = watchlist.mentions  # whom each watch's alerts @ (its own and its tags'), resolved once per run
    with session_scope(engine) as session:
        detections.absorb_parts(session, stories)
        writer = FindingsWriter(session, [story.url for story in stories], watchlist.digest)
        for story, findings in zip(stories, analysed, strict=True):
            mentions, observations = writer.replace(story, findings.mentions, findings.observations)
            found = {m.watch_id for m in findings.mentions} | {o.indicator_id for o in findings.observations}
            held = {watch for watch in found if gate.in_baseline(story, watch)}
            report.held_back_baseline += len(held)
            if found - held:
                writer.flush()  # the rules' look-ups must see the stories before this one
            candidates = story_alerts(session, story, findings.mentions, findings.observations, findings.facts,
                                      report.run_id, writer, _outside(held), limits)  # fmt: skip
            raised = []
            for alert in candidates:
                if gate.verdict(story, alert) == "age":
                    report.held_back_age += 1
                else:
                    alert.paper = papers.get(story.source, story.source)  # 《山西日报》 in every message
                    raised.append(alert)
            if raised:
                report.alerts += len(record_alerts(session, raised, routes, watchlist.tags, names, clock(),
                                                       people))  # fmt: skip
            _count(report, findings, mentions, observations)
        writer.close()


def _outside(held: set[str]) -> Callable[[str], bool]:
    return lambda watch: watch not in held


def _count(report: DetectReport, findings: StoryFindings, mentions: Replaced, observations: Replaced) -> None:
    report.stories_processed += 1
    report.mentions_added += mentions.added
    report.mentions_removed += mentions.removed
    report.observations_added += observations.added
    report.observations_removed += observations.removed
    for mention in findings.mentions:
        report.by_watch[mention.watch_id] = report.by_watch.get(mention.watch_id, 0) + 1
    for obs in findings.observations:
        report.by_watch[obs.indicator_id] = report.by_watch.get(obs.indicator_id, 0) + 1


@dataclass
class RescanPreview:
    """What ``detect --rescan`` would change, per watch: shown before anything is removed.

    ``kept``: every story's findings, for the rescan to store without analysing the stories again (close it)."""

    stories: int = 0
    removed: dict[str, list[int]] = field(default_factory=dict)  # watch id → [mentions, observations]
    added: int = 0
    kept: Kept = field(default_factory=Kept, repr=False, compare=False)

    @property
    def mentions_removed(self) -> int:
        return sum(m for m, _ in self.removed.values())

    @property
    def observations_removed(self) -> int:
        return sum(o for _, o in self.removed.values())


def preview_rescan(
    engine: Engine, watchlist: Watchlist, workers: int | None = None, provincial: frozenset[str] = frozenset()
) -> RescanPreview:
    """Evaluate every stored story with this watchlist and count what a rescan would remove (nothing is written).

    The stories are analysed as a run does (worker processes for a large archive, the same ``provincial``
    papers), and the findings are kept for the rescan (``detect(kept=preview.kept)``): analysing the archive
    twice made a rescan cost twice a first detect."""
    preview = RescanPreview()
    with Session(engine) as session:
        urls = list(detections.story_digests(session))
        with Analyser(watchlist, worker_count(len(urls), workers), provincial) as analyser:
            for stories, analysed in analyser.ahead(_batches(engine, urls)):
                preview.kept.add(stories, analysed)
                _previewed(session, preview, list(stories), analysed)
    return preview


def _previewed(session: Session, preview: RescanPreview, stories: list[Story], analysed: list[StoryFindings]) -> None:
    """Add to ``preview`` what a rescan would add and remove in ``stories``."""
    found = [(story.url, f.mentions, f.observations) for story, f in zip(stories, analysed, strict=True)]
    for gone_m, gone_o, added in detections.findings_diffs(session, found):
        preview.stories += 1
        preview.added += added
        for watch_id in gone_m:
            preview.removed.setdefault(watch_id, [0, 0])[0] += 1
        for watch_id in gone_o:
            preview.removed.setdefault(watch_id, [0, 0])[1] += 1
