"""One watchlist for every command, said out loud; a store keeps the one it was detected with.

An analyst's settings name her watchlist. Run from another folder, a command used to fall back to the bundled
example without a word, and ``detect --rescan`` then removed her findings. Here every command is a real process
run from a real folder, against a store crawled from the replica.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import Mention, Observation

MY_WATCHLIST = """
[[project]]
id = "my-hsr"
name = "集大原高铁"
aliases = ["集大原高速铁路", "集大原铁路"]

[[indicator]]
id = "my-gdp"
name = "地区生产总值"
aliases = ["GDP", "生产总值"]
exclude = ["人均地区生产总值", "人均生产总值", "人均GDP"]
"""


def run(cwd: Path, *args: str, db_url: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``szwatch ARGS`` started in ``cwd``, as a user in that folder would (no settings unless ``cwd`` has one)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("SZWATCH_CONFIG", "SZWATCH_WATCHLIST")}
    environ.update({"SZWATCH_DB": db_url, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **env})
    return subprocess.run([sys.executable, "-m", "szwatch", "--quiet", *args], capture_output=True, text=True,
                          env=environ, cwd=cwd, input=stdin, timeout=300)  # fmt: skip


def counts(db_url: str, watch_id: str) -> tuple[int, int]:
    engine = open_store(db_url)
    with Session(engine) as session:
        mentions = session.exec(select(func.count()).where(Mention.watch_id == watch_id)).one()
        observations = session.exec(select(func.count()).where(Observation.indicator_id == watch_id)).one()
    engine.dispose()
    return mentions, observations


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Her folder: settings.toml naming her watchlist, as config/ does in the repository."""
    folder = tmp_path_factory.mktemp("her") / "analyst"
    folder.mkdir()
    (folder / "my-watchlist.toml").write_text(MY_WATCHLIST, encoding="utf-8")
    (folder / "settings.toml").write_text('[daemon]\nwatchlist = "my-watchlist.toml"\n', encoding="utf-8")
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def her_store(_server: ReplicaServer, project: Path) -> Path:
    """Three issues crawled and detected from her folder with her watchlist (once; each test gets a copy)."""
    path = project.parent / "store.db"
    db_url = f"sqlite:///{path}"
    crawled = run(project, "crawl", "--from", "2024-05-06", "--to", "2024-05-08", "--base-url", _server.url,
                  "--delay", "0", "--concurrency", "8", db_url=db_url)  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr
    first = run(project, "detect", db_url=db_url)
    assert first.returncode == 0, first.stderr
    assert (
        f"watchlist: {project / 'my-watchlist.toml'} ({project / 'settings.toml'}: [daemon] watchlist" in first.stderr
    )
    return path


@pytest.fixture
def detected(her_store: Path, tmp_path: Path) -> str:
    shutil.copy(her_store, tmp_path / "store.db")
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_every_command_in_her_folder_reads_the_watchlist_her_settings_name(detected: str, project: Path):
    listed = run(project, "watch", "list", db_url=detected)
    tried = run(project, "watch", "test", "my-hsr", db_url=detected)

    assert listed.stdout.startswith(str(project / "my-watchlist.toml")) and "[daemon] watchlist" in listed.stdout
    assert "my-hsr" in listed.stdout and "zhongmei-olefin" not in listed.stdout
    assert tried.returncode == 0 and "集大原" in tried.stdout
    assert counts(detected, "my-hsr")[0] > 0 and counts(detected, "my-gdp")[1] > 0


def test_the_same_settings_read_from_another_folder_find_the_watchlist_beside_them(detected: str, project: Path,
                                                                                    elsewhere: Path):  # fmt: skip
    again = run(elsewhere, "detect", db_url=detected, SZWATCH_CONFIG=str(project / "settings.toml"))

    assert again.returncode == 0, again.stderr
    assert f"watchlist: {project / 'my-watchlist.toml'}" in again.stderr


def test_from_another_folder_detect_and_rescan_are_refused_and_nothing_is_lost(detected: str, elsewhere: Path,
                                                                                project: Path):  # fmt: skip
    before = counts(detected, "my-hsr"), counts(detected, "my-gdp")

    plain = run(elsewhere, "detect", db_url=detected)
    rescan = run(elsewhere, "detect", "--rescan", "--yes", db_url=detected)
    web = run(elsewhere, "web", "--port", "8199", db_url=detected)

    for result in (plain, rescan, web):
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"szwatch: error: this store was last detected with {project / 'my-watchlist.toml'}")
        assert "the bundled example" in line and "--watchlist" in line
    assert (counts(detected, "my-hsr"), counts(detected, "my-gdp")) == before


def test_watch_test_from_another_folder_says_the_store_was_detected_with_another_watchlist(detected: str,
                                                                                         elsewhere: Path):  # fmt: skip
    result = run(elsewhere, "watch", "test", "jidayuan-hsr", db_url=detected)

    assert result.returncode == 0  # it stores nothing: said, not refused
    assert "note: this store was last detected with" in result.stderr and "the bundled example" in result.stderr


def test_the_environment_variable_is_used_and_named(detected: str, elsewhere: Path, project: Path):
    result = run(elsewhere, "detect", db_url=detected, SZWATCH_WATCHLIST=str(project / "my-watchlist.toml"))

    assert result.returncode == 0, result.stderr
    assert f"watchlist: {project / 'my-watchlist.toml'} (SZWATCH_WATCHLIST;" in result.stderr


def test_a_rescan_with_another_watchlist_shows_what_it_would_remove_and_asks(detected: str, elsewhere: Path,
                                                                            project: Path):  # fmt: skip
    before = counts(detected, "my-hsr")

    named = run(elsewhere, "detect", "--watchlist", str(project / "my-watchlist.toml"), db_url=detected)
    other = run(elsewhere, "detect", "--rescan", "--watchlist", _example(), db_url=detected, stdin="n\n")

    assert named.returncode == 0  # named explicitly: the same file, no question
    assert other.returncode == 1, other.stderr
    assert f"my-hsr                       -{before[0]} mentions" in other.stderr
    assert "remove them? [y/N]" in other.stderr and "rescan cancelled: nothing changed" in other.stderr
    assert counts(detected, "my-hsr") == before


def test_a_confirmed_rescan_applies_the_named_watchlist(detected: str, elsewhere: Path):
    result = run(elsewhere, "detect", "--rescan", "--yes", "--watchlist", _example(), db_url=detected)

    assert result.returncode == 0, result.stderr
    assert "rescan would remove" in result.stderr
    assert counts(detected, "my-hsr") == (0, 0) and counts(detected, "jidayuan-hsr")[0] > 0
    follow = run(elsewhere, "detect", "--watchlist", _example(), db_url=detected)
    assert follow.returncode == 0  # the store now remembers the example


def test_a_missing_file_named_in_the_settings_is_one_line_with_its_line(elsewhere: Path, tmp_path: Path):
    (elsewhere / "settings.toml").write_text('[daemon]\n\nwatchlist = "gone.toml"\n', encoding="utf-8")

    result = run(elsewhere, "watch", "list", db_url=f"sqlite:///{tmp_path / 'x.db'}")

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("szwatch: error: settings.toml:3: daemon.watchlist: no such file")


def _example() -> str:
    from szwatch.monitor.detection.watchlist import EXAMPLE

    return str(EXAMPLE)
