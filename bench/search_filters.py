"""Searches with a filter on a built archive (``bench/search.py`` builds it): date ranges, a page, a paper, and a
term with punctuation in it, newest first and by relevance. Prints each one's median and largest time over a few
rounds in this process (the library, as the web view calls it).

    python bench/search_filters.py --db postgresql+psycopg://szwatch:szwatch@127.0.0.1:5432/szwatch_bench_20i
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from sqlmodel import Session

from szwatch.store.db import open_store
from szwatch.store.search import SearchQuery, find

CASES = [
    ("newest, 发展, up to 2020-06-30", SearchQuery("发展", end=date(2020, 6, 30))),
    ("newest, 新能源, from 2023", SearchQuery("新能源", start=date(2023, 1, 1))),
    ("newest, 市, 2020 first half", SearchQuery("市", start=date(2020, 1, 1), end=date(2020, 6, 30))),
    ("relevance, 发展, up to 2020-06-30", SearchQuery("发展", order="relevance", end=date(2020, 6, 30))),
    ("relevance, 新能源, from 2023", SearchQuery("新能源", order="relevance", start=date(2023, 1, 1))),
    ("relevance, 高质量发展, 2020 first half",
     SearchQuery("高质量发展", order="relevance", start=date(2020, 1, 1), end=date(2020, 6, 30))),
    ("relevance, 项目, one day", SearchQuery("项目", order="relevance", start=date(2022, 3, 1), end=date(2022, 3, 1))),
    ("newest, 项目, page A1", SearchQuery("项目", page="A1")),
    ("relevance, 发展, paper szrb", SearchQuery("发展", order="relevance", paper="szrb")),
    ("newest, 3.5% (punctuation)", SearchQuery("3.5%")),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    store = open_store(args.db)
    engine = getattr(store, "engine", store)
    for label, query in CASES:
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            with Session(engine) as session:
                result = find(session, query)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{label:38} median {statistics.median(times):7.1f}  max {max(times):7.1f} ms"
              f"  total {result.total:,}{'' if result.total_exact else ' (upper bound)'}")  # fmt: skip


if __name__ == "__main__":
    main()
