"""``szwatch alerts``, ``deliver`` and ``notify-test``: the outbox and its channels."""

from __future__ import annotations

import json
import sys

import click

from szwatch.app import cli_text as render
from szwatch.app.cli.base import cli, config_option, db_option, json_option, open_db, pick_watchlist, watchlist_option


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
    with session_scope(open_db(db_url)) as session:
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

    with session_scope(open_db(db_url)) as session:
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
    names = {w.id: w.name for w in pick_watchlist(watchlist_path, settings).watchlist.watches}
    report = deliver_due(open_db(db_url), settings, names)
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
