"""Text and JSON renderings of library results for the CLI; no logic beyond layout."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from szwatch.common.clock import local_iso
from szwatch.store.text import snippet

if TYPE_CHECKING:  # only names for annotations: rendering must not pull the crawler or the store into start-up
    from szwatch.app.health import Health
    from szwatch.crawler.run import CrawlReport
    from szwatch.monitor.alerts.deliver import DeliveryReport
    from szwatch.monitor.detection.detect import DetectReport, RescanPreview
    from szwatch.monitor.detection.match import Hit
    from szwatch.monitor.detection.watchlist import Watchlist
    from szwatch.store.findings.detections import Story
    from szwatch.store.models import CrawlRun, DetectRun
    from szwatch.store.reads.alerts import AlertRow, DeliveryRow
    from szwatch.store.reads.runs import CrawlRunRow
    from szwatch.store.runs import ProblemGroup
    from szwatch.store.search import Hit as SearchHit

MAX_PROBLEM_LINES = 20


def width(text: str) -> int:
    """Columns a terminal gives the text: a Chinese character (or a full-width sign) takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 0 if unicodedata.combining(c) else 1
               for c in text)  # fmt: skip


def pad(text: object, columns: int, right: bool = False) -> str:
    """``text`` padded to ``columns`` display columns (``str.ljust`` counts characters, so columns of Chinese
    text would not line up)."""
    text = str(text)
    room = " " * max(columns - width(text), 0)
    return room + text if right else text + room


NOUNS = {"page": "pages", "article": "articles", "entry": "entry pages", "issue": "issues"}


def crawl_summary(report: CrawlReport) -> str:
    s = report.stats
    lines = [
        f"crawl run {report.run_id}: {report.status}"
        + (f" — {report.error.removeprefix(report.status + ': ')}" if report.error else ""),
        f"  issues    {s.get('issues_complete', 0)} complete, {s.get('issues_incomplete', 0)} incomplete, "
        f"{s.get('issues_no_paper', 0)} days without a paper, "
        f"{s.get('issues_skipped_complete', 0)} already complete (skipped)",
        f"  pages     {s.get('pages', 0)}",
        f"  articles  {s.get('articles_new', 0)} new, {s.get('articles_updated', 0)} updated, "
        f"{s.get('articles_unchanged', 0)} unchanged, {s.get('articles_known_skipped', 0)} already stored"
        + (f", {s['articles_from_other_site']} stored from another site" if s.get("articles_from_other_site") else "")
        + _not_stored(s),
        f"  requests  {s.get('requests', 0)} ({s.get('article_requests', 0)} for articles), "
        f"{s.get('retries', 0)} retries",
    ]
    lines.append(f"  problems  {_problem_count(report) or 'none'}")
    for group in report.groups[:MAX_PROBLEM_LINES]:
        lines.append(f"    {group.kind:<15} {group_line(group)}")
    if len(report.groups) > MAX_PROBLEM_LINES:
        lines.append(f"    … and {len(report.groups) - MAX_PROBLEM_LINES} more kinds (see crawl run {report.run_id})")
    return "\n".join(lines)


def group_line(group: ProblemGroup) -> str:
    """``page.nav_links: fallback '…' used on 11 pages, e.g. URL`` — or the URL itself when it is one."""
    if group.count == 1:
        return f"{group.detail}: {group.urls[0]}"
    noun = NOUNS.get(group.subject, "URLs")
    return f"{group.detail} on {group.count} {noun}, e.g. {group.urls[0]}"


def _not_stored(stats: dict[str, Any]) -> str:
    failed, missing = stats.get("articles_failed", 0), stats.get("articles_not_fetched", 0)
    parts = [f"{failed} failed"] if failed else []
    parts += [f"{missing} not fetched"] if missing else []
    return f", {', '.join(parts)}" if parts else ""


def _problem_count(report: CrawlReport) -> str:
    count = len(report.problems)
    if not count:
        return ""
    return f"{count} in {len(report.groups)} groups" if len(report.groups) > 1 else str(count)


