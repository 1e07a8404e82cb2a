"""End-to-end: the real spider crawls the replica served on localhost into a real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from szwatch.crawler.run import date_range
from szwatch.replica.build import Manifest
from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, ArticleVersion, Issue, Page, Picture, Problem
from szwatch.store.search import search
from tests.conftest import crawl_site

DAY = date(2024, 5, 7)
DAY_PATH = "/shtml/szrb/20240507/"


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def issue_status(engine: Engine, day: date) -> str | None:
    with Session(engine) as session:
        issue = session.exec(select(Issue).where(Issue.issue_date == day)).first()
        return issue.status if issue else None


def article(engine: Engine, path: str) -> Article:
    with Session(engine) as session:
        return session.exec(select(Article).where(col(Article.url).endswith(path))).one()


def articles_on(manifest: Manifest, site: ReplicaServer, day_path: str) -> list[str]:
    folder = site.root / day_path.strip("/")
    return sorted(p.name for p in folder.glob("*.shtml") if not p.name.startswith("v"))


def test_full_range_lands_every_issue_page_and_article(engine: Engine, site: ReplicaServer, manifest: Manifest):
    days = date_range(manifest.dates[0], manifest.missing[-1])
    report = crawl_site(engine, site, dates=days, latest=True)

    assert report.status == "ok", report.problems
    assert report.exit_code == 0
    assert report.stats["issues_complete"] == len(manifest.dates)
    assert report.stats["issues_no_paper"] == len(manifest.missing)
    assert count(engine, Article) == manifest.articles
    assert count(engine, Page) == manifest.pages
    assert report.stats["articles_new"] == manifest.articles
    assert all(issue_status(engine, d) == "no_issue" for d in manifest.missing)
    with Session(engine) as session:
        assert search(session, "集大原")


def test_issue_fields_come_from_masthead_and_navigation(engine: Engine, site: ReplicaServer):
    crawl_site(engine, site, dates=(DAY,))
    with Session(engine) as session:
        issue = session.exec(select(Issue).where(Issue.issue_date == DAY)).one()
        pages = session.exec(select(Page).where(Page.issue_id == issue.id).order_by(col(Page.seq))).all()
    assert issue.issue_no == 9032
    assert issue.pages_declared == 4
    assert issue.status == "complete"
    assert [(p.code, p.name) for p in pages] == [("A1", "要闻"), ("A2", "综合"), ("A3", "县区"), ("A4", "社会·文化")]


def test_story_continued_across_pages_is_linked(engine: Engine, site: ReplicaServer, manifest: Manifest):
    crawl_site(engine, site, dates=(DAY,))
    head_path, tail_path = next((h, t) for h, t in manifest.continued.items() if h.startswith(DAY_PATH))
    head, tail = article(engine, head_path), article(engine, tail_path)

    assert head.continued_to == "A2"
    assert tail.continued_from == "A1"
    assert tail.story_url == head.url == head.story_url
    assert "下转" not in head.text and "上接" not in tail.text
    assert "下转第2版" in head.raw_text


def test_article_linked_from_two_pages_is_stored_once(engine: Engine, site: ReplicaServer, manifest: Manifest):
    crawl_site(engine, site, dates=(DAY,))
    shared = next(p for p in manifest.shared if p.startswith(DAY_PATH))

    assert count(engine, Article, col(Article.url).endswith(shared)) == 1
    with Session(engine) as session:
        listing = [p.code for p in session.exec(select(Page)).all() if any(u.endswith(shared) for u in p.article_urls)]
    assert sorted(listing) == ["A1", "A3"]
    assert site.hits[shared] == 1


def test_every_paragraph_is_kept_and_normalised(engine: Engine, site: ReplicaServer):
    crawl_site(engine, site, dates=(DAY,))
    with Session(engine) as session:
        stored = session.exec(select(Article)).all()
    multi = [a for a in stored if a.text.count("\n") >= 3]
    assert multi, "the public spider's bug: only the first paragraph kept"
    assert all("\u3000" not in a.text and "\u00a0" not in a.text for a in stored)
    assert any("\u3000" in a.raw_text for a in stored)
    assert all(a.title for a in stored)


def test_pictures_and_captions_are_stored(engine: Engine, site: ReplicaServer, manifest: Manifest):
    crawl_site(engine, site, dates=manifest.dates[:3])
    with Session(engine) as session:
        pictures = session.exec(select(Picture)).all()
    assert pictures
    assert all(p.url.endswith(".jpg") for p in pictures)
    assert any(p.caption and "摄" in p.caption for p in pictures)


def test_gb18030_bytes_behind_gb2312_declaration_decode(engine: Engine, site: ReplicaServer):
    crawl_site(engine, site, dates=(DAY,))
    with Session(engine) as session:
        bylines = set(session.exec(select(Article.byline)).all())
    assert "记者 王䶮" in bylines
    assert count(engine, Problem, Problem.kind == "charset") == 0


def test_second_crawl_downloads_no_stored_article(engine: Engine, site: ReplicaServer):
    first = crawl_site(engine, site, dates=(DAY,))
    site.reset()
    second = crawl_site(engine, site, dates=(DAY,))

    assert first.stats["article_requests"] > 30
    assert second.stats["article_requests"] == 0
    assert second.stats["issues_skipped_complete"] == 1
    assert site.hits_matching(DAY_PATH) == 0
    assert count(engine, Article) == first.stats["articles_new"]


def test_refresh_downloads_again_and_keeps_earlier_versions(engine: Engine, site: ReplicaServer, manifest: Manifest):
    crawl_site(engine, site, dates=(DAY,))
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[5]}"
    original = (site.root / target.lstrip("/")).read_bytes()
    site.replace(target, original.replace("，".encode("gb18030"), "；".encode("gb18030"), 1))

    report = crawl_site(engine, site, dates=(DAY,), refresh=True)

    assert report.stats["articles_updated"] == 1
    assert report.stats["articles_unchanged"] == report.stats["article_requests"] - 1
    changed = article(engine, target)
    with Session(engine) as session:
        versions = session.exec(select(ArticleVersion).where(ArticleVersion.article_id == changed.id)).all()
    assert len(versions) == 1 and versions[0].text != changed.text and "；" in changed.text + changed.title


def test_server_error_then_success_is_retried(engine: Engine, site: ReplicaServer, manifest: Manifest):
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[0]}"
    site.fail(target, "500")
    report = crawl_site(engine, site, dates=(DAY,))

    assert report.status == "ok"
    assert report.stats["retries"] >= 1
    assert site.hits[target] == 2
    assert count(engine, Article, col(Article.url).endswith(target)) == 1


def test_page_failing_for_good_leaves_issue_incomplete_and_next_crawl_completes(engine: Engine, site: ReplicaServer):
    site.fail(f"{DAY_PATH}vA3.shtml", "503", "503", "503")
    first = crawl_site(engine, site, dates=(DAY,))

    assert first.exit_code == 1
    assert issue_status(engine, DAY) == "incomplete"
    assert ("fetch_failed", f"{site.url}{DAY_PATH}vA3.shtml", "HTTP 503") in first.problems
    stored = count(engine, Article)
    assert stored > 20  # the rest of the issue landed

    second = crawl_site(engine, site, dates=(DAY,))
    assert second.status == "ok"
    assert issue_status(engine, DAY) == "complete"
    assert second.stats["articles_new"] == second.stats["article_requests"] == count(engine, Article) - stored


def test_timeout_is_retried_then_reported(engine: Engine, site: ReplicaServer, manifest: Manifest):
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[1]}"
    site.fail(target, "hang", "hang")
    report = crawl_site(engine, site, dates=(DAY,), timeout=1, retries=1)

    assert report.status == "problems"
    assert any(k == "fetch_failed" and u.endswith(target) and "Timeout" in d for k, u, d in report.problems)
    assert issue_status(engine, DAY) == "incomplete"
    again = crawl_site(engine, site, dates=(DAY,))
    assert again.stats["article_requests"] == 1 and issue_status(engine, DAY) == "complete"


def test_truncated_html_is_reported_not_stored_and_fetched_again(engine: Engine, site: ReplicaServer, manifest):
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[2]}"
    site.fail(target, "truncate")
    report = crawl_site(engine, site, dates=(DAY,))

    assert any(k == "truncated_html" and u.endswith(target) for k, u, _ in report.problems)
    assert count(engine, Article, col(Article.url).endswith(target)) == 0
    crawl_site(engine, site, dates=(DAY,))
    assert count(engine, Article, col(Article.url).endswith(target)) == 1


def test_wrong_declared_charset_is_decoded_and_reported(engine: Engine, site: ReplicaServer, manifest: Manifest):
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[3]}"
    body = (site.root / target.lstrip("/")).read_bytes()
    site.replace(target, body.replace(b"charset=gb2312", b"charset=utf-8"))
    report = crawl_site(engine, site, dates=(DAY,))

    assert any(k == "charset" and u.endswith(target) for k, u, _ in report.problems)
    stored = article(engine, target)
    assert stored.title and "\ufffd" not in stored.text + stored.title


def test_page_without_articles_and_article_without_body_are_problems(engine, site: ReplicaServer, manifest):
    page = f"{DAY_PATH}vA4.shtml"
    html = (site.root / page.lstrip("/")).read_bytes()
    site.replace(page, html.replace(b'id="titleList"', b'id="other"').replace(b"<area", b"<nothing"))
    target = f"{DAY_PATH}{articles_on(manifest, site, DAY_PATH)[0]}"
    body = (site.root / target.lstrip("/")).read_bytes()
    site.replace(target, body.replace(b'id="content_div"', b'id="moved"'))

    report = crawl_site(engine, site, dates=(DAY,))

    kinds = {(k, u.removeprefix(site.url)) for k, u, _ in report.problems}
    assert ("no_articles", page) in kinds
    assert ("no_body", target) in kinds
    assert report.exit_code == 1
    assert count(engine, Article) > 20


def test_body_cut_short_by_markup_is_flagged_as_truncated(engine: Engine, site: ReplicaServer):
    folder = site.root / DAY_PATH.strip("/")
    longest = max((p for p in folder.glob("*.shtml") if not p.name.startswith("v")), key=lambda p: p.stat().st_size)
    target = f"{DAY_PATH}{longest.name}"
    head, sep, rest = longest.read_bytes().partition(b"</font></p>")
    site.replace(target, head + sep + rest.replace(b"<font", b"<span").replace(b"</font>", b"</span>"))

    report = crawl_site(engine, site, dates=(DAY,))

    stored = article(engine, target)
    assert "\n" not in stored.text  # the profile's selector saw one paragraph only
    assert stored.truncation_suspect
    assert any(k == "truncated" and u.endswith(target) for k, u, _ in report.problems)


def test_day_without_paper_is_recorded_not_an_error(engine: Engine, site: ReplicaServer, manifest: Manifest):
    report = crawl_site(engine, site, dates=(manifest.missing[0],))

    assert report.status == "ok" and report.exit_code == 0
    assert issue_status(engine, manifest.missing[0]) == "no_issue"


def test_latest_follows_the_entry_pages_meta_refresh(engine: Engine, site: ReplicaServer, manifest: Manifest):
    report = crawl_site(engine, site, latest=True)

    assert report.status == "ok"
    assert issue_status(engine, manifest.dates[-1]) == "complete"
    assert report.stats["issues_complete"] == 1


def test_unreachable_host_exits_2_with_reason(engine: Engine):
    from szwatch.crawler.run import CrawlRequest, crawl

    report = crawl(CrawlRequest(dates=(DAY,), base_url="http://127.0.0.1:9", delay=0, retries=0, timeout=2), engine)

    assert report.status == "unreachable"
    assert report.exit_code == 2
    assert issue_status(engine, DAY) == "incomplete"


@pytest.mark.parametrize("query", ["煤", "光伏", "多晶硅", "集大原 高铁"])
def test_search_finds_chinese_of_any_length(engine: Engine, site: ReplicaServer, query: str):
    crawl_site(engine, site, dates=(DAY, date(2024, 5, 8)))
    with Session(engine) as session:
        hits = search(session, query)
    assert hits
    first_term = query.split()[0]
    assert all(first_term in h.snippet or first_term in h.title for h in hits)
    assert any(f"【{first_term}】" in h.snippet for h in hits)
