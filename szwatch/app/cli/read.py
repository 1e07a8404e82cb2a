"""Read commands: ``search``, ``mentions``, ``indicators`` and ``export``; they only read the store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import MAX_LIMIT, F, cli, config_option, db_option, json_option, watchlist_option
from szwatch.app.export import ENCODINGS, FORMATS

if TYPE_CHECKING:
    from szwatch.store.plain import Db, Plain


@cli.command("search")
@click.argument("text")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True)
@click.option("--paper", metavar="ID", help="One paper's articles only (szrb, sxrb …; see szwatch sources).")
@db_option
@json_option
def search_command(text: str, limit: int, paper: str | None, db_url: str | None, as_json: bool) -> None:
    """Full-text search of stored articles (Chinese works; one-character queries too).

    Example: szwatch search 多晶硅
    """
    from szwatch.store.db import plain_reader
    from szwatch.store.search import search as search_articles

    # Plain SQL, not a session: on the embedded store neither SQLAlchemy nor the ORM is imported (start-up).
    with plain_reader(db_url) as conn:
        hits = search_articles(conn, text, limit, paper)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(render.hit_dict(hit), ensure_ascii=False))
        return
    click.echo(render.hits_table(hits) if hits else f"no article mentions {text!r}")


def _watch_id(given: str | None, kind: str, watchlist_path: str | None, config_path: str | None) -> str | None:
    """The watch a user named by id, name or alias (``地区生产总值``, ``GDP``, ``gdp``). A name in no watch is
    returned as given: findings of a watch since removed from the watchlist stay readable by its id, and
    ``_none_found`` says "no such watch" when nothing is stored under it either."""
    if not given:
        return None
    from szwatch.app.cli.base import pick_watchlist_quickly
    from szwatch.app.watchlist_choice import find_watch

    chosen = pick_watchlist_quickly(watchlist_path, config_path)
    watch = find_watch(chosen.watchlist, given)
    if watch is None:
        return given
    if watch.kind != kind:
        other = "mentions" if watch.kind == "project" else "indicators"
        article = "an" if watch.kind == "indicator" else "a"
        raise click.UsageError(f"{given!r} is {article} {watch.kind} ({watch.id}): try szwatch {other} {watch.id}")
    return watch.id


def _none_found(given: str | None, watch_id: str | None, watchlist_path: str | None, config_path: str | None,
                noun: str) -> str:  # fmt: skip
    """Why the table is empty: no such watch (one line, exit 2), or nothing detected for it yet."""
    if given and watch_id == given:
        from szwatch.app.cli.base import pick_watchlist_quickly

        chosen = pick_watchlist_quickly(watchlist_path, config_path)
        if chosen.watchlist.get(given) is None:
            raise click.UsageError(f"no such watch {given!r} in {chosen.path} (szwatch watch list shows them)")
    return f"no {noun} stored (run szwatch detect)"


@cli.command("mentions")
@click.argument("watch_id", required=False)
@watchlist_option
@config_option
@db_option
@json_option
def mentions_command(watch_id: str | None, watchlist_path: str | None, config_path: str | None, db_url: str | None,
                     as_json: bool) -> None:  # fmt: skip
    """Stored mentions of tracked projects, oldest first; a project by id, name or alias.

    Example: szwatch mentions zhongmei-olefin
    """
    from szwatch.store.findings.finding_reads import mention_rows

    _show_findings(watch_id, "project", mention_rows, render.mentions_table, "mentions",
                   watchlist_path, config_path, db_url, as_json)  # fmt: skip


@cli.command("indicators")
@click.argument("indicator_id", required=False)
@watchlist_option
@config_option
@db_option
@json_option
def indicators_command(indicator_id: str | None, watchlist_path: str | None, config_path: str | None,
                       db_url: str | None, as_json: bool) -> None:  # fmt: skip
    """The time series of tracked indicators: period, value, growth, scope and source; one by id, name or alias.

    Example: szwatch indicators 地区生产总值
    """
    from szwatch.store.findings.finding_reads import observation_rows

    _show_findings(indicator_id, "indicator", observation_rows, render.indicators_table, "figures",
                   watchlist_path, config_path, db_url, as_json)  # fmt: skip


def _show_findings(
    given: str | None, kind: str, read: Callable[[Db, str | None], Iterable[dict[str, Any]]],
    table: Callable[[list[dict[str, Any]]], str], noun: str, watchlist_path: str | None, config_path: str | None,
    db_url: str | None, as_json: bool,
) -> None:  # fmt: skip
    """One watch's (or every watch's) findings, read with plain SQL like search: no ORM to import (start-up)."""
    from szwatch.store.db import plain_reader

    watch_id = _watch_id(given, kind, watchlist_path, config_path)
    with plain_reader(db_url) as conn:
        rows = list(read(conn, watch_id))
    if as_json:
        click.echo("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    else:
        click.echo(table(rows) if rows else _none_found(given, watch_id, watchlist_path, config_path, noun))


@cli.group("export")
def export_group() -> None:
    """Write stored data as JSON Lines or CSV."""


def export_options(func: F) -> F:
    func = db_option(func)
    func = click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
                        help="File (default stdout).")(func)  # fmt: skip
    func = click.option(
        "--encoding", type=click.Choice(ENCODINGS), default="utf-8-sig", show_default=True,
        help="CSV: utf-8-sig starts with a BOM so Excel reads Chinese; utf-8 leaves it out.",
    )(func)  # fmt: skip
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)(func)


def _export_plain(db_url: str | None, rows: Callable[[Plain], Iterable[dict[str, object]]], fields: list[str],
                  fmt: str, output: Any, noun: str, encoding: str) -> None:  # fmt: skip
    from szwatch.app.export import write_rows
    from szwatch.store.db import plain_reader

    with plain_reader(db_url) as conn:
        count = write_rows(rows(conn), fields, fmt, output, bom=encoding == "utf-8-sig")
    click.echo(f"exported {count} {noun}", err=True)


@export_group.command("articles")
@export_options
def export_articles(fmt: str, encoding: str, output: Any, db_url: str | None) -> None:
    """Every stored article with its issue and page.

    Example: szwatch export articles --format csv -o articles.csv
    """
    from szwatch.store.reads import articles as article_reads

    _export_plain(db_url, article_reads.article_rows, article_reads.EXPORT_FIELDS, fmt, output, "articles", encoding)


@export_group.command("mentions")
@export_options
def export_mentions(fmt: str, encoding: str, output: Any, db_url: str | None) -> None:
    """Every stored mention of a tracked project.

    Example: szwatch export mentions --format csv -o mentions.csv
    """
    from szwatch.store.findings import finding_reads

    _export_plain(db_url, finding_reads.mention_rows, finding_reads.MENTION_FIELDS, fmt, output, "mentions", encoding)


@export_group.command("indicators")
@export_options
def export_indicators(fmt: str, encoding: str, output: Any, db_url: str | None) -> None:
    """Every stored indicator figure (the time series).

    Example: szwatch export indicators --format csv -o indicators.csv
    """
    from szwatch.store.findings import finding_reads

    _export_plain(db_url, finding_reads.observation_rows, finding_reads.INDICATOR_FIELDS, fmt, output,
                  "indicator figures", encoding)  # fmt: skip
