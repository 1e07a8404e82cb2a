"""Several papers in one store: ``[[source]]`` entries, ``szwatch sources``, ``crawl --source``, and the daemon
watching two papers at once, each on its own hours and days."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import SettingsError, load_settings
from szwatch.common.clock import SHANGHAI, local_today
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import CrawlRun, Issue

TODAY = local_today(
    datetime.now(UTC)
)  # the daemon reads the real clock (its day is Shanghai's); the replicas are built around it


def paper_around_today(root: Path, family: str, code: str, name: str) -> None:
    spec = ReplicaSpec(start=TODAY - timedelta(days=2), weeks=1, holidays=(), weekdays=tuple(range(7)), per_page=4,
                       pages=2, family=family, code=code, name=name)  # fmt: skip
    manifest = build_replica(root, spec)
    entry = root / spec.shape.entry_path().lstrip("/")  # the newest issue is today's
    entry.write_bytes(entry.read_bytes().replace(f"{max(manifest.dates):%Y%m%d}".encode(), f"{TODAY:%Y%m%d}".encode()))


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReplicaServer, ReplicaServer]]:
    """朔州日报 on its new system, and 山西日报 with 山西经济日报 on the /shtml/ host they share."""
    epaper, sxrb = tmp_path_factory.mktemp("epaper"), tmp_path_factory.mktemp("sxrb")
    paper_around_today(epaper, "html-page", "szrb", "朔州日报")
    paper_around_today(sxrb, "shtml", "sxrb", "山西日报")
    paper_around_today(sxrb, "shtml", "sxjjrb", "山西经济日报")
    with ReplicaServer(epaper) as one, ReplicaServer(sxrb) as two:
        yield one, two


@pytest.fixture(autouse=True)
def _fresh_counts(request: pytest.FixtureRequest) -> None:
    if "two_sites" in request.fixturenames:
        for site in request.getfixturevalue("two_sites"):
            site.reset()


def settings_file(tmp_path: Path, epaper: str, sxrb: str, far_hours: str = "") -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        '[daemon]\npoll_start = "00:00"\npoll_end = "23:59"\npoll_every_minutes = 0.05\ncheck_every_minutes = 0\n'
        'crawl_delay_seconds = 0\ncrawl_concurrency = 8\ncatch_up_days = 1\nno_issue_by = "23:59"\n'
        f'lease_seconds = 6\nlog_file = "{tmp_path / "szwatch.log"}"\n\n'
        f'[[source]]\nprofile = "szrb-epaper"\nbase_url = "{epaper}"\n\n'
        f'[[source]]\nprofile = "sxrb"\nbase_url = "{sxrb}"\n{far_hours}\n'
        f'[[source]]\nprofile = "sxjjrb"\nbase_url = "{sxrb}"\nenabled = false\n',
        encoding="utf-8",
    )  # fmt: skip
    return path


def szwatch(*args: str, config: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "szwatch", "--quiet", *args, "--config", str(config), "--db", db_url],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def issues(db_url: str) -> set[tuple[str, date, str]]:
    with Session(open_store(db_url)) as session:
        return {(i.source, i.issue_date, i.status) for i in session.exec(select(Issue)).all()}


def test_a_source_entry_names_its_line_when_wrong(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('[[source]]\nprofile = "sxrb"\n\n[[source]]\nprofile = "nosuchpaper"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings.toml:5: source.profile: .*neither a bundled profile"):
        load_settings(path)
    path.write_text('[[source]]\nprofile = "sxrb"\npoll_strat = "06:00"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings.toml:3: source.poll_strat: unknown key"):
        load_settings(path)


def test_the_daemon_watches_two_papers_at_once_and_leaves_a_disabled_one(
    db_url: str, two_sites: tuple[ReplicaServer, ReplicaServer], tmp_path: Path
):
    epaper, sxrb = two_sites
    config = settings_file(tmp_path, epaper.url, sxrb.url)
    daemon = subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", "run", "--config", str(config), "--db",
                               db_url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 150
        while not {("szrb", TODAY, "complete"), ("sxrb", TODAY, "complete")} <= issues(db_url):
            assert time.monotonic() < deadline, issues(db_url)
            time.sleep(0.5)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=45)

    assert {source for source, _, _ in issues(db_url)} == {"szrb", "sxrb"}  # sxjjrb is disabled
    assert sxrb.hits_matching("/shtml/sxjjrb/") == 0
    listed = szwatch("sources", "--json", config=config, db_url=db_url)
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["szrb-epaper"]["newest_complete_issue"] == TODAY.isoformat()
    assert rows["szrb-epaper"]["paper"] == "szrb" and rows["szrb-epaper"]["site_newest_issue"] == TODAY.isoformat()
    assert rows["szrb-epaper"]["family"] == "html-page" and rows["sxrb"]["name"] == "山西日报"
    assert rows["sxrb"]["health"] == "ok" and rows["sxjjrb"]["enabled"] is False
    assert listed.returncode == 0
    text = szwatch("sources", config=config, db_url=db_url).stdout
    assert "山西经济日报" in text and TODAY.isoformat() in text


def test_each_paper_is_polled_on_its_own_hours(db_url: str, two_sites: tuple[ReplicaServer, ReplicaServer],
                                               tmp_path: Path):  # fmt: skip
    epaper, sxrb = two_sites
    hour = (datetime.now(SHANGHAI).hour + 10) % 24  # a window hours away from now
    config = settings_file(
        tmp_path, epaper.url, sxrb.url, f'poll_start = "{hour:02d}:00"\npoll_end = "{hour:02d}:30"\n'
    )
    settings = load_settings(config)
    daemon = Daemon(open_store(db_url), settings, load_watchlist())
    by_id = {source.id: source for source in daemon.sources}

    daemon.poll(by_id["sxrb"])  # outside 山西日报's hours: nothing asked of its site
    assert sxrb.hits_matching("/shtml/sxrb/") == 0 and issues(db_url) == set()
    daemon.poll(by_id["szrb-epaper"])  # within 朔州日报's: today's issue is crawled

    assert ("szrb", TODAY, "complete") in issues(db_url)
    with Session(open_store(db_url)) as session:
        assert [r.request["source"] for r in session.exec(select(CrawlRun)).all()] == ["szrb-epaper"]


def test_crawl_source_takes_the_profile_and_site_from_the_settings(
    db_url: str, two_sites: tuple[ReplicaServer, ReplicaServer], tmp_path: Path
):
    epaper, sxrb = two_sites
    config = settings_file(tmp_path, epaper.url, sxrb.url)

    done = szwatch("crawl", "--source", "sxjjrb", "--date", TODAY.isoformat(), "--delay", "0", config=config,
                   db_url=db_url)  # fmt: skip
    wrong = szwatch("crawl", "--source", "nope", "--latest", config=config, db_url=db_url)

    assert done.returncode == 0, done.stderr
    assert issues(db_url) == {("sxjjrb", TODAY, "complete")}
    assert wrong.returncode == 2 and "no source 'nope'" in wrong.stderr and wrong.stderr.count("\n") == 1
    exported = subprocess.run([sys.executable, "-m", "szwatch", "export", "articles", "--format", "jsonl", "--db",
                               db_url], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert {json.loads(line)["paper"] for line in exported.stdout.splitlines()} == {"sxjjrb"}  # the paper of each
    found = subprocess.run([sys.executable, "-m", "szwatch", "search", "朔州", "--json", "--db", db_url],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert found.stdout and {json.loads(line)["paper"] for line in found.stdout.splitlines()} == {"sxjjrb"}


def test_provincial_papers_are_those_without_a_city_of_their_own(tmp_path: Path):
    from szwatch.app.source_health import provincial_papers

    provincial = provincial_papers(load_settings(settings_file(tmp_path, "http://a.example", "http://b.example")))

    assert {"sxrb", "sxjjrb", "rmrb", "dtrb"} <= provincial
    assert not {"szrb", "szrb-epaper"} & provincial  # 朔州日报 on either site: a figure with no place is the city's


def test_a_site_that_stops_while_the_other_goes_on_is_one_operator_alert(
    db_url: str, two_sites: tuple[ReplicaServer, ReplicaServer], tmp_path: Path
):
    from szwatch.store.models import Alert

    epaper = two_sites[0]  # 朔州日报's new site: today's issue is out
    old_root = tmp_path / "old-site"
    paper_around_today(old_root, "shtml", "szrb", "朔州日报")
    entry = old_root / "shtml" / "index_szrb.shtml"  # the old site stopped three days ago
    entry.write_bytes(
        entry.read_bytes().replace(f"{TODAY:%Y%m%d}".encode(), f"{TODAY - timedelta(days=3):%Y%m%d}".encode())
    )
    config = tmp_path / "two-sites.toml"
    with ReplicaServer(old_root) as old:
        config.write_text(
            '[daemon]\npoll_start = "00:00"\npoll_end = "23:59"\ncrawl_delay_seconds = 0\ncrawl_concurrency = 8\n'
            f'[[source]]\nprofile = "szrb-epaper"\nbase_url = "{epaper.url}"\n'
            f'[[source]]\nprofile = "szrb"\nbase_url = "{old.url}"\n', encoding="utf-8",
        )  # fmt: skip
        engine = open_store(db_url)
        daemon = Daemon(engine, load_settings(config), load_watchlist())
        new_site, old_site = daemon.sources

        daemon.check(new_site)  # today's issue is out on the new site: crawled
        daemon.check(old_site)  # today's issue is stored; the old site is still asked once today
        daemon.check(old_site)  # ... and only once
        daemon.health()
        daemon.health()  # one alert a day while it lasts

        assert old.hits_matching("index_szrb") == 1 and old.hits_matching("/shtml/szrb/") == 0
    assert issues(db_url) == {("szrb", TODAY, "complete")}  # stored once, from the site that had it
    with Session(engine) as session:
        stopped = session.exec(select(Alert).where(Alert.watch_id == "site_stopped:szrb")).all()
    assert len(stopped) == 1 and stopped[0].audience == "operator"
    assert f"仍停在 {TODAY - timedelta(days=3)}，而 szrb-epaper 已有 {TODAY}" in (stopped[0].title or "")
    daemon.renew_lease()  # what `szwatch status` reads: which site answered last, and what each offers
    status = szwatch("status", config=config, db_url=db_url).stdout
    assert "site szrb-epaper" in status and f"newest issue {TODAY}" in status and "site_stopped:szrb" in status
