"""The ``szwatch`` command: a thin shell over the library.

Each command opens the store, calls one library function and renders its result; expected failures
become one line on stderr and an exit code (0 good, 1 finished with problems, 2 bad usage or
unreachable site).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from szwatch.app import cli_text as render
from szwatch.app.export import FORMATS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from szwatch.crawler.run import CrawlReport
    from szwatch.monitor.detection.watchlist import Watchlist

# Commands import what they use inside their bodies: `szwatch --help` and the read commands must not pay for
# Scrapy, Twisted, trafilatura, aiosmtpd or APScheduler (see "Start-up" in the README).
# Errors a user can fix, shown as one line (exit 2) instead of a traceback; looked up by module and name, so
# checking them imports nothing (a module that raised one is loaded already).
USER_ERRORS = (
    ("szwatch.crawler.run", "CrawlUsageError"),
    ("szwatch.crawler.profile", "ProfileError"),
    ("szwatch.store.errors", "StoreError"),
    ("szwatch.monitor.detection.watchlist", "WatchlistError"),
    ("szwatch.monitor.alerts.settings", "SettingsError"),
)

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_url", envvar="SZWATCH_DB", metavar="URL",
        help="Database URL (sqlite:///file.db or postgresql+psycopg://…); default sqlite:///szwatch.db.",
    )(func)  # fmt: skip


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def config_option(func: F) -> F:
    return click.option(
        "--config", "config_path", envvar="SZWATCH_CONFIG", type=click.Path(dir_okay=False),
        help="Settings TOML (default: config/settings.toml or settings.toml if present).",
    )(func)  # fmt: skip


def watchlist_option(func: F) -> F:
    return click.option(
        "--watchlist", "watchlist_path", envvar="SZWATCH_WATCHLIST", type=click.Path(dir_okay=False),
        help="Watchlist TOML (default: ./watchlist.toml if present, else the bundled example).",
    )(func)  # fmt: skip


def _watchlist(path: str | None) -> Watchlist:
    from szwatch.monitor.detection.watchlist import load_watchlist

    if path is None and Path("watchlist.toml").is_file():
        path = "watchlist.toml"
    return load_watchlist(path)


class Day(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).replace("/", "-")) if len(str(value)) != 8 else _compact(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2024-05-07", param, ctx)


def _compact(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


@click.group()
@click.option("--log-json", is_flag=True, help="Log one JSON object per line (for machines).")
@click.option("-q", "--quiet", is_flag=True, help="Log warnings only.")
@click.option("--db", "db_url", metavar="URL", help="Database URL for every command (same as SZWATCH_DB).")
@click.version_option(package_name="szwatch")
def cli(log_json: bool, quiet: bool, db_url: str | None) -> None:
    """szwatch: reads 朔州日报 (Shuozhou Daily) for news of projects and indicators you track."""
    from szwatch.common.logs import configure_logging

    configure_logging("WARNING" if quiet else "INFO", json_lines=log_json)
    if db_url:  # before or after the command name, --db means the same
        os.environ["SZWATCH_DB"] = db_url


@cli.command("crawl")
@click.option("--latest", is_flag=True, help="The newest issue, found from the entry page.")
@click.option("--date", "dates", type=Day(), multiple=True, help="An issue date (repeatable).")
@click.option("--from", "start", type=Day(), help="First date of a range.")
@click.option("--to", "end", type=Day(), help="Last date of a range.")
@click.option("--base-url", help="Crawl another host with the same shape (the replica, a mirror).")
@click.option("--refresh", is_flag=True, help="Download again what is already stored.")
@click.option("--profile", type=click.Path(dir_okay=False), help="Source profile TOML (default: szrb).")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests (polite default: 2).")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests at once per host (default: 2).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="When another crawl of the same dates runs on this database: wait for it, or refuse.")  # fmt: skip
@db_option
@config_option
@json_option
def crawl_command(
    latest: bool, dates: tuple[date, ...], start: date | None, end: date | None, base_url: str | None,
    refresh: bool, profile: str | None, delay: float | None, concurrency: int | None, wait: bool,
    db_url: str | None, config_path: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Fetch issues into the store: the latest, given dates, or a range.

    Example: szwatch crawl --from 2024-05-06 --to 2024-05-10
    """
    from szwatch.app.settings import load_settings
    from szwatch.crawler.run import CrawlRequest, crawl, date_range
    from szwatch.monitor.alerts.operator import crawl_run_alert

    if (start is None) != (end is None):
        raise click.UsageError("--from and --to go together")
    wanted = tuple(dates) + (date_range(start, end) if start and end else ())
    if not latest and not wanted:
        raise click.UsageError("nothing to crawl: give --latest, --date or --from/--to")
    request = CrawlRequest(
        latest=latest, dates=tuple(sorted(set(wanted))), base_url=base_url, refresh=refresh, profile=profile,
        delay=delay, concurrency=concurrency, wait=wait, **_log_options(),
    )  # fmt: skip
    settings = load_settings(config_path)
    engine = _store(db_url)
    report = crawl(request, engine)
    crawl_run_alert(engine, settings, report.run_id)
    _finish_crawl(report, as_json)


