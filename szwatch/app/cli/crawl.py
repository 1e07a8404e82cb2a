"""``szwatch crawl``: fetch issues of the paper into the store (one-off, a range, or the latest)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import Day, cli, config_option, db_option, json_option, open_db

if TYPE_CHECKING:
    from szwatch.app.settings import Settings
    from szwatch.crawler.run import CrawlReport


CRAWL_WORKER = "szwatch.crawler.worker"  # crawler.run.WORKER_MODULE, named here without importing it (the ORM)
LONG_RANGE_DAYS = 366  # a longer range asks for confirmation (or --yes)


@cli.command("crawl")
@click.option("--latest", is_flag=True, help="The newest issue, found from the entry page.")
@click.option("--date", "dates", type=Day(), multiple=True, help="An issue date (repeatable).")
@click.option("--from", "start", type=Day(), help="First date of a range.")
@click.option("--to", "end", type=Day(), help="Last date of a range.")
@click.option("--base-url", help="Crawl another host with the same shape (the replica, a mirror).")
@click.option("--refresh", is_flag=True, help="Download again what is already stored.")
@click.option(
    "--profile",
    metavar="ID|FILE",
    help="A bundled source profile's id (szrb, szrb-epaper, sxrb …) or a profile file (default: szrb).",
)
@click.option(
    "--source",
    "source_id",
    metavar="ID",
    help="A [[source]] of the settings (its profile and base URL); see szwatch sources.",
)
@click.option(
    "--paper",
    "paper_id",
    metavar="ID",
    help="Every [[source]] (site) of one paper, in the settings' order: each date from the site that has it.",
)
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests (polite default: 2).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Requests at once per host (default: 2).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="When another crawl of the same dates runs on this database: wait for it, or refuse.")  # fmt: skip
@click.option("--yes", is_flag=True, help=f"Crawl a range of more than {LONG_RANGE_DAYS} days without asking.")
@db_option
@config_option
@json_option
def crawl_command(
    latest: bool, dates: tuple[date, ...], start: date | None, end: date | None, base_url: str | None,
    refresh: bool, profile: str | None, source_id: str | None, paper_id: str | None, delay: float | None,
    concurrency: int | None, wait: bool, yes: bool,
    db_url: str | None, config_path: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Fetch issues into the store: the latest, given dates, or a range.

    Example: szwatch crawl --from 2024-05-06 --to 2024-05-10
    """
    from szwatch.common.early_child import release, start_child

    # The crawl's child starts loading now, while this process loads, checks the store and claims the run
    # (``common.early_child``); one site only: ``--paper`` crawls its sites one after another, each with a child of
    # its own.
    worker = start_child(CRAWL_WORKER) if paper_id is None else None
    try:
        _crawl(latest, (dates, start, end), base_url, refresh, profile, source_id, paper_id, delay, concurrency,
               wait, yes, db_url, config_path, as_json, worker)  # fmt: skip
    finally:
        if worker is not None:
            release(worker)


def _wanted(dates: tuple[date, ...], start: date | None, end: date | None) -> tuple[date, ...]:
    """The dates asked: each ``--date`` and every day of ``--from``/``--to``."""
    from szwatch.crawler.run import date_range

    if (start is None) != (end is None):
        raise click.UsageError("--from and --to go together")
    return tuple(dates) + (date_range(start, end) if start and end else ())


