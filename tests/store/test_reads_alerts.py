"""The alert list read with plain SQL (``szwatch alerts``, the web view's alert list) says what the ORM rows say."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from szwatch.app import cli_text as render
from szwatch.monitor.alerts import messages
from szwatch.store.db import open_store, plain_reader, session_scope
from szwatch.store.models import Alert, AlertDelivery
from szwatch.store.reads.alerts import list_alerts


def raise_alerts(engine: Engine) -> None:
    """A figure alert sent to one channel and failed on another, and a mention waiting for its digest."""
    with session_scope(engine) as session:
        figure = Alert(
            dedupe_key="fig-1", rule="new_figure", watch_id="gdp", watch_name="地区生产总值", tags=["经济"],
            story_url="http://paper.local/a1.shtml", issue_date=date(2024, 5, 7), page="A1",
            title="经济开局良好", snippet="全市地区生产总值完成298.6亿元，同比增长5.4%。",
            figures=[{"value": 298.6, "unit": "亿元", "period": "2024年一季度"}], change={"growth_pct": 5.4},
            created_at=datetime(2024, 5, 7, 1, 30, tzinfo=UTC),
        )  # fmt: skip
        mention = Alert(dedupe_key="men-1", rule="new_mention", watch_id="dongli-polysilicon",
                        watch_name="东立多晶硅项目", snippet="东立多晶硅项目开工建设。")  # fmt: skip
        session.add_all([figure, mention])
        session.flush()
        session.add_all([
            AlertDelivery(alert_id=figure.id or 0, channel="hook", status="sent", attempts=1, idempotency_key="k1",
                          sent_at=datetime(2024, 5, 7, 1, 31, tzinfo=UTC)),
            AlertDelivery(alert_id=figure.id or 0, channel="mail", status="failed", attempts=5, idempotency_key="k2",
                          last_error="HTTP 404 Not Found"),
            AlertDelivery(alert_id=mention.id or 0, channel="mail", mode="digest", batch=3, idempotency_key="k3"),
        ])  # fmt: skip


def test_plain_rows_render_as_the_orm_rows_do(engine: Engine):
    """Newest first, each with its deliveries; the webhook JSON and the CLI table of a plain row are those of
    the ORM row it was read from, on SQLite and PostgreSQL."""
    raise_alerts(engine)
    with session_scope(engine) as session:
        plain = list_alerts(session)
        orm = {a.id: a for a in session.exec(select(Alert)).all()}
        orm_deliveries = {d.idempotency_key: d for d in session.exec(select(AlertDelivery)).all()}
        assert [a.rule for a, _ in plain] == ["new_mention", "new_figure"]
        for alert, deliveries in plain:
            assert messages.alert_dict(alert) == messages.alert_dict(orm[alert.id])
            for d in deliveries:
                assert render.delivery_dict(d) == render.delivery_dict(orm_deliveries[d.idempotency_key])  # type: ignore[arg-type]
        only_failed = list_alerts(session, "failed")
    assert [a.dedupe_key for a, _ in only_failed] == ["fig-1"]
    table = render.alerts_table(plain)
    assert "hook:sent, mail:failed(5)" in table and "mail: HTTP 404 Not Found" in table
    assert "东立多晶硅项目" in table and "2024-05-07 经济开局良好" in table


def test_alerts_command_reads_without_loading_sqlalchemy(tmp_path):
    """``szwatch alerts`` starts like ``search`` (docs/architecture.md, Start-up): plain SQL through sqlite3, no
    SQLAlchemy, no ORM models, and the same list."""
    url = f"sqlite:///{tmp_path / 'szwatch.db'}"
    engine = open_store(url)
    raise_alerts(engine)
    engine.dispose()
    code = (
        "import sys\nfrom szwatch.app.cli import main\nsys.argv = ['szwatch', 'alerts', '--status', 'failed']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({'sqlalchemy', 'sqlmodel', 'alembic', 'scrapy'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SZWATCH_DB": url})  # fmt: skip
    assert "new_figure" in result.stdout and "mail: HTTP 404 Not Found" in result.stdout, result.stderr
    assert "new_mention" not in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
    with plain_reader(url) as conn:
        assert len(list_alerts(conn)) == 2
