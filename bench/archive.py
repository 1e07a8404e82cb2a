"""A synthetic archive for the benches: about ten years of the paper, full-length articles.

Articles are composed from the replica's corpus (paragraphs of several articles shuffled, figures varied,
invented reporters and firms sprinkled in so that rare terms exist) and go in through the store's real write
path (``save_articles``, which keeps the search index in step) in batches of 1,000; issues and pages are
bulk-inserted. Used by ``bench/search.py`` and ``bench/detect.py``.
"""

from __future__ import annotations

import random
import re
import time
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from szwatch.replica.build import load_corpus
from szwatch.store import articles as store_articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.models import Issue, Page

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
    batch: list[tuple[int, int, ArticleRecord]] = []
    made = 0
    for i, (issue_id, row) in enumerate(zip(issue_ids, issue_rows, strict=True)):
        for n in range(per_issue):
            if made == count:
                break
            page_at = i * len(PAGES) + n * len(PAGES) // per_issue
            title, kicker, paragraphs, byline = compose(rng, corpus, made)
            url = f"{row['url']}content_{n + 1}.shtml"
            record = ArticleRecord(url=url, number=str(n + 1), title=title, kicker=kicker, byline=byline,
                                   paragraphs=paragraphs, raw_paragraphs=paragraphs)  # fmt: skip
            batch.append((issue_id, page_ids[page_at], record))
            made += 1
        if len(batch) >= 1000 or made == count:
            with session_scope(engine) as session:
                store_articles.save_articles(session, batch)
            batch = []
            print(f"\r  {made:,} articles stored ({time.perf_counter() - started:.0f} s)", end="", flush=True)
        if made == count:
            break
    print()
    return time.perf_counter() - started


def _publishing_days(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 6:
            days.append(day)
        day += timedelta(days=1)
    return days
