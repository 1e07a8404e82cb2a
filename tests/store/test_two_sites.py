"""One article from two sites of a paper: the store keeps it once, with the second site's URL beside it."""

from __future__ import annotations

from datetime import date

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.store import articles
from szwatch.store.articles import ArticleRecord, Outcome
from szwatch.store.db import MIGRATIONS, make_engine, session_scope
from szwatch.store.models import Article, Page

DAY = date(2024, 5, 7)
OLD, NEW = "http://szb.example/shtml/szrb/20240507/", "http://epaper.example/szrb/20240507/html/"
BODY = ["本报讯 朔州市东立多晶硅项目今日投产，年产多晶硅5万吨。", "项目总投资120亿元。"]


def record(url: str, title: str = "多晶硅项目投产", paragraphs: list[str] = BODY) -> ArticleRecord:
    return ArticleRecord(url=url, number=url.rsplit("/", 1)[1], title=title, paragraphs=paragraphs,
                         raw_paragraphs=paragraphs)  # fmt: skip


def save(engine: Engine, page_url: str, code: str, rec: ArticleRecord) -> str:
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, DAY, OLD + "vA1.shtml")
        page = articles.upsert_page(session, issue, code, page_url, "要闻", 0, [rec.url], number=1)
        return articles.save_article(session, issue.id or 0, page.id or 0, rec)


def test_the_same_article_from_another_site_is_kept_as_its_other_url(engine: Engine):
    assert save(engine, OLD + "vA1.shtml", "A1", record(OLD + "1.shtml")) == Outcome.NEW
    # the new site: its own page code and URL, another line break and full-width spaces, the same article
    spaced = ["本报讯　朔州市东立多晶硅项目今日投产，", "年产多晶硅 5 万吨。项目总投资120亿元。"]
    twin = save(engine, NEW + "page_01.htm", "01", record(NEW + "content_20240507001001.htm", paragraphs=spaced))
    other = save(engine, NEW + "page_01.htm", "01", record(NEW + "content_20240507001002.htm", "煤矿安全检查"))
    again = save(engine, NEW + "page_01.htm", "01", record(NEW + "content_20240507001001.htm", paragraphs=spaced))

    assert (twin, other, again) == (Outcome.ALTERNATE, Outcome.NEW, Outcome.UNCHANGED)
    with Session(engine) as session:
        stored = session.exec(select(Article).order_by(Article.id)).all()
        pages = session.exec(select(Page)).all()
        first_alternates = articles.alternate_urls(session, stored[0].id or 0)
        issue = articles.get_issue(session, DAY)
        assert issue is not None
        known = articles.known_article_urls(session, issue)
    assert [a.url for a in stored] == [OLD + "1.shtml", NEW + "content_20240507001002.htm"]
    assert first_alternates == [NEW + "content_20240507001001.htm"]
    assert [(p.code, p.number, p.url) for p in pages] == [("A1", 1, OLD + "vA1.shtml")]  # one 第1版, two listings
    assert pages[0].article_urls == [OLD + "1.shtml", NEW + "content_20240507001001.htm",
                                     NEW + "content_20240507001002.htm"]  # fmt: skip
    assert NEW + "content_20240507001001.htm" in known  # a later crawl of the new site does not fetch it again


def test_two_urls_of_one_site_are_never_merged(engine: Engine):
    save(engine, OLD + "vA1.shtml", "A1", record(OLD + "1.shtml"))
    assert save(engine, OLD + "vA1.shtml", "A1", record(OLD + "2.shtml")) == Outcome.NEW  # a reprint: its own row


def test_a_store_from_before_migration_0015_keeps_its_pages_and_articles(db_url: str):
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0014")
        conn.execute(text("INSERT INTO issues (source, issue_date, url, status, first_seen_at, updated_at) "
                          "VALUES ('szrb', '2024-05-07', 'http://szb.example/', 'complete', CURRENT_TIMESTAMP,"
                          " CURRENT_TIMESTAMP)"))  # fmt: skip
        conn.execute(text("INSERT INTO pages (issue_id, code, url, seq, article_urls, fetched_at) "
                          "VALUES (1, 'A1', 'http://szb.example/vA1.shtml', 0, '[]', CURRENT_TIMESTAMP)"))  # fmt: skip
        command.upgrade(cfg, "head")
        page = conn.execute(text("SELECT code, number FROM pages")).one()
        alternates = conn.execute(text("SELECT count(*) FROM article_alternates")).scalar()
        command.downgrade(cfg, "0014")
        after_down = conn.execute(text("SELECT code FROM pages")).scalar()
        command.upgrade(cfg, "head")
    engine.dispose()

    assert tuple(page) == ("A1", None) and alternates == 0  # no number until a crawl reads the page list again
    assert after_down == "A1"
