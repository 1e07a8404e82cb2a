"""Running szwatch: the daemon (``run``), ``status``, ``config``, the web view (``web``) and ``demo``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import (
    check_watchlist,
    cli,
    config_option,
    db_option,
    json_option,
    open_db,
    pick_watchlist,
    watchlist_option,
)

if TYPE_CHECKING:
    from szwatch.store.models import CrawlRun, DetectRun


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
    chosen = pick_watchlist(watchlist_path, settings)
    click.echo(chosen.describe(), err=True)
    try:
        Daemon(open_db(db_url), settings, chosen.watchlist).run()
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
    from szwatch.store.db import plain_reader
    from szwatch.store.reads import pending as pending_reads
    from szwatch.store.reads import runs

    settings = load_settings(config_path)
    closed, closed_detect = _close_dead_runs(db_url)
    with plain_reader(db_url) as plain:  # plain SQL like search: no ORM to import (start-up)
        running, last = runs.running_crawl_runs(plain), runs.last_crawl_runs(plain, 1)
        groups = runs.problem_groups(plain, last[0].id) if last else []
        pending = pending_reads.why_pending(plain, blocked=settings.problems)
        health = assess(plain, settings.daemon)
    for name, why in settings.problems.items():  # a channel that cannot send is a health problem
        health.conditions[f"channel {name}"] = f"{why}; its deliveries wait"
    if as_json:
        data = asdict(health)
        data["checked_at"], data["healthy"] = health.checked_at.isoformat(), health.healthy
        data["interrupted_runs"] = [{"id": r.id, "error": r.error} for r in closed]
        data["running_runs"] = [{"id": r.id, "pid": r.worker_pid, "host": r.worker_host,
                                 "heartbeat_at": local_iso(r.heartbeat_at)} for r in running]  # fmt: skip
        data["last_crawl_problems"] = [asdict(g) for g in groups]
        data["interrupted_detect_runs"] = [{"id": r.id, "error": r.error} for r in closed_detect]
        data["pending"] = [{"count": n, "reason": why} for n, why in pending]
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        parts = [render.status_text(health), render.crawls_text(closed, running, groups),
                 render.pending_text(closed_detect, pending)]  # fmt: skip
        click.echo("\n".join(filter(None, parts)))
    sys.exit(0 if health.healthy else 1)


def _close_dead_runs(db_url: str | None) -> tuple[list[CrawlRun], list[DetectRun]]:
    """Close the crawl and detection runs whose worker was killed (not left "running"): the crawl runs and the
    detection runs closed. Asked first with plain SQL; the ORM, which writes them, loads only when there is one."""
    from szwatch.store.db import plain_reader
    from szwatch.store.reads.runs import any_worker_gone

    with plain_reader(db_url) as plain:
        if not any_worker_gone(plain):
            return [], []
    from szwatch.store import runs
    from szwatch.store.db import session_scope
    from szwatch.store.findings import detect_runs

    with session_scope(open_db(db_url)) as session:
        return runs.close_dead_runs(session), detect_runs.close_dead(session)


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
              help="Require it on every request (Authorization: Bearer T, or ?token=T in a browser); with it "
                   "the view also edits watches, retries, pauses and asks for checks.")  # fmt: skip
@watchlist_option
@db_option
@config_option
def web_command(
    host: str, port: int, token: str | None, watchlist_path: str | None, db_url: str | None, config_path: str | None
) -> None:
    """Serve the web view: issues, articles, search, watches with charts, alerts, status, JSON API, Atom feed
    (read-only; with --token also watch editing and operations).

    Example: szwatch web --port 8080
    """
    from szwatch.app.settings import load_settings
    from szwatch.app.web.server import AddressError, serve  # the web stack loads only for this command

    settings = load_settings(config_path)
    chosen = pick_watchlist(watchlist_path, settings)
    check_watchlist(open_db(db_url), chosen)
    click.echo(chosen.describe(), err=True)
    try:
        serve(db_url, chosen.watchlist, settings.daemon, host=host, port=port, token=token or None, settings=settings)
    except AddressError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("szwatch-demo"),
              show_default=True, help="Where the replica and the demo database go (replaced each run).")  # fmt: skip
@click.option("--web", "then_web", is_flag=True, help="Then serve the web view of the demo database.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="With --web: the port of the web view.")  # fmt: skip
def demo_command(workdir: Path, then_web: bool, port: int) -> None:
    """Serve the bundled replica of the paper on localhost, crawl it into a fresh database, summarise.

    Example: szwatch demo --web --port 8090
    """
    from szwatch.app.demo import demo_db_url, run_demo

    code = run_demo(workdir, click.echo)
    if not then_web:
        sys.exit(code)
    import threading
    import webbrowser

    from szwatch.app.settings import load_settings
    from szwatch.app.web.server import AddressError, serve
    from szwatch.monitor.detection.watchlist import load_watchlist

    url = f"http://127.0.0.1:{port}/"
    click.echo(f"serving the web view at {url} (Ctrl-C stops it)")
    threading.Timer(1.5, webbrowser.open, args=(url + "watches/gdp",)).start()
    try:
        serve(demo_db_url(workdir), load_watchlist(), load_settings(None).daemon, port=port)
    except AddressError as exc:
        raise click.ClickException(str(exc)) from exc
