"""Several papers in one store: every issue records its paper, and search and exports say which, and filter by it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.models import Article
from szwatch.store.reads import articles as article_reads
from szwatch.store.search import SearchQuery, find

DAY = date(2024, 5, 7)
STORIES = [  # paper, title, body
    ("szrb", "多晶硅项目投产", "朔州市东立多晶硅项目今日投产，年产多晶硅5万吨。"),
    ("sxrb", "全省多晶硅产能提升", "太原、朔州等地多晶硅项目加快建设，全省产能持续提升。"),
    ("sxjjrb", "光伏产业链延伸", "山西光伏产业链向多晶硅、硅片延伸。"),
]


def store_papers(engine: Engine) -> None:
    with session_scope(engine) as session:
        for number, (paper, title, body) in enumerate(STORIES, 1):
            base = f"http://{paper}.example/{DAY:%Y%m%d}/"
            issue = articles.upsert_issue(session, DAY, base + "vA1.shtml", paper)
            page = articles.upsert_page(session, issue, "A1", base + "vA1.shtml", "要闻", 0, [])
            record = ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=title, paragraphs=[body],
                                   raw_paragraphs=[body])  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)


def test_the_same_day_of_three_papers_is_three_issues_and_search_filters_by_paper(engine: Engine):
    store_papers(engine)

    with Session(engine) as session:
        everything = find(session, SearchQuery("多晶硅"))
        provincial = find(session, SearchQuery("多晶硅", paper="sxrb"))
        exact = find(session, SearchQuery("多晶硅、", paper="sxjjrb"))  # punctuation: the exact-term path
        rows = list(article_reads.article_rows(session))
        stored = {a.url: a for a in session.exec(select(Article)).all()}

    assert sorted(h.paper for h in everything.hits) == ["sxjjrb", "sxrb", "szrb"]
    assert (provincial.total, [h.title for h in provincial.hits]) == (1, ["全省多晶硅产能提升"])
    assert [h.paper for h in exact.hits] == ["sxjjrb"]
    assert sorted((r["paper"], r["issue_date"]) for r in rows) == [
        (p, DAY.isoformat()) for p in ("sxjjrb", "sxrb", "szrb")
    ]
    for row in rows:  # the export's times read with plain SQL, as the ORM gives them (UTC, with the offset)
        article = stored[str(row["url"])]
        assert (row["first_seen_at"], row["updated_at"], row["title"]) == (
            article.first_seen_at.isoformat(),
            article.updated_at.isoformat(),
            article.title,
        )
