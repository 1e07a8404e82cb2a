"""The order of a crawl: every page of the issue is listed before any article is fetched, and the articles whose
listing shows a watched word come first (their alerts can then come first), the rest in page order."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.crawler.priority import shortest_words
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, Issue
from tests.conftest import crawl_site

DAY = date(2024, 5, 6)
FOLDER = f"/shtml/szrb/{DAY:%Y%m%d}/"
LISTED = re.compile(r'<li><a href="(\d+)\.shtml">([^<]+)</a></li>')


def listing(root: Path, page: str) -> list[tuple[str, str]]:
    """(article path, title) as the page's 本版标题导航 lists them."""
    html = (root / FOLDER.strip("/") / f"v{page}.shtml").read_bytes().decode("gb18030")
    return [(f"{FOLDER}{number}.shtml", title) for number, title in LISTED.findall(html)]


def test_pages_first_then_the_articles_with_watched_titles_then_page_order(engine: Engine, tmp_path: Path):
    root = tmp_path / "site"
    build_replica(root, ReplicaSpec(start=DAY, weeks=1, pages=4, per_page=4, holidays=()))
    pages = {code: listing(root, code) for code in ("A1", "A2", "A3", "A4")}
    watched_path, watched_title = pages["A3"][2]  # a story in the middle of page 3 names a watched project

    with ReplicaServer(root) as site:
        report = crawl_site(engine, site, dates=(DAY,), concurrency=1, watched=(watched_title[2:8],))
        asked = [path for path in site.order if path.startswith(FOLDER)]

    page_requests = [i for i, path in enumerate(asked) if "/v" in path]
    articles = [path for path in asked if "/v" not in path]
    assert max(page_requests) < len(page_requests)  # every page listed before the first article is fetched
    on_page_1 = {path for path, _ in pages["A1"]}  # A1's 导读 lists a story of A3: it is requested from A1
    rest_of_page_3 = [path for path, _ in pages["A3"] if path != watched_path and path not in on_page_1]
    in_page_order = [path for code in ("A1", "A2", "A4") for path, _ in pages[code]]
    assert articles == [watched_path, *rest_of_page_3, *dict.fromkeys(in_page_order)]
    with Session(engine) as session:  # and nothing is lost for the order: the issue is complete
        stored = session.exec(select(func.count()).select_from(Article)).one()
        assert session.exec(select(Issue.status)).one() == "complete"
    assert report.exit_code == 0 and stored == report.stats["articles_listed"]


def test_without_watched_words_articles_come_in_page_order(engine: Engine, tmp_path: Path):
    root = tmp_path / "site"
    build_replica(root, ReplicaSpec(start=DAY, weeks=1, pages=3, per_page=3, holidays=()))
    listed = [path for code in ("A1", "A2", "A3") for path, _ in listing(root, code)]

    with ReplicaServer(root) as site:
        crawl_site(engine, site, dates=(DAY,), concurrency=1)
        articles = [path for path in site.order if path.startswith(FOLDER) and "/v" not in path]

    assert articles == list(dict.fromkeys(listed))  # an article listed on two pages is fetched once, first time


def test_the_words_handed_to_a_crawl_are_the_shortest_that_say_the_same():
    words = ["中煤平朔煤基烯烃一体化项目", "煤基烯烃", "多晶硅", "东立多晶硅项目", "GDP", "  "]
    assert shortest_words(words, limit=100) == ("GDP", "多晶硅", "煤基烯烃")
    assert shortest_words(words, limit=6) == ("GDP", "多晶硅")