def _crawl(
    latest: bool, asked: tuple[tuple[date, ...], date | None, date | None], base_url: str | None, refresh: bool,
    profile: str | None, source_id: str | None, paper_id: str | None, delay: float | None, concurrency: int | None,
    wait: bool, yes: bool, db_url: str | None, config_path: str | None, as_json: bool,
    worker: subprocess.Popen[bytes] | None,
) -> None:  # fmt: skip
    # Loading the ORM makes many objects that live as long as this process, and no garbage: the collector is off
    # while it loads and then leaves them out of its sight (about 0.07 s of CPU otherwise, and every full collection
    # after would go through them again).
    gc.disable()
    try:
        from szwatch.app.settings import load_settings
        from szwatch.crawler.run import CrawlRequest, crawl
        from szwatch.monitor.alerts.operator import crawl_run_alert
    finally:
        gc.freeze()
        gc.enable()
    wanted = _wanted(*asked)
    if not latest and not wanted:
        raise click.UsageError("nothing to crawl: give --latest, --date or --from/--to")
    if len(wanted) > LONG_RANGE_DAYS and not yes:
        _confirm_long(len(wanted))
    settings = load_settings(config_path)
    if paper_id is not None:
        if profile or source_id:
            raise click.UsageError("--paper, --source and --profile each name the paper: give one")
        return _crawl_paper(paper_id, settings, latest, tuple(sorted(set(wanted))), refresh, delay, concurrency, wait,
                            db_url, as_json)  # fmt: skip
    if source_id is not None:
        if profile:
            raise click.UsageError("--source and --profile name the paper twice: give one")
        source = settings.source(source_id)
        if source is None:
            known = ", ".join(s.id for s in (settings.sources or settings.watched()))
            raise click.UsageError(f"no source {source_id!r} in the settings (sources: {known})")
        profile, base_url = source.profile, base_url or source.schedule.base_url or None
    request = CrawlRequest(
        latest=latest, dates=tuple(sorted(set(wanted))), base_url=base_url, refresh=refresh, profile=profile,
        delay=delay, concurrency=concurrency, wait=wait, **_log_options(),
    )  # fmt: skip
    from szwatch.app.progress import CrawlProgress

    engine = open_db(db_url)
    quiet = click.get_current_context().find_root().params.get("quiet")
    progress = CrawlProgress(engine, lambda line: click.echo(line, err=True))
    if not quiet:
        progress.start()
    try:
        report = crawl(request, engine, worker=worker)
    finally:
        progress.stop()
    crawl_run_alert(engine, settings, report.run_id)
    engine.dispose()  # closed here, not left to the exit (``gc.freeze`` in ``_finish_crawl``)
    _finish_crawl(report, as_json)


def _confirm_long(days: int) -> None:
    """A range of years is hours of polite requests to someone else's site: asked for on purpose, not by a typo."""
    question = f"{days} days to crawl (more than {LONG_RANGE_DAYS})"
    if not sys.stdin.isatty():
        raise click.UsageError(f"{question}: add --yes to crawl them")
    if not click.confirm(f"{question}; go on?", default=False):
        raise click.UsageError(f"{question}: not confirmed")


def _crawl_paper(
    paper_id: str, settings: Settings, latest: bool, dates: tuple[date, ...], refresh: bool, delay: float | None,
    concurrency: int | None, wait: bool, db_url: str | None, as_json: bool,
) -> None:  # fmt: skip
    """A backfill (or the newest issue) of a paper on several sites: the sites in the settings' order, each asked
    for the dates it serves; an issue one site completed is skipped by the next (it is the same paper's)."""
    from szwatch.crawler.run import CrawlRequest, CrawlUsageError, crawl
    from szwatch.monitor.alerts.operator import crawl_run_alert

    sites = [s for s in (settings.sources or settings.watched()) if s.paper == paper_id]
    if not sites:
        known = ", ".join(sorted({s.paper for s in (settings.sources or settings.watched())}))
        raise click.UsageError(f"no source of paper {paper_id!r} in the settings (papers: {known})")
    engine, worst = open_db(db_url), 0
    for site in sites:
        request = CrawlRequest(
            latest=latest, dates=dates, base_url=site.schedule.base_url or None, refresh=refresh, profile=site.profile,
            delay=delay, concurrency=concurrency, wait=wait, **_log_options(),
        )  # fmt: skip
        try:
            report = crawl(request, engine)
        except CrawlUsageError as exc:  # this site serves none of the dates: the next one may
            click.echo(f"{site.id}: {exc}", err=True)
            continue
        crawl_run_alert(engine, settings, report.run_id)
        click.echo(f"{site.id}: " + (json.dumps(render.report_dict(report), ensure_ascii=False) if as_json
                                     else render.crawl_summary(report)))  # fmt: skip
        worst = max(worst, report.exit_code)
    sys.exit(worst)


def _log_options() -> dict[str, Any]:
    """The crawler's child logs as the command was told to (``--quiet``, ``--log-json``)."""
    root = click.get_current_context().find_root().params
    return {"log_level": "WARNING" if root.get("quiet") else "INFO", "log_json": bool(root.get("log_json"))}


def _finish_crawl(report: CrawlReport, as_json: bool) -> None:
    click.echo(json.dumps(render.report_dict(report), ensure_ascii=False) if as_json else render.crawl_summary(report))
    reason = render.exit_reason(report)
    if reason:
        click.echo(f"szwatch: {reason}", err=True)
    # The command is done and its store closed: Python's garbage collections over the ORM's and Alembic's objects at
    # exit (about 0.15 s of CPU) would only tidy memory the system frees at once. Frozen objects are never collected
    # again; atexit handlers, flushes and reference-counted finalisers still run.
    gc.freeze()
    sys.exit(report.exit_code)
