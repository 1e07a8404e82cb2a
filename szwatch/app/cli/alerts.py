"""``szwatch alerts``, ``deliver`` and ``notify-test``: the outbox and its channels."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import (
    MAX_ID,
    MAX_LIMIT,
    Day,
    cli,
    config_option,
    db_option,
    json_option,
    open_db,
    pick_watchlist,
    watchlist_option,
)


@cli.group("alerts", invoke_without_command=True)
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only alerts with such deliveries.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True)
@db_option
@json_option
@click.pass_context
def alerts_group(ctx: click.Context, status: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """Alerts raised, newest first, with the state of each delivery.

    Example: szwatch alerts --status failed
    """
    from szwatch.monitor.alerts import messages
    from szwatch.store.db import plain_reader
    from szwatch.store.reads.alerts import list_alerts

    if ctx.invoked_subcommand:
        return
    with plain_reader(db_url) as conn:  # plain SQL like search: no ORM to import (start-up)
        rows = list_alerts(conn, status, limit)
    if as_json:
        for alert, deliveries in rows:
            data = messages.alert_dict(alert)
            data["deliveries"] = [render.delivery_dict(d) for d in deliveries]
            click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(render.alerts_table(rows) if rows else "no alerts")


@alerts_group.command("retry")
@click.argument("alert_ids", metavar="[ID]...", nargs=-1, type=click.IntRange(1, MAX_ID))
@click.option("--failed", "all_failed", is_flag=True, help="Every failed delivery (narrow with --channel, --since).")
@click.option("--channel", help="Only deliveries to this channel.")
@click.option("--since", type=Day(), help="Only alerts raised on or after this day (Asia/Shanghai).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def alerts_retry(
    alert_ids: tuple[int, ...], all_failed: bool, channel: str | None, since: date | None, yes: bool,
    db_url: str | None,
) -> None:  # fmt: skip
    """Queue failed deliveries again (they go out with the next `szwatch deliver`): of the alerts given, or all
    of them with --failed (after a count and a confirmation, or --yes).

    Example: szwatch alerts retry 41 42; szwatch alerts retry --failed --channel team-wecom --since 2024-05-01
    """
    from szwatch.common.clock import day_start_utc
    from szwatch.store import alerts as store_alerts
    from szwatch.store.db import session_scope

    if bool(alert_ids) == all_failed:
        raise click.UsageError("give alert IDs or --failed (every failed delivery), not both")
    engine = open_db(db_url)
    with session_scope(engine) as session:
        rows = store_alerts.failed_deliveries(session, alert_ids, channel, day_start_utc(since) if since else None)
        if not rows:
            raise click.ClickException("no failed delivery matches")
        alerts = sorted({r.alert_id for r in rows})
        what = f"{len(rows)} failed delivery(ies) of {len(alerts)} alert(s)"
        if all_failed and not yes and not _confirmed(f"queue {what} again?"):  # IDs named one by one are meant
            raise click.UsageError(f"{what}: not queued (add --yes to queue them)")
        count = store_alerts.requeue(session, rows)
    click.echo(f"{count} delivery(ies) of {len(alerts)} alert(s) queued again")


def _confirmed(question: str) -> bool:
    """Ask on a terminal; from a script (no terminal) the answer is no: ``--yes`` says it instead."""
    return sys.stdin.isatty() and click.confirm(question, default=False, err=True)


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
    names = {w.id: w.name for w in pick_watchlist(watchlist_path, settings).watchlist.watches}
    report = deliver_due(open_db(db_url), settings, names)
    click.echo(render.delivery_summary(report))
    for line in settings.problem_lines():  # the other channels were served; these wait, and say why
        click.echo(f"szwatch: {line}", err=True)
    sys.exit(1 if report.failed or settings.problems else 0)


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
