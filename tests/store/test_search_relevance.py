"""Search by relevance gives the answers it gave before it was made fast (issue #20): on a corpus, the top results
of 2-, 3- and 5-character queries, frequent and rare, are the ranking of every match; a term found in more
than ``RANKED`` articles is ranked among its newest ``RANKED`` matches, also when the newest articles do not hold
it and within the dates asked; one character stays newest first."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.replica.build import load_corpus
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.search import SearchQuery, find, pair_places
from szwatch.store.search import index as search_index
from szwatch.store.search import query as search_query
from szwatch.store.search.index import article_id_of, pairs, runs, search_key
from tests.conftest import store_story

FIRST_DAY = date(2024, 3, 1)


@pytest.fixture
def corpus(engine: Engine) -> Engine:
    """The replica's 245 articles, five an issue, oldest first."""
    with session_scope(engine) as session:
        for n, article in enumerate(load_corpus()):
            day = FIRST_DAY + timedelta(days=n // 5)
            issue = articles.upsert_issue(session, day, f"http://x/{day:%Y%m%d}/")
            page = articles.upsert_page(session, issue, "A1", f"http://x/{day:%Y%m%d}/vA1", None, 0, [])
            record = ArticleRecord(url=f"http://x/{day:%Y%m%d}/{n}.shtml", number=str(n), title=article["title"],
                                   kicker=article.get("kicker"), subtitle=article.get("subtitle"),
                                   paragraphs=article["paragraphs"], raw_paragraphs=article["paragraphs"])  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)
    return engine


def queries(engine: Engine) -> dict[int, list[str]]:
    """Per length, the two most frequent terms of the corpus and two found in one or two articles."""
    with engine.connect() as conn:
        texts = [r[0] for r in conn.execute(text("SELECT title || text FROM articles"))]
    chosen: dict[int, list[str]] = {}
    for length in (2, 3, 5):
        counts = Counter(t for body in texts for t in {r[i : i + length] for r in runs(body) for i in range(len(r))}
                         if len(t) == length)  # fmt: skip
        ranked = counts.most_common()
        chosen[length] = [t for t, _ in ranked[:2]] + [t for t, n in ranked if n <= 2][:2]
    return chosen


def every_query(engine: Engine) -> list[str]:
    """``queries`` in one list: every length, frequent and rare."""
    return [term for terms in queries(engine).values() for term in terms]


def ranked_before(engine: Engine, term: str, newest: int | None = None, until: date | None = None) -> list[int]:
    """The ranking as it was before #20: SQLite's bm25 over every match (``newest``: over the newest that many),
    PostgreSQL's ts_rank over the newest 2,000 (by walking the key index newest first); ``until``: issues up to
    that date only."""
    hi = search_key(until, 0) if until else 1 << 62
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            match = f'{{title body}} : "{pairs(runs(term))}"'
            keys = ("SELECT rowid FROM search_pairs WHERE search_pairs MATCH :m AND rowid <= :hi"
                    " ORDER BY rowid DESC LIMIT :n")  # fmt: skip
            pool = conn.execute(text(keys), {"m": match, "n": newest or -1, "hi": hi}).scalars().all()
            statement = ("SELECT rowid FROM search_pairs WHERE search_pairs MATCH :m AND rowid >= :cut"
                         " AND rowid <= :hi ORDER BY rank, rowid DESC LIMIT 20")  # fmt: skip
            rows = conn.execute(text(statement), {"m": match, "cut": min(pool), "hi": hi})
        else:
            statement = (
                "SELECT s.key FROM (SELECT key, grams FROM search_docs WHERE grams @@ CAST(:q AS tsquery)"
                " AND key <= :hi ORDER BY key DESC LIMIT :n) s"
                " ORDER BY ts_rank(s.grams, CAST(:q AS tsquery)) DESC, s.key DESC LIMIT 20"
            )
            rows = conn.execute(text(statement), {"q": search_query._tsquery([term]), "n": newest or 2000, "hi": hi})
        return [article_id_of(r[0]) for r in rows]


def ranked_now(engine: Engine, term: str, until: date | None = None) -> list[int]:
    with Session(engine) as session:
        return [h.article_id for h in find(session, SearchQuery(term, order="relevance", end=until)).hits]


