"""``szwatch status``, ``sources``, ``config show`` and ``watch test`` start like ``search`` (docs/architecture.md,
Start-up): they read with plain SQL, so on the embedded store neither SQLAlchemy nor the ORM models are imported —
what a user notices as a command that answers at once. On PostgreSQL they say the same things."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import Route
from szwatch.monitor.detection.detect import detect
from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import RunStatus
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import WATCHLIST, baseline
from tests.store.test_runs import a_dead_pid

COMMANDS = [
    (["status"], ["newest      issue 2024-05-07", "pending     1 × desk: due now", "crawling    run #1 (pid",
                  "layout          fallback selector used on 3 URLs"]),
    (["status", "--json"], ['"newest_issue": "2024-05-07"', '"running_runs": [{"id": 1', '"kind": "layout"']),
    (["sources"], ["szrb           朔州日报       shtml         yes  2024-05-07    -           ok"]),
    (["config", "show"], ['"daemon": {']),
    (["watch", "test", "dongli-polysilicon"], ["2024-05-07  A1  项目一  [name]", "【东立多晶硅项目】开工建设。"]),
]  # fmt: skip
HEAVY = "print(sorted({'sqlalchemy', 'sqlmodel', 'alembic', 'scrapy'} & set(sys.modules)))"


def an_installation_at_work(engine: Engine) -> None:
    """Stories detected with a pending delivery, a crawl still at work (its worker, this test's process, is alive:
    ``status`` must not close it), and a later one, finished, that met a layout problem on three pages."""
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目一", ["东立多晶硅项目开工建设。"])
    assert detect(engine, WATCHLIST, routes=(Route(channel="desk"),)).alerts == 1
    with session_scope(engine) as session:
        runs.start_run(session, "date", "http://szb.example", {"dates": ["2024-05-08"]}, os.getpid(), runs.this_host())
        done = runs.start_run(session, "date", "http://szb.example", {"dates": ["2024-05-07"]})
        for page in ("A1", "A2", "A3"):
            runs.add_problem(session, done.id or 0, "layout", f"http://szb.example/{page}", "fallback selector used")
        runs.finish_run(session, done.id or 0, RunStatus.PROBLEMS, {"articles_new": 1})


@pytest.mark.parametrize(("argv", "expected"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_read_commands_answer_without_the_orm(engine: Engine, db_url: str, argv: list[str], expected: list[str]):
    an_installation_at_work(engine)
    code = (f"import sys\nfrom szwatch.app.cli import main\nsys.argv = ['szwatch', *{argv!r}]\n"
            f"try:\n    main()\nexcept SystemExit:\n    pass\n{HEAVY}")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "SZWATCH_DB": db_url})  # fmt: skip
    for text in expected:
        assert text in result.stdout, result.stdout + result.stderr
    if db_url.startswith("sqlite"):  # PostgreSQL is read through SQLAlchemy (still no ORM models)
        assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_status_closes_a_crawl_whose_worker_died_and_says_so(engine: Engine, db_url: str):
    """The one write of ``status``: a run left "running" by a killed worker is closed as interrupted (the ORM is
    loaded for that only), and the next ``status`` no longer finds it."""
    dead = a_dead_pid()
    with session_scope(engine) as session:
        runs.start_run(session, "date", "http://szb.example", {"dates": ["2024-05-07"]}, dead, runs.this_host())
    env = {**os.environ, "SZWATCH_DB": db_url}
    first = subprocess.run([sys.executable, "-m", "szwatch", "status"], capture_output=True, text=True, env=env)
    second = subprocess.run([sys.executable, "-m", "szwatch", "status"], capture_output=True, text=True, env=env)
    assert f"interrupted crawl run #1: interrupted: its worker (pid {dead}) is gone" in first.stdout
    assert "interrupted crawl run" not in second.stdout and "crawling" not in second.stdout
    assert "last crawl  #1 interrupted" in second.stdout
