"""The character-level search index: queries of any length, filters, order, paging, and an index that stays
in step with the write path (new, changed and repeated articles) and with the migration's backfill.

Every query here is asked twice, through a session (what the web view holds) and through ``plain_reader``
(what ``szwatch search`` uses: stdlib sqlite3 on the embedded store), and both must answer the same."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.store import articles, search
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import MIGRATIONS, make_engine, open_store, plain_reader, session_scope
from szwatch.store.plain import SqlitePlain
from szwatch.store.search import SearchError, SearchQuery, SearchResult, find

ARTICLES = [
    # (date, page, number, title, text)
    (date(2024, 5, 6), "A1", "1", "东立多晶硅项目投产", "平鲁区东立多晶硅项目今日投产，年产多晶硅20万吨。"),
    (date(2024, 5, 6), "A2", "2", "煤炭保供稳价", "全市煤炭产量同比增长3.5%，平朔矿区保持稳定。"),
    (date(2024, 5, 7), "A1", "1", "GDP同比增长5.1%", "一季度全市地区生产总值(GDP)完成298.4亿元，同比增长5.1%。"),
    (date(2024, 5, 7), "A3", "2", "怀仁陶瓷出口", "怀仁市陶瓷企业出口订单增加，平朔集团配套物流。"),
    (date(2024, 5, 8), "A1", "1", "光伏装机容量创新高", "右玉县光伏装机容量达到120万千瓦，风电装机同步增长。"),
]


def store(engine: Engine, rows: list[tuple[date, str, str, str, str]]) -> None:
    with session_scope(engine) as session:
        for day, page_code, number, title, body in rows:
            issue = articles.upsert_issue(session, day, f"http://x/{day:%Y%m%d}/")
            page = articles.upsert_page(session, issue, page_code, f"http://x/{day:%Y%m%d}/v{page_code}", None, 0, [])
            record = ArticleRecord(url=f"http://x/{day:%Y%m%d}/{page_code}-{number}.shtml", number=number, title=title,
                                   paragraphs=[body], raw_paragraphs=[body])  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def result(engine: Engine, q: str, **options: object) -> SearchResult:
    query = SearchQuery(q, **options)  # type: ignore[arg-type]
    with Session(engine) as session:
        through_session = find(session, query)
    with plain_reader(url_of(engine)) as conn:
        assert find(conn, query) == through_session
    return through_session


def titles(engine: Engine, q: str, **options: object) -> list[str]:
    return [h.title for h in result(engine, q, **options).hits]


def total(engine: Engine, q: str, **options: object) -> int:
    return result(engine, q, **options).total


@pytest.fixture
def archive(engine: Engine) -> Engine:
    store(engine, ARTICLES)
    return engine


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("煤", ["煤炭保供稳价"]),  # one character
        ("晶", ["东立多晶硅项目投产"]),
        ("平朔", ["怀仁陶瓷出口", "煤炭保供稳价"]),  # two characters, newest first
        ("多晶硅", ["东立多晶硅项目投产"]),  # three
        ("地区生产总值", ["GDP同比增长5.1%"]),
        ("装机 右玉", ["光伏装机容量创新高"]),  # several terms must all occur
        ("平朔 陶", ["怀仁陶瓷出口"]),  # a pair and a single character together
        ("gdp", ["GDP同比增长5.1%"]),  # Latin letters in any case
        ("3.5%", ["煤炭保供稳价"]),  # punctuation inside a term: checked against the text
        ("5.1%", ["GDP同比增长5.1%"]),
    ],
)
def test_queries_of_any_length_find_exactly_the_articles_containing_them(archive: Engine, query: str, expected):
    assert titles(archive, query) == expected
    assert total(archive, query) == len(expected)


def test_characters_apart_are_not_a_match(archive: Engine):
    assert titles(archive, "晶多") == []  # both characters occur, never in this order
    assert titles(archive, "硅项目投") == ["东立多晶硅项目投产"]
    assert titles(archive, "多晶硅项目投产今日") == []  # across the boundary of title and text
    assert titles(archive, "3.6%") == []


def test_newest_first_then_page_order_and_the_filters(archive: Engine):
    assert titles(archive, "全市") == ["GDP同比增长5.1%", "煤炭保供稳价"]
    assert titles(archive, "增长", start=date(2024, 5, 7)) == ["光伏装机容量创新高", "GDP同比增长5.1%"]
    assert titles(archive, "增长", end=date(2024, 5, 6)) == ["煤炭保供稳价"]
    assert titles(archive, "增长", start=date(2024, 5, 7), end=date(2024, 5, 7)) == ["GDP同比增长5.1%"]
    assert titles(archive, "平朔", page="A3") == ["怀仁陶瓷出口"]
    assert titles(archive, "平", page="A2") == ["煤炭保供稳价"]


def test_paging_keeps_the_total_and_moves_on(archive: Engine):
    first = titles(archive, "市", limit=2)
    second = titles(archive, "市", limit=2, offset=2)
    assert len(first) == 2 and second and not set(first) & set(second)
    assert total(archive, "市", limit=2) == total(archive, "市", limit=2, offset=2) == len(first + second + titles(
        archive, "市", limit=2, offset=4))  # fmt: skip


def test_relevance_puts_the_title_hit_first(archive: Engine):
    store(archive, [(date(2024, 5, 9), "A4", "1", "一周要闻", "本周多晶硅价格平稳。")])
    assert titles(archive, "多晶硅")[0] == "一周要闻"  # newest
    assert titles(archive, "多晶硅", order="relevance")[0] == "东立多晶硅项目投产"  # in the title, twice in the text


def test_snippet_marks_every_term(archive: Engine):
    [hit] = result(archive, "光伏 风电").hits
    assert "【光伏】" in hit.snippet and "【风电】" in hit.snippet
    assert "【" not in hit.excerpt and "光伏装机容量" in hit.excerpt


@pytest.mark.parametrize("query", ["", "  ", "！？", "——"])
def test_nothing_searchable_is_a_clear_error(archive: Engine, query: str):
    with Session(archive) as session, pytest.raises(SearchError, match="nothing to search"):
        find(session, SearchQuery(query))
    with Session(archive) as session:
        assert search.search(session, query) == []


def test_changed_article_is_found_by_its_new_text_only(archive: Engine):
    store(archive, [(date(2024, 5, 6), "A2", "2", "煤炭保供稳价", "全市电煤库存充足，焦炭价格回落。")])
    assert titles(archive, "焦炭") == ["煤炭保供稳价"]
    assert titles(archive, "平朔") == ["怀仁陶瓷出口"]
    assert titles(archive, "3.5%") == []
    store(archive, [(date(2024, 5, 6), "A2", "2", "煤炭保供稳价", "全市电煤库存充足，焦炭价格回落。")])  # unchanged
    assert total(archive, "焦炭") == 1
    assert_index_matches_a_rebuild(archive, ["焦炭", "煤", "平朔", "全市", "增长", "市"])


def test_same_article_twice_in_one_batch_is_indexed_once(archive: Engine):
    record = ArticleRecord(url="http://x/20240506/A2-2.shtml", number="2", title="煤炭保供稳价",
                           paragraphs=["焦炭价格回落。"], raw_paragraphs=["焦炭价格回落。"])  # fmt: skip
    again = ArticleRecord(url=record.url, number="2", title="煤炭保供稳价", paragraphs=["电煤库存充足。"],
                          raw_paragraphs=["电煤库存充足。"])  # fmt: skip
    with session_scope(archive) as session:
        issue = articles.get_issue(session, date(2024, 5, 6))
        page = articles.get_page(session, issue, "A2")  # type: ignore[arg-type]
        outcomes = articles.save_articles(session, [(issue.id, page.id, record), (issue.id, page.id, again)])  # type: ignore[union-attr]
    assert outcomes == ["updated", "unchanged"]
    assert titles(archive, "焦炭") == ["煤炭保供稳价"]
    assert_index_matches_a_rebuild(archive, ["焦炭", "电煤", "煤", "平朔"])


def assert_index_matches_a_rebuild(engine: Engine, queries: list[str]) -> None:
    before = {q: (total(engine, q), titles(engine, q)) for q in queries}
    with engine.begin() as conn:
        search.rebuild(conn)
    assert {q: (total(engine, q), titles(engine, q)) for q in queries} == before


def test_migration_indexes_the_articles_already_stored(db_url: str):
    """A store at the revision before the index gets it filled on upgrade, and can go back down."""
    engine, cfg = older_store(db_url, "0004")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert titles(engine, "硅") == titles(engine, "晶硅") == titles(engine, "多晶硅项目") == ["硅芯园区"]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        command.upgrade(cfg, "head")
    assert titles(engine, "园区") == ["硅芯园区"]
    engine.dispose()


def older_store(db_url: str, revision: str) -> tuple[Engine, Config]:
    """A store as an older szwatch left it: the schema at ``revision`` and one article, written with plain SQL
    (today's write path expects today's schema). Returns the engine and the Alembic config to move it on."""
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO issues (id, source, issue_date, url, status, first_seen_at, updated_at) VALUES "
                          "(1, 'szrb', '2024-05-07', 'http://x/', 'complete', '2024-05-07', '2024-05-07')"))  # fmt: skip
        conn.execute(text("INSERT INTO pages (id, issue_id, code, url, seq, fetched_at) VALUES "
                          "(1, 1, 'A1', 'http://x/vA1', 0, '2024-05-07')"))  # fmt: skip
        conn.execute(text("INSERT INTO articles (id, url, issue_id, page_id, number, title, text, raw_text, content_hash,"
                          " truncation_suspect, first_seen_at, updated_at) VALUES (7, 'http://x/1', 1, 1, '1',"
                          " '硅芯园区', '多晶硅项目投产。', '多晶硅项目投产。', 'h', false, '2024-05-07', '2024-05-07')"))  # fmt: skip
    return engine, cfg


def test_a_store_behind_the_newest_migration_is_upgraded_before_the_quick_read(db_url: str):
    """``szwatch search`` on a store an older szwatch wrote: the reader migrates it (index backfill included)."""
    engine, _ = older_store(db_url, "0006")
    with plain_reader(db_url) as conn:
        assert [h.title for h in search.search(conn, "多晶硅")] == ["硅芯园区"]
    with plain_reader(db_url) as conn:  # now at the head: the embedded store is read through sqlite3
        assert isinstance(conn, SqlitePlain) == db_url.startswith("sqlite")
    engine.dispose()


def test_a_new_store_file_is_created_and_finds_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'szwatch.db'}"
    with plain_reader(url) as conn:
        assert search.search(conn, "硅") == []
    assert (tmp_path / "new" / "szwatch.db").is_file()


def test_the_quick_reader_cannot_change_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'szwatch.db'}"
    engine = open_store(url)
    store(engine, ARTICLES)
    with plain_reader(url) as conn, pytest.raises(sqlite3.OperationalError, match="readonly"):
        assert isinstance(conn, SqlitePlain)
        conn.run("DELETE FROM articles")
    assert total(engine, "平朔") == 2
    engine.dispose()


def test_migration_0016_keeps_the_places_of_the_articles_already_indexed(db_url: str):
    """A store from before the places kept by pair (PostgreSQL ranks from them) gets them on upgrade, built as the
    write path builds them, and can go back down; SQLite has nothing to add and still ranks the same."""
    engine, cfg = older_store(db_url, "0015")
    with engine.begin() as conn:
        search.rebuild(conn)  # the index as 0015 kept it: tsvectors only
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TABLE search_places"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT pair, keys, places FROM search_places WHERE pair IN ('晶硅', '园区')"))
            assert sorted((pair, len(keys), spots) for pair, keys, spots in kept) == [
                ("园区", 1, ["3A"]), ("晶硅", 1, ["7"])
            ]  # fmt: skip
    with Session(engine) as session:
        hits = find(session, SearchQuery("多晶硅", order="relevance")).hits
    assert [h.title for h in hits] == ["硅芯园区"]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
        command.upgrade(cfg, "head")
    with Session(engine) as session:
        assert [h.title for h in find(session, SearchQuery("晶硅", order="relevance")).hits] == ["硅芯园区"]
    engine.dispose()