def _log_options() -> dict[str, Any]:
    """The crawler's child logs as the command was told to (``--quiet``, ``--log-json``)."""
    root = click.get_current_context().find_root().params
    return {"log_level": "WARNING" if root.get("quiet") else "INFO", "log_json": bool(root.get("log_json"))}


def _finish_crawl(report: CrawlReport, as_json: bool) -> None:
    click.echo(json.dumps(render.report_dict(report), ensure_ascii=False) if as_json else render.crawl_summary(report))
    reason = render.exit_reason(report)
    if reason:
        click.echo(f"szwatch: {reason}", err=True)
    sys.exit(report.exit_code)


@cli.command("search")
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@db_option
@json_option
def search_command(text: str, limit: int, db_url: str | None, as_json: bool) -> None:
    """Full-text search of stored articles (Chinese works; one-character queries too).

    Example: szwatch search 多晶硅
    """
    from szwatch.store.db import plain_reader
    from szwatch.store.search import search as search_articles

    # Plain SQL, not a session: on the embedded store neither SQLAlchemy nor the ORM is imported (start-up).
    with plain_reader(db_url) as conn:
        hits = search_articles(conn, text, limit)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(render.hit_dict(hit), ensure_ascii=False))
        return
    click.echo(render.hits_table(hits) if hits else f"no article mentions {text!r}")


@cli.group("export")
def export_group() -> None:
    """Write stored data as JSON Lines or CSV."""


def export_options(func: F) -> F:
    func = db_option(func)
    func = click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
                        help="File (default stdout).")(func)  # fmt: skip
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)(func)


def _export(db_url: str | None, rows: Callable[[Session], Iterable[dict[str, object]]], fields: list[str], fmt: str,
            output: Any, noun: str) -> None:  # fmt: skip
    from szwatch.app.export import write_rows
    from szwatch.store.db import session_scope

    with session_scope(_store(db_url)) as session:
        count = write_rows(rows(session), fields, fmt, output)
    click.echo(f"exported {count} {noun}", err=True)


@export_group.command("articles")
@export_options
def export_articles(fmt: str, output: Any, db_url: str | None) -> None:
    """Every stored article with its issue and page.

    Example: szwatch export articles --format csv -o articles.csv
    """
    from szwatch.store import articles

    _export(db_url, articles.article_rows, articles.EXPORT_FIELDS, fmt, output, "articles")


