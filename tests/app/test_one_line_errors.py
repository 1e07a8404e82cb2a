"""Errors a user can fix are one line on stderr, exit 2, and change nothing: no traceback reaches a user."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from szwatch.crawler.run import CrawlRequest, date_range
from szwatch.monitor.detection.watchlist import MAX_BYTES, MAX_TERMS, MAX_WATCHES
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from tests.app.test_cli import szwatch

GBK = "东立多晶硅项目".encode("gbk")


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error line of a run that must have failed as a user error."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_store_from_a_newer_szwatch_is_refused_and_left_alone(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = open_store(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()

    for command in (["status"], ["search", "硅"], ["detect"], ["alerts"]):
        line = one_line(szwatch(*command, db_url=db_url))
        assert line.endswith("this database was written by a newer szwatch (revision 0999); upgrade szwatch")
    with open_store.__globals__["make_engine"](db_url).connect() as conn:  # still the newer one's schema
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"


@pytest.mark.parametrize("url", ["mysql://user:secret@localhost/szwatch", "mongodb://localhost/x", "oracle://h/x"])
def test_an_unknown_database_scheme_is_one_line(url: str):
    line = one_line(szwatch("status", db_url=url))
    assert "szwatch stores into SQLite or PostgreSQL, not" in line and "secret" not in line


@pytest.mark.parametrize(
    ("option", "command", "content"),
    [("--watchlist", "detect", b'[[project]]\nid = "a"\nname = "' + GBK + b'"\n'),
     ("--config", "status", b"[daemon]\n# " + GBK + b"\n"),
     ("--profile", "crawl", b"[crawl]\n\n# " + GBK + b"\n")],
    ids=["watchlist", "settings", "profile"],
)  # fmt: skip
def test_a_config_file_saved_as_gbk_names_the_line_of_its_first_bad_byte(tmp_path: Path, option, command, content):
    path = tmp_path / "gbk.toml"
    path.write_bytes(content)
    extra = ["--latest"] if command == "crawl" else []
    line = one_line(szwatch(command, *extra, option, str(path), db_url=f"sqlite:///{tmp_path / 'x.db'}"))
    bad_line = content.split(b"\n").index(next(row for row in content.split(b"\n") if GBK in row)) + 1
    assert line == f"szwatch: error: {path}:{bad_line}: (encoding): not UTF-8 (byte 0xb6); save the file as UTF-8"


def test_a_store_in_a_folder_that_does_not_exist_is_refused_not_created(tmp_path: Path):
    missing = tmp_path / "typo" / "szwatch.db"
    for command in (["status"], ["search", "硅"], ["detect"]):
        line = one_line(szwatch(*command, db_url=f"sqlite:///{missing}"))
        assert line.endswith(f"folder {missing.parent} does not exist (create it first for a new store)")
    assert not missing.parent.exists()


def test_fifty_years_travel_to_the_crawler_as_one_span():
    days = date_range(date(1975, 1, 1), date(2024, 12, 31))
    request = CrawlRequest(dates=days, base_url="http://x")

    sent = request.to_json()

    assert len(days) == 18_263 and len(sent) < 500 and json.loads(sent)["spans"] == [["1975-01-01", "2024-12-31"]]
    assert CrawlRequest.from_json(sent) == request


def test_a_range_of_years_asks_for_yes(tmp_path: Path):
    line = one_line(szwatch("crawl", "--from", "1975-01-01", "--to", "2024-12-31", db_url=f"sqlite:///{tmp_path}/x.db"))
    assert line == "szwatch: error: 18263 days to crawl (more than 366): add --yes to crawl them"
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "args",
    [["search", "硅", "--limit", "99999999999999999999"], ["alerts", "retry", "99999999999999999999"],
     ["alerts", "--limit", "0"], ["crawl", "--latest", "--concurrency", "100000"]],
)  # fmt: skip
def test_integers_past_their_bounds_are_refused_with_the_range(args: list[str], tmp_path: Path):
    line = one_line(szwatch(*args, db_url=f"sqlite:///{tmp_path}/x.db"))
    assert "is not in the range" in line


def _watchlist(path: Path, watches: int, aliases: int = 0) -> Path:
    alias_list = ", ".join(f'"别名{i}"' for i in range(aliases))
    path.write_text("".join(f'[[project]]\nid = "p{i}"\nname = "项目{i}"\naliases = [{alias_list}]\n'
                            for i in range(watches)), encoding="utf-8")  # fmt: skip
    return path


def test_a_watchlist_over_its_stated_size_is_refused_with_the_limit(tmp_path: Path):
    db = f"sqlite:///{tmp_path}/x.db"
    too_many = _watchlist(tmp_path / "many.toml", MAX_WATCHES + 1)
    too_long = _watchlist(tmp_path / "aliases.toml", 1, MAX_TERMS + 1)
    too_big = tmp_path / "big.toml"
    too_big.write_text("#" * (MAX_BYTES + 1), encoding="utf-8")

    assert f"at most {MAX_WATCHES}" in one_line(szwatch("detect", "--watchlist", str(too_many), db_url=db))
    assert one_line(szwatch("detect", "--watchlist", str(too_long), db_url=db)).endswith(
        f"aliases.toml:4: aliases: p0: {MAX_TERMS + 1} aliases, keywords and exclusions; a watch may have at most "
        f"{MAX_TERMS}"
    )
    assert f"a watchlist may have at most {MAX_BYTES:,}" in one_line(szwatch("detect", "--watchlist", str(too_big),
                                                                             db_url=db))  # fmt: skip


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 512 KiB tmpfs: a real full disk. Needs root (CAP_SYS_ADMIN), as in CI's container; skipped elsewhere."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


def test_a_full_disk_is_one_line_and_the_next_crawl_completes_the_run(small_disk: Path, site: ReplicaServer, manifest):
    db_url = f"sqlite:///{small_disk / 'szwatch.db'}"
    days = sorted(manifest.dates)
    args = ["crawl", "--base-url", site.url, "--from", days[0].isoformat(), "--to", days[-1].isoformat(),
            "--delay", "0", "--concurrency", "8"]  # fmt: skip

    full = szwatch(*args, db_url=db_url)
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    status = szwatch("status", "--json", db_url=db_url)
    again = szwatch(*args, db_url=db_url)

    last = full.stderr.strip().splitlines()[-1]
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert len(full.stderr.strip().splitlines()) <= 4, full.stderr  # the crawl stops at the first refused write
    assert last.startswith("szwatch: error: database or disk is full; free some space and run it again")
    assert again.returncode == 0, again.stderr
    assert json.loads(status.stdout)["interrupted_runs"] or json.loads(status.stdout)["last_crawl"]
    engine = open_store(db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM articles")).scalar()
    engine.dispose()
    assert stored == manifest.articles
