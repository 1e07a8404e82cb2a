"""The ``szwatch`` group, its shared options and the entry point that turns user errors into one line.

The command modules beside this one register themselves on ``cli``; ``main`` is the console script.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from szwatch.app.settings import Settings
    from szwatch.app.watchlist_choice import Chosen

# Commands import what they use inside their bodies: `szwatch --help` and the read commands must not pay for
# Scrapy, Twisted, trafilatura, aiosmtpd or APScheduler (bench/startup.py measures it).
# Errors a user can fix, shown as one line (exit 2) instead of a traceback; looked up by module and name, so
# checking them imports nothing (a module that raised one is loaded already).
USER_ERRORS = (
    ("szwatch.crawler.run", "CrawlUsageError"),
    ("szwatch.common.config", "ConfigError"),  # settings, watchlist and profile files
    ("szwatch.store.errors", "StoreError"),
)

F = TypeVar("F", bound=Callable[..., Any])
# Bounds of integer options: a number the database cannot compare (past a bigint) used to end in OverflowError.
MAX_LIMIT = 100_000
MAX_ID = 2**63 - 1


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_url", envvar="SZWATCH_DB", metavar="URL", callback=_in_existing_folder,
        help="Database URL (sqlite:///file.db or postgresql+psycopg://…); default sqlite:///szwatch.db.",
    )(func)  # fmt: skip


def _in_existing_folder(ctx: click.Context, param: click.Parameter, url: str | None) -> str | None:
    """A SQLite file in a folder that does not exist is a typo more often than a wish for a new store: said, not
    silently created (the library still creates folders for its own callers: demo, tests, bench)."""
    if url and url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser().parent
        if str(folder) not in ("", ".") and not folder.is_dir():
            raise click.BadParameter(f"folder {folder} does not exist (create it first for a new store)", ctx, param)
    return url


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def config_option(func: F) -> F:
    return click.option(
        "--config", "config_path", envvar="SZWATCH_CONFIG", type=click.Path(dir_okay=False),
        help="Settings TOML (default: config/settings.toml or settings.toml if present).",
    )(func)  # fmt: skip


def watchlist_option(func: F) -> F:
    return click.option(
        "--watchlist", "watchlist_path", type=click.Path(dir_okay=False),
        help="Watchlist TOML (default: SZWATCH_WATCHLIST, else the settings' [daemon] watchlist, else "
        "./watchlist.toml, else the bundled example).",
    )(func)  # fmt: skip


def pick_watchlist(option: str | None, settings: Settings) -> Chosen:
    """The watchlist of this command, resolved as every other command and the web view resolve it."""
    from szwatch.app.watchlist_choice import choose

    return choose(option, settings.path, settings.daemon.watchlist)


def pick_watchlist_quickly(option: str | None, config_path: str | None) -> Chosen:
    """The same watchlist as ``pick_watchlist``, reading only the settings' one key (for the quick commands)."""
    from szwatch.app.settings_file import daemon_watchlist, settings_file
    from szwatch.app.watchlist_choice import choose

    path = settings_file(config_path)
    return choose(option, path, daemon_watchlist(path))


def check_watchlist(engine: Engine, chosen: Chosen) -> None:
    """Refuse (one line, exit 2) a watchlist that is not the one this store was last detected with."""
    from sqlmodel import Session

    from szwatch.app.watchlist_choice import WatchlistMismatchError, refusal
    from szwatch.store.findings.watchlists import remembered

    with Session(engine) as session:
        why = refusal(chosen, remembered(session))
    if why:
        raise WatchlistMismatchError(why)


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


def open_db(db_url: str | None) -> Engine:
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
        message = _user_error(exc)
        if message is None:
            raise
        click.echo(f"szwatch: error: {message}", err=True)
        sys.exit(2)


def _user_error(exc: Exception) -> str | None:
    """The one line for an error a user can act on, or None for a bug (whose traceback we want to see)."""
    for module, name in USER_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return str(exc)
    full = _disk_full(exc)
    if full:
        where = "" if full == "database or disk is full" else f": {full}"
        return (f"database or disk is full{where}; free some space and run it again (a crawl cut short is "
                "recorded as interrupted and completed by the next one)")  # fmt: skip
    return None


def _disk_full(exc: BaseException | None) -> str | None:
    """SQLite's "database or disk is full", PostgreSQL's DiskFull or ENOSPC, anywhere in the exception's chain."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else ""
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return exc.strerror or text
        if "database or disk is full" in text or "No space left on device" in text:
            return text
        exc = exc.__cause__ or exc.__context__
    return None