@cli.command("detect")
@watchlist_option
@click.option("--rescan", is_flag=True, help="Re-evaluate every stored story (after the watchlist changed).")
@click.option(
    "--alert-existing",
    is_flag=True,
    help="Alert on stories already stored and on old issues too (no baseline, no [alerts] max_age_days).",
)
@db_option
@config_option
@json_option
def detect_command(
    watchlist_path: str | None, rescan: bool, alert_existing: bool, db_url: str | None, config_path: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Match new stories against the watchlist; store mentions, figures, and alerts with their deliveries.

    A watch's first detection is its baseline: findings are stored, alerts are raised only for stories stored
    after it. Example: szwatch detect --watchlist my-watchlist.toml
    """
    from szwatch.app.settings import load_settings
    from szwatch.monitor.detection.detect import detect

    watchlist = _watchlist(watchlist_path)
    settings = load_settings(config_path)
    report = detect(_store(db_url), watchlist, rescan=rescan, routes=settings.routes,
                    max_age_days=settings.alerts.max_age_days, alert_existing=alert_existing)  # fmt: skip
    if as_json:
        click.echo(json.dumps({**asdict(report), "findings": report.findings}, ensure_ascii=False))
    else:
        click.echo(render.detect_summary(report))
    note = render.no_channel_note(report.alerts, len(settings.channels), len(settings.routes))
    if note:
        click.echo(note, err=True)


@cli.group("watch")
def watch_group() -> None:
    """Inspect the watchlist and try watches on the archive."""


@watch_group.command("list")
@watchlist_option
def watch_list(watchlist_path: str | None) -> None:
    """Every watch with its kind, name, aliases and tags.

    Example: szwatch watch list
    """
    click.echo(render.watch_table(_watchlist(watchlist_path)))


@watch_group.command("test")
@click.argument("watch_id", required=False)
@click.option("--name", help="Try a project name that is not in the watchlist yet.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@watchlist_option
@db_option
def watch_test(
    watch_id: str | None, name: str | None, limit: int, watchlist_path: str | None, db_url: str | None
) -> None:
    """Show what a watch would match in the archive, before you save it (nothing is stored).

    Example: szwatch watch test --name 东立多晶硅项目
    """
    from szwatch.monitor.detection.detect import preview_watch
    from szwatch.monitor.detection.watchlist import Watchlist, parse_watchlist

    watchlist = _watchlist(watchlist_path)
    if name:
        draft = parse_watchlist(Path("<--name>"), "", {"project": [{"id": "draft", "name": name}]})
    elif watch_id and (watch := watchlist.get(watch_id)):
        draft = Watchlist(watchlist.path, (watch,), watchlist.digest)
    else:
        raise click.UsageError(
            f"no watch {watch_id!r} in {watchlist.path}" if watch_id else "give a watch ID or --name"
        )
    hits = preview_watch(_store(db_url), draft, limit)
    click.echo(render.preview(hits) if hits else "no story in the archive matches")


@cli.command("mentions")
@click.argument("watch_id", required=False)
@db_option
@json_option
def mentions_command(watch_id: str | None, db_url: str | None, as_json: bool) -> None:
    """Stored mentions of tracked projects, oldest first.

    Example: szwatch mentions zhongmei-olefin
    """
    from szwatch.store import detections
    from szwatch.store.db import session_scope

    with session_scope(_store(db_url)) as session:
        rows = list(detections.mention_rows(session, watch_id))
    if as_json:
        click.echo("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    else:
        click.echo(render.mentions_table(rows) if rows else "no mentions stored (run szwatch detect)")


@cli.command("indicators")
@click.argument("indicator_id", required=False)
@db_option
@json_option
def indicators_command(indicator_id: str | None, db_url: str | None, as_json: bool) -> None:
    """The time series of tracked indicators: period, value, growth, scope and source.

    Example: szwatch indicators gdp
    """
    from szwatch.store import detections
    from szwatch.store.db import session_scope

    with session_scope(_store(db_url)) as session:
        rows = list(detections.observation_rows(session, indicator_id))
    if as_json:
        click.echo("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    else:
        click.echo(render.indicators_table(rows) if rows else "no figures stored (run szwatch detect)")


@export_group.command("mentions")
@export_options
def export_mentions(fmt: str, output: Any, db_url: str | None) -> None:
    """Every stored mention of a tracked project.

    Example: szwatch export mentions --format csv -o mentions.csv
    """
    from szwatch.store import detections

    _export(db_url, detections.mention_rows, detections.MENTION_FIELDS, fmt, output, "mentions")


@export_group.command("indicators")
@export_options
def export_indicators(fmt: str, output: Any, db_url: str | None) -> None:
    """Every stored indicator figure (the time series).

    Example: szwatch export indicators --format csv -o indicators.csv
    """
    from szwatch.store import detections

    _export(db_url, detections.observation_rows, detections.INDICATOR_FIELDS, fmt, output, "indicator figures")


@cli.group("alerts", invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only alerts with such deliveries.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
@json_option
@click.pass_context
def alerts_group(ctx: click.Context, status: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """Alerts raised, newest first, with the state of each delivery.

    Example: szwatch alerts --status failed
    """
    from szwatch.monitor.alerts import messages
    from szwatch.store import alerts as store_alerts
    from szwatch.store.db import session_scope

    if ctx.invoked_subcommand:
        return
    with session_scope(_store(db_url)) as session:
        rows = store_alerts.list_alerts(session, status, limit)
    if as_json:
        for alert, deliveries in rows:
            data = messages.alert_dict(alert)
            data["deliveries"] = [render.delivery_dict(d) for d in deliveries]
            click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(render.alerts_table(rows) if rows else "no alerts")


@alerts_group.command("retry")
@click.argument("alert_id", type=int)
@db_option
def alerts_retry(alert_id: int, db_url: str | None) -> None:
    """Queue an alert's failed deliveries again (they go out with the next `szwatch deliver`).

    Example: szwatch alerts retry 42
    """
    from szwatch.store import alerts as store_alerts
    from szwatch.store.db import session_scope

    with session_scope(_store(db_url)) as session:
        count = store_alerts.retry_alert(session, alert_id)
    if not count:
        raise click.ClickException(f"alert {alert_id} has no failed delivery")
    click.echo(f"{count} delivery(ies) of alert {alert_id} queued again")


@cli.command("deliver")
@watchlist_option
@db_option
@config_option
def deliver_command(watchlist_path: str | None, db_url: str | None, config_path: str | None) -> None:
    """Send the deliveries that are due now; exit 1 if any failed for good.

    Example: szwatch deliver
    """
    from szwatch.app.settings import load_settings
    from szwatch.monitor.alerts.deliver import deliver_due

    settings = load_settings(config_path)
    names = {w.id: w.name for w in _watchlist(watchlist_path).watches}
    report = deliver_due(_store(db_url), settings, names)
    click.echo(render.delivery_summary(report))
    sys.exit(1 if report.failed else 0)


@cli.command("notify-test")
@click.argument("channel")
@config_option
def notify_test_command(channel: str, config_path: str | None) -> None:
    """Send a test message through one channel and report the server's answer.

    Example: szwatch notify-test team-mail
    """
    from szwatch.app.settings import load_settings
    from szwatch.monitor.alerts.deliver import notify_test

    result = notify_test(load_settings(config_path), channel)
    if not result.ok:
        raise click.ClickException(f"{channel}: {result.outcome}: {result.detail}")
    click.echo(f"{channel}: sent ({result.detail})")


@cli.command("run")
@watchlist_option
@db_option
@config_option
@click.option("--log-file", help="Rotating log file (default: [daemon] log_file).")
def run_command(watchlist_path: str | None, db_url: str | None, config_path: str | None, log_file: str | None) -> None:
    """Run the daemon: scheduled crawls, detection, delivery and health checks, until SIGTERM/SIGINT.

    Example: szwatch run --config config/settings.toml
    """
    from szwatch.app.daemon import Daemon, DaemonAlreadyRunningError
    from szwatch.app.settings import load_settings
    from szwatch.common.logs import add_file_log

    settings = load_settings(config_path)
    add_file_log(log_file or settings.daemon.log_file)
    watchlist = _watchlist(watchlist_path or settings.daemon.watchlist or None)
    try:
        Daemon(_store(db_url), settings, watchlist).run()
    except DaemonAlreadyRunningError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("status")
@db_option
@config_option
@json_option
def status_command(db_url: str | None, config_path: str | None, as_json: bool) -> None:
    """Last crawl, newest issue, deliveries, the daemon's next runs, health; exit 1 when unhealthy.

    Example: szwatch status --json
    """
    from szwatch.app.health import assess
    from szwatch.app.settings import load_settings
    from szwatch.common.clock import local_iso
    from szwatch.store import runs
    from szwatch.store.db import session_scope

    settings = load_settings(config_path)
    engine = _store(db_url)
    with session_scope(engine) as session:  # a crawl whose worker was killed is closed here, not left "running"
        closed, running = runs.close_dead_runs(session), runs.running_runs(session)
        last = runs.last_runs(session, 1)
        groups = runs.problem_groups(session, last[0].id or 0) if last else []
    health = assess(engine, settings.daemon)
    if as_json:
        data = asdict(health)
        data["checked_at"], data["healthy"] = health.checked_at.isoformat(), health.healthy
        data["interrupted_runs"] = [{"id": r.id, "error": r.error} for r in closed]
        data["running_runs"] = [{"id": r.id, "pid": r.worker_pid, "host": r.worker_host,
                                 "heartbeat_at": local_iso(r.heartbeat_at)} for r in running]  # fmt: skip
        data["last_crawl_problems"] = [asdict(g) for g in groups]
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        click.echo("\n".join(filter(None, [render.status_text(health), render.crawls_text(closed, running, groups)])))
    sys.exit(0 if health.healthy else 1)


@cli.group("config")
def config_group() -> None:
    """Inspect the settings."""


@config_group.command("show")
@config_option
def config_show(config_path: str | None) -> None:
    """The effective settings (file + SZWATCH_* environment), secrets masked.

    Example: szwatch config show
    """
    from szwatch.app.settings import load_settings, masked

    click.echo(json.dumps(masked(load_settings(config_path)), ensure_ascii=False, indent=2))


@cli.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; another than loopback exposes the archive (use --token).")  # fmt: skip
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--token", envvar="SZWATCH_WEB_TOKEN", metavar="T",
              help="Require it on every request (Authorization: Bearer T, or ?token=T in a browser).")  # fmt: skip
@watchlist_option
@db_option
@config_option
def web_command(
    host: str, port: int, token: str | None, watchlist_path: str | None, db_url: str | None, config_path: str | None
) -> None:
    """Serve a read-only web view: issues, articles, search, watches with charts, alerts, status, JSON API.

    Example: szwatch web --port 8080
    """
    from szwatch.app.settings import load_settings
    from szwatch.app.web.server import AddressError, serve  # the web stack loads only for this command

    settings = load_settings(config_path)
    watchlist = _watchlist(watchlist_path or settings.daemon.watchlist or None)
    try:
        serve(db_url, watchlist, settings.daemon, host=host, port=port, token=token or None)
    except AddressError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("szwatch-demo"),
              show_default=True, help="Where the replica and the demo database go (replaced each run).")  # fmt: skip
@click.option("--web", "then_web", is_flag=True, help="Then serve the web view of the demo database on port 8080.")
def demo_command(workdir: Path, then_web: bool) -> None:
    """Serve the bundled replica of the paper on localhost, crawl it into a fresh database, summarise.

    Example: szwatch demo --web
    """
    from szwatch.app.demo import WEB_URL, demo_db_url, run_demo

    code = run_demo(workdir, click.echo)
    if not then_web:
        sys.exit(code)
    import threading
    import webbrowser

    from szwatch.app.settings import load_settings
    from szwatch.app.web.server import AddressError, serve
    from szwatch.monitor.detection.watchlist import load_watchlist

    click.echo(f"serving the web view at {WEB_URL} (Ctrl-C stops it)")
    threading.Timer(1.5, webbrowser.open, args=(WEB_URL + "watches/gdp",)).start()
    try:
        serve(demo_db_url(workdir), load_watchlist(), load_settings(None).daemon, port=8080)
    except AddressError as exc:
        raise click.ClickException(str(exc)) from exc


def _store(db_url: str | None) -> Engine:
    from szwatch.store.db import open_store

    return open_store(db_url)


def main() -> None:
    """Entry point: one-line errors instead of tracebacks for the failures a user can fix."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("szwatch: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        click.echo(f"szwatch: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"szwatch: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _user_error(exc):
            raise
        click.echo(f"szwatch: error: {exc}", err=True)
        sys.exit(2)


def _user_error(exc: Exception) -> bool:
    for module, name in USER_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return True
    return False
