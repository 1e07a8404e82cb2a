"""The ``szwatch`` command as a user runs it: real process, real exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy.engine import Engine

from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from tests.conftest import store_story

DAY = "2024-05-07"


def szwatch(*args: str, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"SZWATCH_DB": db_url} if db_url else {})}
    return subprocess.run(
        [sys.executable, "-m", "szwatch", "--quiet", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--date", "2024-13-40"], "is not a date"),
        (["crawl", "--from", "2024-05-10", "--to", "2024-05-01"], "--from 2024-05-10 is after --to 2024-05-01"),
        (["crawl"], "nothing to crawl"),
        (["crawl", "--from", "2024-05-10"], "--from and --to go together"),
        (["crawl", "--latest", "--delay", "-1"], "--delay"),
        (["export", "articles", "--format", "xml"], "'xml' is not one of"),
        (["nonsense"], "No such command"),
    ],
)
def test_misuse_is_one_line_and_exit_2(args: list[str], message: str, tmp_path):
    result = szwatch(*args, db_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_bad_database_url_is_one_line(tmp_path):
    result = szwatch("search", "煤", db_url="nonsense://")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("szwatch: error: cannot open database")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    (tmp_path / "notes.db").write_text("not a database\n", encoding="utf-8")
    result = szwatch("search", "煤", db_url=f"sqlite:///{tmp_path / 'notes.db'}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"szwatch: error: cannot open database sqlite:///{tmp_path / 'notes.db'}: file is not a database"
    ]
    assert (tmp_path / "notes.db").read_text(encoding="utf-8") == "not a database\n"  # left as it was


def test_search_reads_the_embedded_store_without_loading_sqlalchemy(tmp_path):
    """What keeps ``szwatch search`` quick to start (README, Start-up): an embedded store at the newest
    migration is read with the standard library's sqlite3; SQLAlchemy and the ORM models stay unloaded."""
    url = f"sqlite:///{tmp_path / 'szwatch.db'}"
    engine = open_store(url)
    store_story(engine, date(2024, 5, 6), 1, "东立多晶硅项目投产", ["平鲁区东立多晶硅项目今日投产。"])
    engine.dispose()
    code = (
        "import sys\nfrom szwatch.app.cli import main\nsys.argv = ['szwatch', 'search', '多晶硅']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({'sqlalchemy', 'sqlmodel', 'alembic', 'scrapy'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SZWATCH_DB": url})  # fmt: skip
    assert "东立多晶硅项目投产" in result.stdout, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [(["mentions", "dongli-polysilicon"], "东立多晶硅项目投产"), (["indicators", "gdp"], "298.6亿元"),
     (["export", "articles"], "东立多晶硅项目投产")],
)  # fmt: skip
def test_mentions_and_indicators_read_without_loading_sqlalchemy(tmp_path, argv: list[str], expected: str):
    """``szwatch mentions`` and ``szwatch indicators`` start like ``search`` (docs/architecture.md, Start-up):
    plain SQL through sqlite3, no SQLAlchemy, no ORM models."""
    url = f"sqlite:///{tmp_path / 'szwatch.db'}"
    engine = open_store(url)
    store_story(engine, date(2024, 5, 6), 1, "东立多晶硅项目投产", ["平鲁区东立多晶硅项目今日投产。"])
    store_story(
        engine, date(2024, 5, 7), 2, "经济开局良好", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"]
    )
    detect(engine, load_watchlist())
    engine.dispose()
    code = (
        f"import sys\nfrom szwatch.app.cli import main\nsys.argv = ['szwatch', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({'sqlalchemy', 'sqlmodel', 'alembic', 'scrapy'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SZWATCH_DB": url})  # fmt: skip
    assert expected in result.stdout, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_unreachable_site_exits_2_with_reason(tmp_path):
    result = szwatch("crawl", "--date", DAY, "--base-url", "http://127.0.0.1:9", "--delay", "0",
                     db_url=f"sqlite:///{tmp_path / 'x.db'}")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("szwatch: site unreachable")
    assert "crawl run 1: unreachable" in result.stdout


def test_crawl_search_and_export(site: ReplicaServer, db_url: str, engine: Engine):
    crawled = szwatch("crawl", "--date", DAY, "--base-url", site.url, "--delay", "0", "--concurrency", "8",
                      db_url=db_url)  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr
    assert "1 complete" in crawled.stdout and "problems  none" in crawled.stdout

    found = szwatch("search", "项目", "--json", db_url=db_url)
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert hits and all(h["issue_date"] == DAY and "项目" in h["snippet"] + h["title"] for h in hits)
    assert all({"issue_date", "page", "title", "snippet", "url"} <= set(h) for h in hits)

    exported = szwatch("export", "articles", "--format", "jsonl", db_url=db_url)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    fields = {"url", "issue_date", "issue_no", "page", "page_name", "kicker", "title", "subtitle", "byline", "text"}
    assert len(rows) > 30 and all(fields <= set(r) for r in rows)
    assert {r["issue_date"] for r in rows} == {DAY} and {r["issue_no"] for r in rows} == {9032}

    as_csv = szwatch("export", "articles", "--format", "csv", db_url=db_url)
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(table) == len(rows) and table[0]["page"] == "A1"


def test_crawl_with_problems_exits_1(site: ReplicaServer, tmp_path):
    site.fail("/shtml/szrb/20240507/vA2.shtml", "500", "500", "500", "500")
    result = szwatch("crawl", "--date", DAY, "--base-url", site.url, "--delay", "0", "--json",
                     db_url=f"sqlite:///{tmp_path / 'x.db'}")  # fmt: skip
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "problems" and report["stats"]["issues_incomplete"] == 1
    assert result.stderr.strip().splitlines()[-1] == "szwatch: crawl finished with 1 problem(s)"


def test_demo_prints_a_summary_of_the_crawled_replica(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "szwatch", "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "crawl run 1: ok" in result.stdout
    assert "days without a paper" in result.stdout
    assert "【多晶硅】" in result.stdout
    assert "szwatch indicators gdp" in result.stdout and "亿元" in result.stdout
    assert "detect: " in result.stdout
    baseline, _, after = result.stdout.partition("a new issue appears")
    assert (
        "findings; baseline for 18 new watches (stories stored so far raise no alerts for them), no alerts raised"
        in baseline
    )
    assert re.search(r"findings; [1-9]\d* alerts? raised", after)
    accepted = re.search(r"企业微信-style group robot accepted (\d+) messages", after)
    assert accepted and int(accepted.group(1)) > 0 and "│ ## [szwatch] " in after  # the chat group got them
    # two papers in two families, in one store: both crawled whole, twice, and both in what the reader sees
    assert result.stdout.count("crawl run 2: ok") == result.stdout.count("crawl run 4: ok") == 1
    assert "dtrb: szwatch crawl --profile dtrb --latest" in after and "《朔州日报》2024-05-17" in after
    assert "  dtrb  " in result.stdout  # 大同日报's search hits beside 朔州日报's
