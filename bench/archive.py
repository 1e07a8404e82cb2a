"""A synthetic archive for the benches: about ten years of the paper, full-length articles.

Articles are composed from the replica's corpus (paragraphs of several articles shuffled, figures varied,
invented reporters and firms sprinkled in so that rare terms exist) and go in through the store's real write
path (``save_articles``, which keeps the search index in step) in batches of 1,000; issues and pages are
bulk-inserted. Used by ``bench/search.py`` and ``bench/detect.py``.

``build_bulk`` (PostgreSQL) writes the same archive with COPY: the write path ran at about 25 articles/s on the
busy machine, too slow for 120,000. It is the same rows, made by the store's own functions: the article row of
``save_articles`` (``_new_row``), the index document of ``search.docs_for``, its tsvector and its places kept by pair;
only the GIN index is built once at the end instead of row by row.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from szwatch.replica.build import load_corpus
from szwatch.store import articles as store_articles
from szwatch.store import search
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.models import Issue, Page
from szwatch.store.plain import plain_of
from szwatch.store.search import pair_places

PAGES = ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")
PAGE_NAMES = ("要闻", "综合", "经济", "县区", "县区", "社会", "文化", "副刊")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "晓建志国海军明华伟强磊洋勇艳杰娟涛超秀霞平刚桂英丽敏静芳娜俊峰鹏辉斌宇浩凯博瑞欣悦琳婷雪梅兰竹松柏岩涵泽睿哲翔彤蕾薇媛璐瑶颖"
RARE_CHARS = "犇骉淼焱垚鑫燚琎玥瑀珺璟翀骞昶晟暄皓煦曦"
FIRMS = "鼎泰恒裕嘉瑞丰禾晟昊沣澜汇通启辰宏远"
DIGITS = re.compile(r"\d+(?:\.\d+)?")


def compose(rng: random.Random, corpus: list[dict], serial: int) -> tuple[str, str | None, list[str], str]:
    """One full-length article: a corpus title, paragraphs of several corpus articles, varied figures,
    an invented reporter and (now and then) an invented firm or a rare character."""
    head = rng.choice(corpus)
    paragraphs = list(head["paragraphs"])
    while sum(map(len, paragraphs)) < rng.randint(900, 2600):
        paragraphs.extend(rng.choice(corpus)["paragraphs"])
    rng.shuffle(paragraphs)
    paragraphs = [DIGITS.sub(lambda m: _vary(rng, m.group()), p) for p in paragraphs]
    reporter = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    paragraphs[0] = f"本报讯（记者 {reporter}）" + paragraphs[0]
    if rng.random() < 0.05:
        firm = "朔州" + rng.choice(FIRMS) + rng.choice(FIRMS) + "新材料有限公司"
        paragraphs[-1] += f"据悉，{firm}将参与项目配套建设。"
    if rng.random() < 0.002:
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += f"当地人称此地为“{rng.choice(RARE_CHARS)}园”。"
    return head["title"], head.get("kicker") or None, paragraphs, f"记者 {reporter}"


def _vary(rng: random.Random, number: str) -> str:
    if "." in number:
        return f"{float(number) * rng.uniform(0.6, 1.4):.1f}"
    return str(max(1, int(int(number) * rng.uniform(0.6, 1.4)))) if len(number) < 4 else number


def build(engine: Engine, count: int, seed: int = 9033) -> float:
    """Fill the store with ``count`` articles over about ten years of issues; returns seconds taken."""
    started = time.perf_counter()
    batch: list[tuple[int, int, ArticleRecord]] = []
    made = 0
    for made, item in enumerate(_articles(engine, count, seed), start=1):
        batch.append(item)
        if len(batch) >= 1000 or made == count:
            with session_scope(engine) as session:
                store_articles.save_articles(session, batch)
            batch = []
            print(f"\r  {made:,} articles stored ({time.perf_counter() - started:.0f} s)", end="", flush=True)
    print()
    return time.perf_counter() - started


def build_bulk(engine: Engine, count: int, seed: int = 9033, batch_size: int = 2000) -> float:
    """The archive of ``build`` (same seed: the same articles, ids and index rows) written with COPY, PostgreSQL
    only; the GIN index of the search table is dropped first and built once at the end. Returns seconds taken."""
    started = time.perf_counter()
    gin = search.PG_DDL[1]  # CREATE INDEX ix_search_docs_grams …
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_{search.PG_TABLE}_grams")
        next_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM articles").scalar_one()
    batch: list[tuple[int, int, ArticleRecord]] = []
    for made, item in enumerate(_articles(engine, count, seed), start=1):
        batch.append(item)
        if len(batch) >= batch_size or made == count:
            next_id = _copy_batch(engine, batch, next_id)
            batch = []
            print(f"\r  {made:,} articles copied ({time.perf_counter() - started:.0f} s)", end="", flush=True)
    print(f"\n  building the GIN index ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('articles', 'id'), (SELECT max(id) FROM articles))")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        conn.exec_driver_sql(gin)
    return time.perf_counter() - started


def _copy_batch(engine: Engine, batch: list[tuple[int, int, ArticleRecord]], next_id: int) -> int:
    """COPY one batch of new articles and their index rows in one transaction; returns the next free id."""
    rows: list[dict[str, Any]] = []
    for offset, (issue_id, page_id, record) in enumerate(batch):
        row = store_articles._new_row(issue_id, page_id, record, record.content_hash())
        rows.append({"id": next_id + offset, **row})
    with engine.begin() as conn:
        docs = search.docs_for(conn, [SimpleNamespace(**row) for row in rows])
        spots = [search.pg_places(doc) for doc in docs]
        columns = list(rows[0])
        with conn.connection.driver_connection.cursor() as cursor:  # psycopg's, in this transaction
            with cursor.copy(f"COPY articles ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            with cursor.copy(f"COPY {search.PG_TABLE} (key, article_id, page, grams) FROM STDIN") as copy:
                for doc, (pairs, first) in zip(docs, spots, strict=True):
                    copy.write_row([doc.key, doc.article_id, doc.page, search.tsvector_literal(pairs, first)])
        pair_places.write(plain_of(conn), [(doc.key, s[0]) for doc, s in zip(docs, spots, strict=True)])
    return next_id + len(rows)


def _articles(engine: Engine, count: int, seed: int) -> Iterator[tuple[int, int, ArticleRecord]]:
    """The issues and pages (bulk-inserted first), then ``count`` articles to store, 40 an issue, in order."""
    rng = random.Random(seed)
    corpus = load_corpus()
    per_issue = 40
    days = _publishing_days(date(2015, 1, 5), -(-count // per_issue))
    issue_rows = [{"source": "szrb", "issue_date": d, "issue_no": 5000 + i, "pages_declared": len(PAGES),
                   "url": f"http://bench.local/{d:%Y%m%d}/", "status": "complete"} for i, d in enumerate(days)]  # fmt: skip
    with session_scope(engine) as session:
        conn = session.connection()
        issue_ids = [r[0] for r in conn.execute(insert(Issue.__table__).returning(Issue.__table__.c.id), issue_rows)]
        page_rows = [
            {"issue_id": issue_id, "code": code, "name": name, "url": f"{row['url']}v{code}.shtml", "seq": seq,
             "article_urls": []}
            for issue_id, row in zip(issue_ids, issue_rows, strict=True)
            for seq, (code, name) in enumerate(zip(PAGES, PAGE_NAMES, strict=True))
        ]  # fmt: skip
        page_ids = [r[0] for r in conn.execute(insert(Page.__table__).returning(Page.__table__.c.id), page_rows)]
    made = 0
    for i, (issue_id, row) in enumerate(zip(issue_ids, issue_rows, strict=True)):
        for n in range(per_issue):
            if made == count:
                return
            page_at = i * len(PAGES) + n * len(PAGES) // per_issue
            title, kicker, paragraphs, byline = compose(rng, corpus, made)
            url = f"{row['url']}content_{n + 1}.shtml"
            record = ArticleRecord(url=url, number=str(n + 1), title=title, kicker=kicker, byline=byline,
                                   paragraphs=paragraphs, raw_paragraphs=paragraphs)  # fmt: skip
            yield issue_id, page_ids[page_at], record
            made += 1


def _publishing_days(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 6:
            days.append(day)
        day += timedelta(days=1)
    return days
