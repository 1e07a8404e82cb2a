"""What keeping the search index costs the write path: issues of full-length articles stored into an empty
database through ``save_articles``, one issue (40 articles) a transaction as a backfill stores them, or fewer
(``--per-transaction``) as the daemon stores articles as they land.

On PostgreSQL that is the tsvector of every article and, since migration 0016, its pairs' places kept by pair
(``store/search/pair_places.py``); on SQLite the two FTS5 tables. The figure to compare is the write time an article:
run the script once per version of the code on the same database, alternately, for paired figures.

    python bench/search_write.py --db postgresql+psycopg://szwatch:szwatch@127.0.0.1:5432/szwatch_20b --issues 10
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import date, timedelta

from archive import compose
from search import empty_database

from szwatch.replica.build import load_corpus
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope

PER_ISSUE = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (emptied first) or a new SQLite file's URL")
    parser.add_argument("--issues", type=int, default=10)
    parser.add_argument("--seed", type=int, default=9033)
    parser.add_argument("--per-transaction", type=int, default=PER_ISSUE, help="articles stored a transaction")
    args = parser.parse_args()
    if args.db.startswith("postgresql"):
        empty_database(args.db)
    store = open_store(args.db)
    engine = getattr(store, "engine", store)
    rng, corpus = random.Random(args.seed), load_corpus()
    issues = []
    for n in range(args.issues):
        day = date(2024, 1, 1) + timedelta(days=n)
        records = []
        for k in range(PER_ISSUE):
            title, kicker, paragraphs, _ = compose(rng, corpus, n * PER_ISSUE + k)
            records.append(ArticleRecord(url=f"http://bench.local/{day:%Y%m%d}/{k}.shtml", number=str(k),
                                         title=title, kicker=kicker, paragraphs=paragraphs,
                                         raw_paragraphs=paragraphs))  # fmt: skip
        issues.append((day, records))
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
    step = args.per_transaction
    for day, records in issues:
        for at in range(0, len(records), step):
            with session_scope(engine) as session:
                issue = articles.upsert_issue(session, day, f"http://bench.local/{day:%Y%m%d}/")
                page = articles.upsert_page(session, issue, "A1", f"http://bench.local/{day:%Y%m%d}/A1", None, 0, [])
                batch = [(issue.id or 0, page.id or 0, record) for record in records[at : at + step]]
                articles.save_articles(session, batch)
    wall = time.perf_counter() - wall0
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
    stored = args.issues * PER_ISSUE
    print(f"{stored} articles in {args.issues} issues, {step} a transaction: wall {wall:.2f} s ({1000 * wall / stored:.1f} ms an article),"
          f" client CPU {cpu:.2f} s ({1000 * cpu / stored:.1f} ms an article)")  # fmt: skip


if __name__ == "__main__":
    main()