def exit_reason(report: CrawlReport) -> str | None:
    from szwatch.store.models import RunStatus  # here, not at the top: `szwatch --help` loads no SQLModel

    if report.status == RunStatus.OK:
        return None
    if report.status == RunStatus.PROBLEMS:
        kinds = f" of {len(report.groups)} kinds" if len(report.groups) > 1 else ""
        counted = sum((report.stats.get("problems") or {}).values())
        if counted > len(report.problems):  # the database was away when they happened: the log has them
            return (
                f"crawl finished with {counted} problem(s), {counted - len(report.problems)} of them not recorded "
                "(the database refused writes for a while; see the log); the next crawl fetches what is missing"
            )
        return f"crawl finished with {len(report.problems)} problem(s){kinds}"
    if report.status == RunStatus.UNREACHABLE:
        return f"site unreachable: {report.error or 'no response'}"
    if report.status == RunStatus.INTERRUPTED:
        return f"crawl {report.error or 'interrupted'}; what landed is stored, the next crawl goes on from there"
    return f"crawl failed: {report.error or report.status}"


def report_dict(report: CrawlReport) -> dict[str, Any]:
    """The report as JSON: problems grouped (kind, detail, count, every URL); the store keeps each one."""
    data = asdict(report)
    del data["groups"]
    data["problem_count"] = len(report.problems)
    data["problems"] = [asdict(group) for group in report.groups]
    return data


def hit_dict(hit: SearchHit) -> dict[str, Any]:
    data = asdict(hit)
    data["issue_date"] = hit.issue_date.isoformat()
    return data


def hits_table(hits: list[SearchHit]) -> str:
    lines = []
    for hit in hits:
        page = f"{hit.page_label or hit.page}{'·' + hit.page_name if hit.page_name else ''}"
        paper = f"{hit.paper}  " if hit.paper != "szrb" else ""  # named when not the one paper of old
        lines.append(f"{hit.issue_date}  {paper}{page}  {hit.title}\n    {hit.snippet}\n    {hit.url}")
    return "\n".join(lines)


def detect_summary(report: DetectReport) -> str:
    lines = [
        f"detect: {report.stories_processed} of {report.stories_total} stories processed "
        f"({report.stories_total - report.stories_processed} already done)",
        f"  mentions      +{report.mentions_added} -{report.mentions_removed}",
        f"  observations  +{report.observations_added} -{report.observations_removed}",
    ]
    if report.by_watch:
        lines.append("  found: " + ", ".join(f"{k} {v}" for k, v in sorted(report.by_watch.items())))
    lines.append("  " + alerts_outcome(report))
    if report.stale_watchlist:
        lines.append(
            "  note: the watchlist changed since stories were processed; `szwatch detect --rescan` applies it "
            "to all of them (it shows what it would remove and asks first)"
        )
    return "\n".join(lines)


def alerts_outcome(report: DetectReport) -> str:
    """One sentence: what detection did about alerts, e.g. ``42 findings; baseline for 3 new watches, no alerts
    raised`` — so a silent first run reads as intended, not as broken."""
    parts = []
    count = len(report.baselined)
    watches = f"{count} new watch{'es' if count != 1 else ''}"
    if report.baselined and report.alert_existing:
        parts.append(f"{watches} alerted on stories already stored (--alert-existing: no baseline)")
    elif report.baselined:
        parts.append(f"baseline for {watches} (stories stored so far raise no alerts for them)")
    parts.append(
        f"{report.alerts} alert{'s' if report.alerts != 1 else ''} raised" if report.alerts else "no alerts raised"
    )
    if report.held_back_age:
        parts.append(f"{report.held_back_age} held back (issues over {report.max_age_days} days older than the newest)")
    return f"{report.findings} finding{'s' if report.findings != 1 else ''}; " + ", ".join(parts)


def no_channel_note(alerts: int, channels: int, routes: int) -> str | None:
    if not alerts or (channels and routes):
        return None
    missing = "no channel is configured" if not channels else "no route sends them to a channel"
    return (f"note: {alerts} alert(s) raised but {missing}; they wait in `szwatch alerts` "
            "(add [[channel]] and [[route]] to the settings, see settings.example.toml)")  # fmt: skip


