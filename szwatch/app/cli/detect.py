"""``szwatch detect`` and ``szwatch watch``: run the watchlist over stored stories, list and try watches."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import (
    MAX_LIMIT,
    check_watchlist,
    cli,
    config_option,
    db_option,
    json_option,
    open_db,
    pick_watchlist,
    pick_watchlist_quickly,
    watchlist_option,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from szwatch.app.watchlist_choice import Chosen
    from szwatch.monitor.detection.detect import RescanPreview
    from szwatch.monitor.detection.watchlist import Watchlist
    from szwatch.store.plain import Plain


@cli.command("detect")
@watchlist_option
@click.option(
    "--rescan",
    is_flag=True,
    help="Re-evaluate every stored story (after the watchlist changed); shows what it would remove and asks first.",
)
@click.option("--yes", is_flag=True, help="With --rescan: remove without asking.")
@click.option(
    "--alert-existing",
    is_flag=True,
    help="Alert on stories already stored and on old issues too (no baseline, no [alerts] max_age_days).",
)
@db_option
@config_option
@json_option
def detect_command(
    watchlist_path: str | None, rescan: bool, yes: bool, alert_existing: bool, db_url: str | None,
    config_path: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Match new stories against the watchlist; store mentions, figures, and alerts with their deliveries.

    A watch's first detection is its baseline: findings are stored, alerts are raised only for stories stored
    after it. A watchlist other than the one the store was last detected with must be named with --watchlist.
    Example: szwatch detect --watchlist my-watchlist.toml
    """
    from szwatch.app.settings import load_settings
    from szwatch.app.source_health import paper_names, provincial_papers
    from szwatch.monitor.detection.detect import detect

    settings = load_settings(config_path)
    chosen = pick_watchlist(watchlist_path, settings)
    engine = open_db(db_url)
    check_watchlist(engine, chosen)
    click.echo(chosen.describe(), err=True)
    provincial = provincial_papers(settings)
    preview = _rescan_confirmed(engine, chosen.watchlist, yes, provincial) if rescan else None
    try:
        report = detect(engine, chosen.watchlist, rescan=rescan, routes=settings.routes,
                        max_age_days=settings.alerts.max_age_days, alert_existing=alert_existing,
                        provincial=provincial, papers=paper_names(settings),
                        kept=preview.kept if preview else None)  # fmt: skip
    finally:
        if preview:
            preview.kept.close()
    if as_json:
        click.echo(json.dumps({**asdict(report), "findings": report.findings}, ensure_ascii=False))
    else:
        click.echo(render.detect_summary(report))
    note = render.no_channel_note(report.alerts, len(settings.channels), len(settings.routes))
    if note:
        click.echo(note, err=True)


def _rescan_confirmed(engine: Engine, watchlist: Watchlist, yes: bool, provincial: frozenset[str]) -> RescanPreview:
    """Show what a rescan would remove; ask unless --yes (or unless it removes nothing). The preview keeps every
    story's findings, which the rescan then stores without analysing the archive again."""
    from szwatch.monitor.detection.detect import preview_rescan

    preview = preview_rescan(engine, watchlist, provincial=provincial)
    click.echo(render.rescan_preview(preview), err=True)
    if yes or not preview.removed or click.confirm("remove them?", default=False, err=True):
        return preview
    preview.kept.close()
    click.echo("rescan cancelled: nothing changed", err=True)
    raise SystemExit(1)


def _note_other_watchlist(db: Plain, chosen: Chosen) -> None:
    """``watch test`` stores nothing, so another watchlist is not refused; it is said, so a missing watch is not
    taken for a missing story."""
    from szwatch.app.watchlist_choice import refusal
    from szwatch.store.findings.watchlists import remembered

    why = refusal(chosen, remembered(db))
    if why:
        click.echo(f"note: {why.split('; pass')[0]}", err=True)


@cli.group("watch")
def watch_group() -> None:
    """Inspect the watchlist and try watches on the archive."""


@watch_group.command("list")
@watchlist_option
@config_option
def watch_list(watchlist_path: str | None, config_path: str | None) -> None:
    """Every watch with its kind, name, aliases and tags, after the file they come from and why that one.

    Example: szwatch watch list
    """
    chosen = pick_watchlist_quickly(watchlist_path, config_path)
    click.echo(render.watch_table(chosen.watchlist, chosen.source))


@watch_group.command("test")
@click.argument("watch_id", required=False)
@click.option("--name", help="Try a project name that is not in the watchlist yet.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True)
@watchlist_option
@db_option
@config_option
def watch_test(
    watch_id: str | None, name: str | None, limit: int, watchlist_path: str | None, db_url: str | None,
    config_path: str | None,
) -> None:  # fmt: skip
    """Show what a watch would match in the archive, before you save it (nothing is stored).

    Example: szwatch watch test --name 东立多晶硅项目
    """
    from szwatch.monitor.detection.findings import preview_watch
    from szwatch.monitor.detection.watchlist import Watchlist, parse_watchlist
    from szwatch.store.db import plain_reader

    chosen = pick_watchlist_quickly(watchlist_path, config_path)
    watchlist = chosen.watchlist
    if not name:
        click.echo(chosen.describe(), err=True)
    if name:
        draft = parse_watchlist(Path("<--name>"), "", {"project": [{"id": "draft", "name": name}]})
    elif watch_id and (watch := watchlist.get(watch_id)):
        draft = Watchlist(watchlist.path, (watch,), watchlist.digest)
    else:
        raise click.UsageError(
            f"no watch {watch_id!r} in {watchlist.path}" if watch_id else "give a watch ID or --name"
        )
    with plain_reader(db_url) as plain:  # plain SQL like search: no ORM to import (start-up)
        if not name:
            _note_other_watchlist(plain, chosen)
        hits = preview_watch(plain, draft, limit)
    click.echo(render.preview(hits) if hits else "no story in the archive matches")
