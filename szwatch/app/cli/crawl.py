"""``szwatch crawl``: fetch issues of the paper into the store (one-off, a range, or the latest)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import Day, cli, config_option, db_option, json_option, open_db

if TYPE_CHECKING:
    from szwatch.crawler.run import CrawlReport


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
    from szwatch.app.progress import CrawlProgress

    settings = load_settings(config_path)
    engine = open_db(db_url)
    quiet = click.get_current_context().find_root().params.get("quiet")
    progress = CrawlProgress(engine, lambda line: click.echo(line, err=True))
    if not quiet:
        progress.start()
    try:
        report = crawl(request, engine)
    finally:
        progress.stop()
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
