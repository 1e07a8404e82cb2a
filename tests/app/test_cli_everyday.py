"""The small things an analyst meets every day, each as she would meet it: Chinese columns that line up, a CSV
Excel opens, a watch found by its name, a status that is not red for want of a daemon nobody asked for, log
times that say their zone, the demo's web view on a port of her choice."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from szwatch.app.cli_text import pad, width
from szwatch.replica.server import ReplicaServer
from tests.app.test_cli import szwatch


@pytest.fixture(scope="module")
def _detected(_server: ReplicaServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("everyday") / "store.db"
    db_url = f"sqlite:///{path}"
    crawled = szwatch("crawl", "--from", "2024-05-06", "--to", "2024-05-10", "--base-url", _server.url, "--delay", "0",
                      "--concurrency", "8", db_url=db_url)  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr
    assert szwatch("detect", db_url=db_url).returncode == 0
    return path


@pytest.fixture
def store(_detected: Path, tmp_path: Path) -> str:
    shutil.copy(_detected, tmp_path / "store.db")
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_display_width_counts_a_chinese_character_as_two_columns():
    assert width("怀仁市") == 6 and width("GDP") == 3 and width("628.7亿元") == 9
    assert pad("全市", 8) + "|" == "全市    |" and pad("怀仁市", 8) + "|" == "怀仁市  |"


def test_indicator_table_columns_line_up_in_a_terminal(store: str):
    table = szwatch("indicators", "gdp", db_url=store).stdout.splitlines()
    header, rows = table[0], table[1:]

    source_at = width(header[: header.index("source")])
    misaligned = [row for row in rows if width(row[: row.index(" 2024-05") + 1]) != source_at]
    assert rows and misaligned == []
    assert any("2023年上半年" in row for row in rows)  # the period it was resolved to


@pytest.mark.parametrize("name", ["地区生产总值", "GDP", "ｇｄｐ", "gdp"])
def test_an_indicator_is_found_by_id_name_or_alias(store: str, name: str):
    result = szwatch("indicators", name, "--json", db_url=store)

    assert result.returncode == 0, result.stderr
    assert result.stdout and {line.split('"indicator_id": "')[1].split('"')[0]
                              for line in result.stdout.splitlines()} == {"gdp"}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["indicators", "人均收入"], "no such watch '人均收入' in"),
        (["mentions", "nothing"], "no such watch 'nothing' in"),
        (["mentions", "GDP"], "'GDP' is an indicator (gdp): try szwatch indicators gdp"),
    ],
)
def test_no_such_watch_is_one_line_and_exit_2(store: str, args: list[str], message: str):
    result = szwatch(*args, db_url=store)

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert message in line


def test_a_watch_removed_from_the_watchlist_stays_readable_by_its_id(store: str, tmp_path: Path):
    smaller = tmp_path / "smaller.toml"
    smaller.write_text('[[project]]\nid = "p"\nname = "某项目"\n', encoding="utf-8")

    result = szwatch("indicators", "gdp", "--watchlist", str(smaller), db_url=store)

    assert result.returncode == 0 and "628.7亿元" in result.stdout


def test_csv_opens_in_excel_with_a_bom_and_yes_no_as_0_1(store: str):
    default = szwatch("export", "indicators", "--format", "csv", db_url=store).stdout
    plain = szwatch("export", "indicators", "--format", "csv", "--encoding", "utf-8", db_url=store).stdout

    assert default.startswith("\ufeffindicator_id,") and plain.startswith("indicator_id,")
    rows = list(csv.DictReader(io.StringIO(plain)))
    assert {r["relative"] for r in rows} == {"0", "1"}  # the replica has comparisons with 全省 too


def test_status_is_healthy_without_a_daemon_nobody_asked_for(store: str, tmp_path: Path):
    with_daemon = tmp_path / "daemon.toml"
    with_daemon.write_text('[daemon]\npoll_start = "05:30"\n', encoding="utf-8")

    plain = szwatch("status", db_url=store)
    expected = szwatch("status", "--config", str(with_daemon), db_url=store)

    assert plain.returncode == 0 and "daemon_down" not in plain.stdout, plain.stdout
    assert expected.returncode == 1 and "daemon_down" in expected.stdout


def test_log_lines_carry_shanghai_time_and_say_so(store: str):
    result = subprocess.run([sys.executable, "-m", "szwatch", "detect"], capture_output=True, text=True,
                            env={**os.environ, "SZWATCH_DB": store, "TZ": "America/New_York"}, timeout=120)  # fmt: skip

    logged = [line for line in result.stderr.splitlines() if " INFO " in line]
    assert logged and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00 INFO ", line) for line in logged)


def test_demo_serves_its_web_view_on_the_port_given(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BROWSER": "true"}  # no browser window in a test
    demo = subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", "demo", "--workdir", str(tmp_path / "d"),
                             "--web", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline, page = time.monotonic() + 240, None
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/watches/gdp", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(1)
        assert page is not None and page.status_code == 200 and "地区生产总值" in page.text
        calendar = httpx.get(f"http://127.0.0.1:{port}/issues?month=2024-05", timeout=10).text
        other = httpx.get(f"http://127.0.0.1:{port}/issues?month=2024-05&paper=dtrb", timeout=10).text
        assert "朔州日报 2024年5月" in calendar and 'href="/issues?paper=dtrb&amp;month=2024-05">大同日报' in calendar
        assert "大同日报 2024年5月" in other and "/issues/2024-05-17?paper=dtrb" in other  # its issues, its links
    finally:
        demo.terminate()
        demo.wait(timeout=30)


def test_a_slow_crawl_says_how_far_it_got_while_it_runs(site: ReplicaServer, tmp_path: Path):
    env = {**os.environ, "SZWATCH_DB": f"sqlite:///{tmp_path / 'slow.db'}", "SZWATCH_PROGRESS_SECONDS": "1"}
    result = subprocess.run([sys.executable, "-m", "szwatch", "crawl", "--date", "2024-05-07", "--base-url", site.url,
                             "--delay", "0.1", "--concurrency", "1"], capture_output=True, text=True, env=env,
                            timeout=300)  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    said = re.findall(r"crawling… (\d+) s, (\d+) new articles stored so far", result.stderr)
    assert len(said) >= 2  # the interval is 10 s normally; this test waits 1 s (only time is shortened)
    assert [int(n) for _, n in said] == sorted(int(n) for _, n in said)  # counts only grow
