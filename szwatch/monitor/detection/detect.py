"""Detection over the archive: match every story not yet processed, store mentions and observations.

Incremental by construction: a story is processed again only when its text changed (a part updated or
a continuation arrived) or on ``rescan`` (after the watchlist changed, which also drops what no longer
matches). Each story is written in its own transaction, so an interrupted run loses nothing done.

Alerts are news, not the archive (urlwatch's and changedetection.io's habit): the first detection for a
watch — a new database, or a watch added later — is its *baseline*. Its findings are stored, but only
stories stored after it (a higher article id: ids are the store's own clock, immune to a mocked or wrong
wall clock) raise alerts for that watch. Stories from issues more than ``max_age_days`` older than the
newest issue never alert: a backfill is archive work. ``alert_existing`` lifts both for one run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.monitor.alerts.outbox import record_alerts
from szwatch.monitor.alerts.settings import Route
from szwatch.monitor.detection.figures import Observation as Found
from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Hit, Matcher
from szwatch.monitor.detection.rules import story_alerts
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store import alerts as store_alerts
from szwatch.store import detections, watchlists
from szwatch.store.db import session_scope
from szwatch.store.detections import Story
from szwatch.store.models import Alert, Mention, Observation, utcnow

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
    held_back_baseline: int = 0  # candidate alerts not raised: the story is part of the watch's baseline
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

    def verdict(self, story: Story, alert: Alert) -> str | None:
        """None when the alert may be raised, else why not ("baseline" or "age")."""
        if self.alert_existing:
            return None
        stored = min(part.article_id for part in story.parts)
        if stored <= self.baselines.get(alert.watch_id or "", -1):
            return "baseline"
        if self.oldest is not None and story.issue_date < self.oldest:
            return "age"
        return None


@dataclass(frozen=True)
class StoryFindings:
    mentions: list[Mention]
    observations: list[Observation]


def analyse(story: Story, matcher: Matcher, watchlist: Watchlist) -> StoryFindings:
    """Mentions and observations of one story as rows to store (pure: nothing is written)."""
    found = find(_text(story), matcher, watchlist, story.issue_date)
    return StoryFindings(
        [_mention(story, h) for h in found.mentions],
        [_observation(story, ordinal, obs) for ordinal, obs in enumerate(found.observations)],
    )


def _text(story: Story) -> str:
    head = story.parts[0]
    body = [line for part in story.parts for line in part.text.split("\n")]
    return story_text(head.kicker, head.title, head.subtitle, body)


def _observation(story: Story, ordinal: int, obs: Found) -> Observation:
    return Observation(
        indicator_id=obs.indicator_id, story_url=story.url, article_id=story.head_id, value=obs.value,
        unit=obs.unit, growth_pct=obs.growth_pct, period=obs.period, period_start=obs.period_start,
        period_end=obs.period_end, scope=obs.scope, rank=obs.rank, relative=obs.relative,
        snippet=obs.snippet, surface=obs.surface, sentence_index=obs.sentence_index, ordinal=ordinal,
    )  # fmt: skip


def _mention(story: Story, hit: Hit) -> Mention:
    return Mention(
        watch_id=hit.watch_id, story_url=story.url, article_id=story.head_id, surface=hit.surface, kind=hit.kind,
        snippet=hit.sentence.text.strip(), sentence_index=hit.sentence.index, start=hit.start, end=hit.end,
    )  # fmt: skip


def detect(
    engine: Engine,
    watchlist: Watchlist,
    rescan: bool = False,
    routes: tuple[Route, ...] = (),
    progress: Callable[[int, int], None] | None = None,
    max_age_days: int = 7,
    alert_existing: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> DetectReport:
    """Process what is new; alerts and their deliveries are written with the findings that caused them."""
    matcher = Matcher(watchlist)
    with session_scope(engine) as session:
        digests = detections.story_digests(session)
        done = detections.processed(session)
        run_id = store_alerts.start_detect_run(session).id
        watchlists.remember(session, str(watchlist.path.resolve()), watchlist.digest, len(watchlist.watches))
        gate, baselined = _gate(session, watchlist, bool(digests), max_age_days, alert_existing, run_id)
    report = DetectReport(stories_total=len(digests), run_id=run_id, baselined=baselined, max_age_days=max_age_days,
                          alert_existing=alert_existing)  # fmt: skip
    report.stale_watchlist = any(w != watchlist.digest for _, w in done.values()) and not rescan
    todo = [url for url, digest in digests.items() if rescan or done.get(url, ("", ""))[0] != digest]
    logger.info("detect: {} stories, {} to process (watchlist {})", len(digests), len(todo), watchlist.digest)
    for start in range(0, len(todo), BATCH):
        _process(engine, todo[start : start + BATCH], matcher, watchlist, routes, report, gate, clock)
        if progress:
            progress(min(start + BATCH, len(todo)), len(todo))
    with session_scope(engine) as session:
        store_alerts.finish_detect_run(session, run_id or 0, report.stories_processed, report.alerts)
    logger.info("detect run {} finished: {} stories, {} findings, {} alerts, baseline for {} new watches, "
                "held back {} (baseline) {} (older than {} days)", run_id, report.stories_processed, report.findings,
                report.alerts, len(report.baselined), report.held_back_baseline, report.held_back_age,
                max_age_days)  # fmt: skip
    return report


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


def _process(
    engine: Engine, urls: list[str], matcher: Matcher, watchlist: Watchlist, routes: tuple[Route, ...],
    report: DetectReport, gate: AlertGate, clock: Callable[[], datetime],
) -> None:  # fmt: skip
    names = {w.id: w.name for w in watchlist.watches}
    with Session(engine) as session:
        stories = list(detections.load_stories(session, urls))
    for story in stories:
        findings = analyse(story, matcher, watchlist)
        with session_scope(engine) as session:  # findings, alerts and deliveries: one transaction
            mentions, observations = detections.replace_findings(
                session, story, watchlist.digest, findings.mentions, findings.observations
            )
            candidates = story_alerts(session, story, findings.mentions, findings.observations, report.run_id)
            raised = []
            for alert in candidates:
                why = gate.verdict(story, alert)
                if why is None:
                    raised.append(alert)
                elif why == "age":
                    report.held_back_age += 1
                else:
                    report.held_back_baseline += 1
            report.alerts += len(record_alerts(session, raised, routes, watchlist.tags, names, clock()))
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
    """What ``detect --rescan`` would change, per watch: shown before anything is removed."""

    stories: int = 0
    removed: dict[str, list[int]] = field(default_factory=dict)  # watch id → [mentions, observations]
    added: int = 0

    @property
    def mentions_removed(self) -> int:
        return sum(m for m, _ in self.removed.values())

    @property
    def observations_removed(self) -> int:
        return sum(o for _, o in self.removed.values())


def preview_rescan(engine: Engine, watchlist: Watchlist) -> RescanPreview:
    """Evaluate every stored story with this watchlist and count what a rescan would remove (nothing is written)."""
    matcher = Matcher(watchlist)
    preview = RescanPreview()
    with Session(engine) as session:
        urls = list(detections.story_digests(session))
        for start in range(0, len(urls), BATCH):
            for story in detections.load_stories(session, urls[start : start + BATCH]):
                found = analyse(story, matcher, watchlist)
                gone_m, gone_o, added = detections.findings_diff(session, story.url, found.mentions,
                                                                 found.observations)  # fmt: skip
                preview.stories += 1
                preview.added += added
                for watch_id in gone_m:
                    preview.removed.setdefault(watch_id, [0, 0])[0] += 1
                for watch_id in gone_o:
                    preview.removed.setdefault(watch_id, [0, 0])[1] += 1
    return preview


def preview_watch(engine: Engine, watchlist: Watchlist, limit: int = 50) -> list[tuple[Story, Hit]]:
    """What a watch (or a draft of one) would match in the archive, without storing anything."""
    matcher = Matcher(watchlist)
    found: list[tuple[Story, Hit]] = []
    with Session(engine) as session:
        urls = list(detections.story_digests(session))
        for start in range(0, len(urls), BATCH):
            for story in detections.load_stories(session, urls[start : start + BATCH]):
                found.extend((story, hit) for hit in matcher.find(_text(story)))
                if len(found) >= limit:
                    return found[:limit]
    return found
