"""Idempotent writes: an article is stored once by URL, and a changed text keeps the earlier one."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.store import articles
from szwatch.store.articles import ArticleRecord, Outcome
from szwatch.store.db import open_store, session_scope
from szwatch.store.models import Article, ArticleVersion, Picture
from szwatch.store.search import search

URL = "http://szb.example/shtml/szrb/20240507/1.shtml"


def record(text: str = "全市固定资产投资增长5.1%。", **extra: object) -> ArticleRecord:
    fields: dict = {"url": URL, "number": "1", "title": "投资增长", "paragraphs": [text], "raw_paragraphs": [text]}
    fields.update(extra)
    return ArticleRecord(**fields)


def save(engine: Engine, rec: ArticleRecord) -> str:
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, date(2024, 5, 7), "http://x/vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", "http://x/vA1.shtml", "要闻", 0, [rec.url])
        return articles.save_article(session, issue.id or 0, page.id or 0, rec)


def test_same_article_twice_is_one_row(engine: Engine):
    assert save(engine, record()) == Outcome.NEW
    assert save(engine, record()) == Outcome.UNCHANGED
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Article)).one() == 1


def test_changed_text_updates_and_keeps_the_earlier_version(engine: Engine):
    save(engine, record("旧文本。", pictures=[("http://x/a.jpg", "图一")]))
    assert save(engine, record("新文本。", pictures=[("http://x/b.jpg", "图二")])) == Outcome.UPDATED
    with Session(engine) as session:
        stored = session.exec(select(Article)).one()
        versions = session.exec(select(ArticleVersion)).all()
        pictures = session.exec(select(Picture)).all()
    assert stored.text == "新文本。"
    assert [v.text for v in versions] == ["旧文本。"]
    assert [(p.url, p.caption) for p in pictures] == [("http://x/b.jpg", "图二")]


def test_search_finds_updated_text_and_short_queries(engine: Engine):
    save(engine, record("朔州煤炭产量保持稳定。"))
    with Session(engine) as session:
        assert [h.title for h in search(session, "煤炭产量")] == ["投资增长"]
        assert [h.title for h in search(session, "煤")] == ["投资增长"]
        assert search(session, "固定资产") == []
    save(engine, record("全市光伏装机继续增长。"))
    with Session(engine) as session:
        assert search(session, "煤炭产量") == []
        assert search(session, "光伏装机")[0].snippet.startswith("全市【光伏装机】")


def test_migrations_run_again_without_harm(db_url: str):
    open_store(db_url).dispose()
    engine = open_store(db_url)
    save(engine, record())
    assert save(engine, record()) == Outcome.UNCHANGED