def watch_table(watchlist: Watchlist, source: str = "") -> str:
    why = f"{source}; " if source else ""
    lines = [f"{watchlist.path} ({why}{len(watchlist.projects)} projects, {len(watchlist.indicators)} indicators)"]
    for watch in watchlist.watches:
        extra = f"  aliases: {'、'.join(watch.aliases)}" if watch.aliases else ""
        tags = f"  [{', '.join(watch.tags)}]" if watch.tags else ""
        lines.append(f"  {pad(watch.kind, 9)} {pad(watch.id, 28)} {pad(watch.name, 30)}{extra}{tags}")
    return "\n".join(lines)


def rescan_preview(preview: RescanPreview) -> str:
    """What a rescan would remove, per watch, before anything is: the user's findings are not thrown away unseen."""
    if not preview.removed:
        return (
            f"rescan: {preview.stories} stories re-evaluated; nothing would be removed, {preview.added} findings added"
        )
    head = (f"rescan would remove {preview.mentions_removed} mentions and {preview.observations_removed} observations "
            f"(and add {preview.added} findings) in {preview.stories} stories:")  # fmt: skip
    rows = [
        f"  {watch_id:<28} -{m} mentions  -{o} observations" for watch_id, (m, o) in sorted(preview.removed.items())
    ]
    return "\n".join([head, *rows])


def preview(hits: list[tuple[Story, Hit]]) -> str:
    lines = []
    for story, hit in hits:
        lines.append(f"{story.issue_date}  {story.page}  {story.title}  [{hit.kind}]")
        lines.append(f"    {snippet(hit.sentence.text.strip(), hit.surface)}")
    return "\n".join(lines)


def mentions_table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        lines.append(f"{row['issue_date']}  {row.get('paper') or ''}  {row['page']}  {row['watch_id']}  "
                     f"[{row['match_kind']}]  {row['title']}")  # fmt: skip
        lines.append(f"    {snippet(str(row['snippet']), str(row['surface']))}")
    return "\n".join(lines)


def indicators_table(rows: list[dict[str, Any]]) -> str:
    """One line per distinct figure; the same figure reported again in later issues is counted, not repeated."""
    lines = [
        f"{pad('indicator', 24)} {pad('period', 22)} {pad('scope', 8)} {pad('value', 14, True)} "
        f"{pad('growth', 12, True)}  {pad('rank', 12)} source"
    ]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = tuple(
            row[k] for k in ("indicator_id", "period_start", "period_end", "scope", "relative", "value", "growth_pct")
        )
        groups.setdefault(key, []).append(row)
    for same in groups.values():
        row, more = same[0], len(same) - 1
        parts = (row["issue_date"], row.get("paper"), row["page"], row["title"])  # the date first: it lines up
        source = " ".join(str(part) for part in parts if part)
        source += f" (+{more} later reports)" if more else ""
        lines.append(
            f"{pad(row['indicator_id'], 24)} {pad(_period(row), 22)} {pad(row['scope'], 8)} "
            f"{pad(_value(row), 14, True)} {pad(_growth(row), 12, True)}  {pad(row['rank'] or '', 12)} {source}"
        )
    return "\n".join(lines)


