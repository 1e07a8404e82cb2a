"""Child process of ``szwatch.crawler.run``: one Scrapy crawl, then exit.

Called as ``python -m szwatch.crawler.worker RUN_ID REQUEST_JSON`` with the database URL in the
environment. Whatever happens, the run's
row ends with a verdict; an exception here marks it failed with the reason.
"""

from __future__ import annotations

import os
import sys

from loguru import logger
from scrapy.crawler import CrawlerProcess

from szwatch.common.logs import configure_logging
from szwatch.crawler.known import KnownState
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import WORKER_DB_ENV, CrawlRequest
from szwatch.crawler.settings import scrapy_settings
from szwatch.crawler.spiders.paper import PaperSpider
from szwatch.store import runs
from szwatch.store.db import make_engine, session_scope


def main(argv: list[str]) -> int:
    run_id, request, db_url = int(argv[1]), CrawlRequest.from_json(argv[2]), os.environ[WORKER_DB_ENV]
    configure_logging(request.log_level, json_lines=request.log_json)
    engine = make_engine(db_url)
    try:
        profile = load_profile(request.profile)
        settings = scrapy_settings(
            profile, db_url, run_id, delay=request.delay, concurrency=request.concurrency,
            timeout=request.timeout, retries=request.retries, obey_robots=request.obey_robots,
        )  # fmt: skip
        process = CrawlerProcess(settings)
        known = KnownState(engine, profile.id)
        process.crawl(
            PaperSpider, profile=profile, known=known, base_url=request.base_url, dates=request.dates,
            latest=request.latest, refresh=request.refresh,
        )  # fmt: skip
        process.start()
    except Exception as exc:
        logger.exception("crawl run {} failed", run_id)
        with session_scope(engine) as session:
            runs.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        return 1
    with session_scope(engine) as session:
        runs.fail_run(session, run_id, "crawler stopped before recording its result")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
