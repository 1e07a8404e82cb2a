"""``szwatch sources``: the papers this installation watches, with their newest issue and health."""

from __future__ import annotations

import json
import sys

import click

from szwatch.app.cli.base import cli, config_option, db_option, json_option


@cli.command("sources")
@db_option
@config_option
@json_option
def sources_command(db_url: str | None, config_path: str | None, as_json: bool) -> None:
    """The [[source]] entries (or the default szrb): profile, family, newest issue, last crawl; exit 1 if one
    is unhealthy.

    Example: szwatch sources --json
    """
    from szwatch.app.settings import load_settings
    from szwatch.app.source_health import source_health
    from szwatch.store.db import plain_reader

    settings = load_settings(config_path)
    with plain_reader(db_url) as plain:  # plain SQL like search: no ORM to import (start-up)
        rows = source_health(plain, settings)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, default=str))
    else:
        click.echo(f"{'source':<14} {'paper':<10} {'family':<13} {'on':<4} {'newest issue':<13} "
                   f"{'complete':<11} health")  # fmt: skip
        for row in rows:
            click.echo(
                f"{row['id']:<14} {row['name']:<10} {row['family']:<13} {'yes' if row['enabled'] else 'no':<4} "
                f"{row['newest_issue'] or '-':<13} {row['newest_complete_issue'] or '-':<11} {row['health']}"
            )
    sys.exit(0 if all(row["health"] == "ok" for row in rows if row["enabled"]) else 1)