def add_articles_without(engine: Engine, terms: list[str], count: int) -> None:
    """``count`` newer articles, five an issue after the corpus's last, none of which holds any of ``terms``."""
    body = "今天天气晴朗，市民在公园散步。"
    assert not any(term in body or term in "天气" for term in terms)
    with session_scope(engine) as session:
        for n in range(count):
            day = FIRST_DAY + timedelta(days=100 + n // 5)
            issue = articles.upsert_issue(session, day, f"http://x/{day:%Y%m%d}/")
            page = articles.upsert_page(session, issue, "A1", f"http://x/{day:%Y%m%d}/vA1", None, 0, [])
            record = ArticleRecord(url=f"http://x/{day:%Y%m%d}/later-{n}.shtml", number=str(n), title="天气",
                                   paragraphs=[body], raw_paragraphs=[body])  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)


def test_top_results_are_those_of_the_ranking_before(corpus: Engine):
    asked = queries(corpus)
    assert all(len(terms) == 4 for terms in asked.values()), asked
    for terms in asked.values():
        for term in terms:
            before = ranked_before(corpus, term)
            assert before and ranked_now(corpus, term) == before, term


@pytest.mark.parametrize("length", [2, 3, 5])
def test_a_frequent_term_is_ranked_among_its_newest_matches(
    corpus: Engine, monkeypatch: pytest.MonkeyPatch, length: int
):
    monkeypatch.setattr(search_query, "RANKED", 20)
    term = queries(corpus)[length][0]
    with Session(corpus) as session:
        result = find(session, SearchQuery(term, order="relevance"))
        newest = find(session, SearchQuery(term, limit=20))
    assert result.total > 20  # the total still counts every match, as newest first does
    assert (result.total, result.total_exact) == (newest.total, newest.total_exact)
    assert sorted(h.article_id for h in result.hits) == sorted(h.article_id for h in newest.hits)
    assert [h.article_id for h in result.hits] == ranked_before(corpus, term, newest=20)


def test_a_term_not_in_the_newest_articles_is_ranked_among_its_newest_matches(
    corpus: Engine, monkeypatch: pytest.MonkeyPatch
):
    """A term frequent long ago: the newest 400 articles do not hold it, so the first place looked at for its
    newest matches holds none of them, and the search looks further back until it finds them all."""
    monkeypatch.setattr(search_query, "RANKED", 20)
    asked = queries(corpus)
    add_articles_without(corpus, [t for terms in asked.values() for t in terms], 400)
    for length in (2, 3, 5):
        term = asked[length][0]
        assert ranked_now(corpus, term) == ranked_before(corpus, term, newest=20), term


