"""Detection commands as a user runs them, on a crawled replica."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import Mention
from tests.app.test_cli import szwatch


@pytest.fixture
def crawled(site: ReplicaServer, tmp_path: Path) -> str:
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = szwatch("crawl", "--from", "2024-05-06", "--to", "2024-05-08", "--base-url", site.url, "--delay", "0",
                     "--concurrency", "8", db_url=db_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return db_url


def test_detect_then_read_mentions_and_indicators(crawled: str):
    first = szwatch("detect", db_url=crawled)
    again = szwatch("detect", "--json", db_url=crawled)

    assert first.returncode == 0 and "mentions      +" in first.stdout
    assert json.loads(again.stdout)["stories_processed"] == 0

    mentions = szwatch("mentions", "jidayuan-hsr", "--json", db_url=crawled)
    rows = [json.loads(line) for line in mentions.stdout.splitlines()]
    assert rows and {r["watch_id"] for r in rows} == {"jidayuan-hsr"} and {r["paper"] for r in rows} == {"szrb"}
    assert "  szrb  " in szwatch("mentions", "jidayuan-hsr", db_url=crawled).stdout  # the paper beside the date

    table = szwatch("indicators", "gdp", db_url=crawled)
    assert table.stdout.startswith("indicator") and "亿元" in table.stdout and "gdp" in table.stdout
    assert re.search(r" 20\d\d-\d\d-\d\d szrb A\d ", table.stdout)  # the source names its paper after the date


def test_exports_have_the_documented_fields(crawled: str):
    szwatch("detect", db_url=crawled)
    mentions = list(
        csv.DictReader(
            io.StringIO(szwatch("export", "mentions", "--format", "csv", "--encoding", "utf-8", db_url=crawled).stdout)
        )
    )
    indicators = [json.loads(x) for x in szwatch("export", "indicators", db_url=crawled).stdout.splitlines()]

    assert mentions and set(mentions[0]) == {
        "watch_id",
        "issue_date",
        "page",
        "title",
        "url",
        "surface",
        "match_kind",
        "snippet",
        "paper",
    }
    assert {row["paper"] for row in mentions} == {"szrb"}  # every row says which paper (one paper crawled here)
    assert indicators and {
        "indicator_id",
        "issue_date",
        "page",
        "title",
        "url",
        "value",
        "unit",
        "growth_pct",
        "period",
        "period_start",
        "period_end",
        "scope",
        "relative",
        "snippet",
        "paper",
    } <= set(indicators[0])
    assert {row["paper"] for row in indicators} == {"szrb"}
    spans = [(row["period_start"], row["period_end"]) for row in indicators if row["period_start"]]
    assert spans and all(start <= end for start, end in spans)  # ISO days: a quarter is not the year
    assert any(start.endswith("-01-01") and end.endswith("-03-31") for start, end in spans)


def test_watch_list_and_watch_test(crawled: str):
    listed = szwatch("watch", "list")
    assert "zhongmei-olefin" in listed.stdout and "gdp" in listed.stdout

    tried = szwatch("watch", "test", "--name", "东立多晶硅项目", db_url=crawled)
    assert tried.returncode == 0 and "【东立" in tried.stdout
    assert szwatch("watch", "test", "dongli-polysilicon", db_url=crawled).stdout == tried.stdout.replace(
        "draft", "dongli-polysilicon"
    )

    with Session(open_store(crawled)) as session:
        assert session.exec(select(func.count()).select_from(Mention)).one() == 0  # trying stores nothing


def test_bad_watchlist_is_refused_and_changes_nothing(crawled: str, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[project]]\nid = "x"\nname = "东立多晶硅项目"\ncolour = "red"\n', encoding="utf-8")

    result = szwatch("detect", "--watchlist", str(bad), db_url=crawled)

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"szwatch: error: {bad}:4: colour: unknown key in [[project]] (allowed: aliases, exclude, id, keywords, mention, name, paused, tags)"
    )
    with Session(open_store(crawled)) as session:
        assert session.exec(select(func.count()).select_from(Mention)).one() == 0