def _period(row: dict[str, Any]) -> str:
    """The period it was resolved to (``2023年上半年``; the paper's words are in the export)."""
    from datetime import date

    from szwatch.common.period_names import period_label

    if not row["period_start"]:
        return str(row["period"])
    return period_label(date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"]))


def _value(row: dict[str, Any]) -> str:
    if row["relative"]:
        from szwatch.app.compare import compared_area

        return f"vs {compared_area(str(row['snippet'])) or 'other area'}"
    return f"{row['value']:g}{row['unit']}" if row["value"] is not None else "—"


def _growth(row: dict[str, Any]) -> str:
    if row["growth_pct"] is None:
        return "—"
    return f"{row['growth_pct']:+g}{' points' if row['relative'] else '%'}"


def delivery_dict(delivery: DeliveryRow) -> dict[str, Any]:
    return {
        "channel": delivery.channel, "mode": delivery.mode, "status": delivery.status, "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.isoformat(), "last_error": delivery.last_error,
        "idempotency_key": delivery.idempotency_key,
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
    }  # fmt: skip


def alerts_table(rows: list[tuple[AlertRow, list[DeliveryRow]]]) -> str:
    lines = []
    for alert, deliveries in rows:
        states = ", ".join(
            f"{d.channel}:{d.status}" + (f"({d.attempts})" if d.attempts > 1 else "") for d in deliveries
        )
        watch = alert.watch_name or alert.watch_id or alert.audience
        tags = f" ({', '.join(alert.tags)})" if alert.tags else ""
        lines.append(f"#{alert.id:<5} {alert.rule:<15} {watch}{tags}  "
                     f"{alert.issue_date or ''} {alert.title or ''}  [{states or 'no route'}]")  # fmt: skip
        lines.append(f"       {alert.snippet.splitlines()[0] if alert.snippet else ''}")
        failed = [
            d
            for d in deliveries
            if d.status == "failed" or (d.last_error and d.status == "pending")  # DeliveryStatus: no ORM import
        ]
        lines.extend(f"       {d.channel}: {d.last_error}" for d in failed if d.last_error)
    return "\n".join(lines)


def delivery_summary(report: DeliveryReport) -> str:
    head = f"deliver: {report.sent} sent, {report.retried} to retry, {report.failed} failed"
    return "\n".join([head, *(f"  {line}" for line in report.lines)])


def status_text(health: Health) -> str:
    crawl = health.last_crawl
    daemon = health.daemon
    lines = [
        f"health      {'ok' if health.healthy else 'UNHEALTHY'}",
        "last crawl  " + (f"#{crawl['id']} {crawl['status']} at {crawl['started_at']} "
                           f"({crawl['articles_new'] or 0} new articles, {crawl['problems']} problems)"
                           if crawl else "none yet"),
        f"newest      issue {health.newest_issue or '—'} (complete: {health.newest_complete_issue or '—'})",
        "deliveries  " + (", ".join(f"{k} {v}" for k, v in sorted(health.deliveries.items())) or "none"),
        "daemon      " + (f"{daemon['holder']} ({'alive' if daemon['alive'] else 'lease expired'} until "
                           f"{daemon['expires_at']})" if daemon else "never ran on this database"),
    ]  # fmt: skip
    for job, when in ((daemon or {}).get("next_runs") or {}).items():
        lines.append(f"  next {job:<9} {when}")
    sites = sorted(((daemon or {}).get("sites") or {}).items(), key=lambda kv: kv[1]["answered_at"], reverse=True)
    for site, said in sites:  # a paper on several sites: which answered last, and what each offers
        lines.append(f"  site {site:<12} newest issue {said['newest']}, answered {said['answered_at']}")
    lines.extend(f"problem     {name}: {why}" for name, why in health.conditions.items())
    return "\n".join(lines)


def crawls_text(closed: list[CrawlRun], running: list[CrawlRunRow], groups: list[ProblemGroup]) -> str:
    """What ``status`` adds about crawls: runs it found dead and closed, runs at work, the last run's problems."""
    lines = [f"interrupted crawl run #{run.id}: {run.error}" for run in closed]
    for run in running:
        beat = local_iso(run.heartbeat_at) or "none yet"
        lines.append(f"crawling    run #{run.id} (pid {run.worker_pid} on {run.worker_host}, last heartbeat {beat})")
    for group in groups[:5]:
        lines.append(f"  {group.kind:<15} {group_line(group)}")
    if len(groups) > 5:
        lines.append(f"  … and {len(groups) - 5} more kinds of problem")
    return "\n".join(lines)


def pending_text(closed: list[DetectRun], pending: list[tuple[int, str]]) -> str:
    """What ``status`` adds about alerts: detection runs it found dead (their digests now go out) and what every
    pending delivery waits for."""
    lines = [f"interrupted detection run #{run.id}: {run.error}; its digest is released" for run in closed]
    lines.extend(f"pending     {count} × {reason}" for count, reason in pending)
    return "\n".join(lines)