def test_by_relevance_within_dates_ranks_the_newest_matches_up_to_the_end(
    corpus: Engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(search_query, "RANKED", 20)
    until = FIRST_DAY + timedelta(days=30)
    term = queries(corpus)[2][0]
    hits = ranked_now(corpus, term, until=until)
    assert hits == ranked_before(corpus, term, newest=20, until=until)
    assert hits != ranked_before(corpus, term, newest=20)  # the articles after the end would have ranked otherwise


def test_a_pair_found_in_titles_gives_the_ranking_of_every_match(corpus: Engine):
    """A page whose every result holds the pair in its title (which outranks any number of places in the body) is
    the same page as the ranking of every match gives, at any offset."""
    with corpus.connect() as conn:
        titles = [r[0] for r in conn.execute(text("SELECT title FROM articles"))]
    counts = Counter(p for title in titles for p in {r[i : i + 2] for r in runs(title) for i in range(len(r) - 1)})
    pair, in_titles = counts.most_common(1)[0]
    assert in_titles >= 4, (pair, in_titles)
    in_titles = min(in_titles, 20)  # the first page of the ranking before
    ranked = ranked_before(corpus, pair)
    with Session(corpus) as session:
        for offset, limit in ((0, in_titles), (1, 2), (in_titles - 2, 2)):
            hits = find(session, SearchQuery(pair, order="relevance", offset=offset, limit=limit)).hits
            assert [h.article_id for h in hits] == ranked[offset : offset + limit], (pair, offset)


def test_a_body_full_of_a_phrase_is_ranked_where_every_place_puts_it(engine: Engine):
    """ts_rank adds up every pair of nearby places of a phrase's pairs, so a body that repeats ``朔州市`` sixty times
    outranks a title that holds it once (1.0 against 0.991): no shortcut by titles, counts or bounds may put the
    titled article first. An article holding both pairs but not the phrase is no match."""
    stories = [("朔州市召开会议", ["会议在市里召开。"]), ("一篇报道", ["朔州市，" * 60]),
               ("另一篇报道", ["今天朔州市天气晴朗。"]), ("朔州新闻", ["本州市场繁荣。"])]  # fmt: skip
    for n, (title, paragraphs) in enumerate(stories):
        store_story(engine, FIRST_DAY + timedelta(days=n), n + 1, title, paragraphs)
    with engine.connect() as conn:
        ids = {row[0]: row[1] for row in conn.execute(text("SELECT title, id FROM articles"))}
    titled, full, once = ids["朔州市召开会议"], ids["一篇报道"], ids["另一篇报道"]
    assert ranked_now(engine, "朔州市") == ranked_before(engine, "朔州市")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            ranks = conn.execute(text("SELECT article_id, ts_rank(grams, CAST(:q AS tsquery)) FROM search_docs"),
                                 {"q": search_query._tsquery(["朔州市"])})  # fmt: skip
            rank = {row[0]: row[1] for row in ranks}
        assert rank[full] > rank[titled] > rank[once]
        assert ranked_now(engine, "朔州市") == [full, titled, once]


def test_one_character_by_relevance_stays_newest_first(corpus: Engine):
    with Session(corpus) as session:
        by_relevance = find(session, SearchQuery("市", order="relevance", limit=10)).hits
        newest = find(session, SearchQuery("市", limit=10)).hits
    assert [h.article_id for h in by_relevance] == [h.article_id for h in newest]
    assert by_relevance[0].issue_date == max(h.issue_date for h in newest)


@pytest.mark.parametrize("from_places", [True, False], ids=["from places", "from tsvectors"])
def test_a_window_ranked_in_two_halves_at_once_gives_the_same_page(
    corpus: Engine, monkeypatch: pytest.MonkeyPatch, from_places: bool
):
    """On PostgreSQL a long window of a phrase's matches is ranked in two halves on two connections at once,
    from the places kept by pair or (a character in the query, or places that would cost more to read) from the
    tsvectors: the page is the one ranking them all gives, frequent and rare. SQLite ranks in one statement;
    the page is the same there too."""
    monkeypatch.setattr(search_query, "SPLIT_FROM", 2)
    monkeypatch.setattr(pair_places, "worth_it", lambda candidates, rows: from_places)
    ranking = Counter[int]()  # the server processes that ranked, by their process id

    def count_ranking(conn: Any, cursor: Any, statement: str, *_: object) -> None:
        if "ts_rank" in statement:
            ranking[conn.connection.driver_connection.info.backend_pid] += 1

    event.listen(corpus, "before_cursor_execute", count_ranking)
    for term in every_query(corpus):
        assert ranked_now(corpus, term) == ranked_before(corpus, term), term
    event.remove(corpus, "before_cursor_execute", count_ranking)
    if corpus.dialect.name == "postgresql":
        assert len(ranking) >= 2, ranking  # both halves of a window, each on its own connection


def test_a_search_holding_the_last_connection_ranks_both_halves_itself(
    corpus: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
):
    """When the pool has no connection to spare (a busy web view: every request holds one), the search does not
    wait for one: it ranks the second half itself, and the page is the same."""
    monkeypatch.setattr(search_query, "SPLIT_FROM", 2)
    monkeypatch.setattr(pair_places, "worth_it", lambda candidates, rows: False)
    one = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    try:
        for term in every_query(corpus):
            assert ranked_now(one, term) == ranked_before(corpus, term), term
    finally:
        one.dispose()


def places_and_tsvectors(engine: Engine) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Every (key, pair, places, weights) as the places kept by pair give them, and as the tsvectors do."""
    with engine.connect() as conn:
        kept = conn.execute(text(
            "SELECT u.k, l.lexeme, l.positions, l.weights FROM search_places b"
            " CROSS JOIN LATERAL unnest(b.keys, b.places) AS u(k, p)"
            " CROSS JOIN LATERAL unnest(CAST('''' || b.pair || ''':' || u.p AS tsvector)) AS l"
        )).all()  # fmt: skip
        indexed = conn.execute(text(
            "SELECT d.key, l.lexeme, l.positions, l.weights FROM search_docs d CROSS JOIN LATERAL unnest(d.grams) AS l"
            " WHERE char_length(l.lexeme) = 2"
        )).all()  # fmt: skip
    return {(k, pair, tuple(at), tuple(w)) for k, pair, at, w in kept}, {
        (k, pair, tuple(at), tuple(w)) for k, pair, at, w in indexed
    }


def test_the_places_kept_by_pair_are_the_tsvectors_own(corpus: Engine):
    """PostgreSQL ranks a query of pairs from the places kept by pair: they are every pair of every tsvector, at
    the same places with the same weights, also after an article's text changed and another was removed."""
    if corpus.dialect.name != "postgresql":
        pytest.skip("SQLite ranks from FTS5's own index")
    kept, indexed = places_and_tsvectors(corpus)
    assert len(kept) == len(indexed) > 10_000
    assert kept == indexed
    with corpus.connect() as conn:
        first, second = conn.execute(text("SELECT a.id, a.url FROM articles a ORDER BY a.id LIMIT 2")).all()
    body = "朔州市召开高质量发展大会。" * 3
    with session_scope(corpus) as session:
        article = session.get(articles.Article, first[0])
        assert article is not None
        record = ArticleRecord(url=first[1], number="0", title="朔州市新闻", paragraphs=[body], raw_paragraphs=[body])
        assert articles.save_article(session, article.issue_id, article.page_id, record) == "updated"
    with session_scope(corpus) as session:
        gone = session.get(articles.Article, second[0])
        assert gone is not None
        search_index.remove(session, [gone])
    kept, indexed = places_and_tsvectors(corpus)
    assert kept == indexed
    assert ranked_now(corpus, "高质量发展") == ranked_before(corpus, "高质量发展")
    assert first[0] in ranked_now(corpus, "高质量发展")


def test_two_writers_storing_the_same_day_at_once_do_not_wait_on_each_other(engine: Engine):
    """Two crawl nodes storing articles of the same day on one PostgreSQL share most (pair, ten days) rows of the
    places kept by pair: the second appends to rows of its own instead of waiting for the first to commit, and
    every place is kept once, as the tsvectors have it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    store_story(engine, FIRST_DAY, 1, "朔州市项目建设", ["朔州市高质量发展项目开工。"])
    with session_scope(engine) as first:
        store_in(first, 2, "朔州市项目签约", ["朔州市新能源项目签约。"])
        with session_scope(engine) as second:
            second.connection().execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would fail, not hang
            store_in(second, 3, "朔州市项目投产", ["朔州市高质量发展项目投产。"])
    kept, indexed = places_and_tsvectors(engine)
    assert kept == indexed
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM search_places WHERE pair = '朔州'")).scalar_one()
    assert rows == 2  # the second writer's own row beside the first's
    assert ranked_now(engine, "朔州市") == ranked_before(engine, "朔州市")
    assert len(ranked_now(engine, "朔州市")) == 3


def store_in(session: Session, number: int, title: str, paragraphs: list[str]) -> None:
    """One more story on page A1 of ``FIRST_DAY``'s issue (stored before), in the caller's transaction."""
    with Session(session.get_bind()) as look:
        issue = articles.get_issue(look, FIRST_DAY)
        assert issue is not None
        page = articles.get_page(look, issue, "A1")
        assert page is not None
    base = f"http://szb.example/shtml/szrb/{FIRST_DAY:%Y%m%d}/"
    record = ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=title, paragraphs=paragraphs,
                           raw_paragraphs=paragraphs)  # fmt: skip
    articles.save_article(session, issue.id or 0, page.id or 0, record)
