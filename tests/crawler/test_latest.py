"""``crawl --latest`` finds the newest issue on any markup: refresh followed by Scrapy or not, a script
redirect, links only, an entry page that is itself an issue page, 上一期 before or after the navigation,
relative and absolute targets, an HTTP redirect. The previous issue is never taken for the newest."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from szwatch.replica.build import Manifest
from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, Issue
from tests.conftest import crawl_site

ENTRY = "/shtml/index_szrb.shtml"


def issue_path(day: date, page: str = "A1") -> str:
    return f"/shtml/szrb/{day:%Y%m%d}/v{page}.shtml"


def prev_before_nav(html: bytes) -> bytes:
    """The issue page with 上一期/下一期 moved in front of the page navigation, as other markup has it."""
    text = html.decode("gb18030")
    links = re.search(r'<a class="prev".*?下一期</a>', text)
    assert links
    text = text.replace(links.group(0), "").replace('<div class="bmnav">', f'<div class="bmnav">{links.group(0)}')
    assert text.index("上一期") < text.index('id="bmList"')
    return text.encode("gb18030")


def root_relative(html: bytes, folder: str) -> bytes:
    """Every relative link made root-relative, so the page reads the same from another URL."""
    text = re.sub(
        r'href="(?!http|/)([^"]+)"', lambda m: f'href="{urljoin(folder, m.group(1))}"', html.decode("gb18030")
    )
    return text.encode("gb18030")


def entry_page(head: str = "", body: str = "") -> bytes:
    return (
        f'<html><head><meta charset="gb2312" /><title>朔州日报</title>{head}</head><body>{body}</body></html>'.encode(
            "gb18030"
        )
    )


def stored_days(engine: Engine) -> set[date]:
    with Session(engine) as session:
        return set(session.exec(select(Issue.issue_date)).all())


def articles_of(engine: Engine, day: date) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Article.id).where(col(Article.url).contains(f"/{day:%Y%m%d}/"))).all())


def variants(site_url: str, newest: date, previous: date) -> dict[str, dict[str, bytes | tuple[int, str]]]:
    """Replacements per variant: path → new body, or (status, location) for an HTTP redirect."""
    rel, absolute = f"szrb/{newest:%Y%m%d}/vA1.shtml", f"{site_url}{issue_path(newest)}"
    prev_link = f'<a href="szrb/{previous:%Y%m%d}/vA1.shtml">上一期</a>'
    return {
        "refresh followed, 上一期 before the navigation": {},  # plus the page change applied to every variant
        "refresh not followed (long delay), relative target": {
            ENTRY: entry_page(f'<meta http-equiv="refresh" content="300; url={rel}" />', prev_link)
        },
        "refresh not followed (long delay), absolute target": {
            ENTRY: entry_page(f'<meta http-equiv="Refresh" content="300;URL=\'{absolute}\'" />', prev_link)
        },
        "script redirect only, absolute target": {
            ENTRY: entry_page(f'<script>location.href = "{absolute}";</script>', prev_link)
        },
        "links only, 上一期 first": {
            ENTRY: entry_page(
                body=f'{prev_link} <a href="szrb/{previous:%Y%m%d}/vA2.shtml">往期回顾</a> <a href="{rel}">进入今日数字报</a>'
            )
        },
        "entry URL serves the issue page itself": {},  # built in the test: needs the page's bytes
        "HTTP redirect to the issue page": {ENTRY: (302, issue_path(newest))},
    }


@pytest.mark.parametrize(
    ("variant", "prev_first"),
    [
        ("refresh followed, 上一期 before the navigation", True),
        ("refresh followed, 上一期 before the navigation", False),
        ("refresh not followed (long delay), relative target", True),
        ("refresh not followed (long delay), absolute target", False),
        ("script redirect only, absolute target", True),
        ("links only, 上一期 first", True),
        ("entry URL serves the issue page itself", True),
        ("entry URL serves the issue page itself", False),
        ("HTTP redirect to the issue page", True),
    ],
)
def test_latest_crawls_the_newest_issue_and_never_the_previous(
    engine: Engine, site: ReplicaServer, manifest: Manifest, variant: str, prev_first: bool
):
    newest, previous = manifest.dates[-1], manifest.dates[-2]
    page = (site.root / issue_path(newest).lstrip("/")).read_bytes()
    if prev_first:
        page = prev_before_nav(page)
        site.replace(issue_path(newest), page)
    for path, change in variants(site.url, newest, previous)[variant].items():
        if isinstance(change, tuple):
            site.redirect(path, change[1], change[0])
        else:
            site.replace(path, change)
    if variant.startswith("entry URL serves"):
        site.replace(ENTRY, root_relative(page, issue_path(newest).rsplit("/", 1)[0] + "/"))

    report = crawl_site(engine, site, latest=True)

    assert report.status == "ok", report.problems
    assert stored_days(engine) == {newest}
    expected = len(list((site.root / issue_path(newest).lstrip("/")).parent.glob("1*.shtml")))
    assert articles_of(engine, newest) == expected == report.stats["articles_new"]
    assert report.stats["issues_complete"] == 1


def test_latest_with_a_masthead_that_disagrees_with_the_link_is_a_problem(
    engine: Engine, site: ReplicaServer, manifest: Manifest
):
    newest, previous = manifest.dates[-1], manifest.dates[-2]
    masthead = f'<div class="masthead">{newest.year}年{newest.month}月{newest.day}日 朔州日报社出版</div>'
    site.replace(ENTRY, entry_page(body=f'{masthead}<a href="szrb/{previous:%Y%m%d}/vA1.shtml">进入数字报</a>'))

    report = crawl_site(engine, site, latest=True)

    mismatch = [(u, d) for k, u, d in report.problems if k == "date_mismatch"]
    assert mismatch == [(f"{site.url}{ENTRY}", f"entry page masthead says {newest}, its link points at {previous}")]
    assert report.exit_code == 1


def test_entry_page_without_any_issue_link_is_one_clear_problem(engine: Engine, site: ReplicaServer, manifest):
    previous = manifest.dates[-2]
    site.replace(ENTRY, entry_page(body=f'<a href="szrb/{previous:%Y%m%d}/vA1.shtml">上一期</a>'))

    report = crawl_site(engine, site, latest=True)

    assert [(k, d) for k, _, d in report.problems] == [
        ("entry", f"link to the newest issue not found on {site.url}{ENTRY}")
    ]
    assert stored_days(engine) == set()
