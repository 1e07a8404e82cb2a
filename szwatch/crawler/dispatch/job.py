"""The crawl as a Scrapyd job: the spider and settings module the deployed egg points Scrapyd to.

Scrapyd starts ``scrapy crawl szwatch -a run=ID -a request=JSON -s SZWATCH_DB=URL`` in its own working
directory; everything the job needs comes with the job (the run the daemon claimed, the request, the database),
nothing from the node's directory or a ``scrapy.cfg``. The job then behaves as the local worker does: it takes
the run over (pid, host), renews its heartbeat, and if its Scrapyd dies under it, winds down and records what
landed (the run ends *interrupted*; the next job of the same dates completes the issue).

This module is also the project's Scrapy settings module (``SPIDER_MODULES`` below): the egg's entry point
names it, so ``scrapy list`` on a node finds the one spider, ``szwatch``.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from loguru import logger
from scrapy import signals
from scrapy.crawler import Crawler

from szwatch.common.logs import configure_logging
from szwatch.crawler.run import CrawlRequest
from szwatch.crawler.spiders.paper import PaperSpider
from szwatch.crawler.worker import Heartbeat, take_over
from szwatch.store import runs
from szwatch.store.db import make_engine, session_scope

BOT_NAME = "szwatch"
SPIDER_MODULES = ["szwatch.crawler.dispatch.job"]
LOG_LEVEL = "WARNING"
TELNETCONSOLE_ENABLED = False
DB_SETTING = "SZWATCH_DB"  # the job setting with the database URL (else the node's SZWATCH_DB variable)


class ScrapydJob(PaperSpider):
    """``PaperSpider`` started by Scrapyd: the request and the database come as job arguments and settings."""

    name = "szwatch"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ScrapydJob:
        run_id, request = int(kwargs.pop("run")), CrawlRequest.from_json(kwargs.pop("request"))
        db_url = crawler.settings.get(DB_SETTING) or os.environ.get("SZWATCH_DB", "")
        if not db_url:
            raise ValueError(f"the job names no database: schedule it with the setting {DB_SETTING}=URL")
        configure_logging(request.log_level, json_lines=request.log_json)
        engine = make_engine(db_url)
        chosen, spider_args = take_over(engine, run_id, request, db_url)
        chosen.pop("LOG_LEVEL"), chosen.pop("LOG_INSTALL_ROOT_HANDLER")  # Scrapyd's log file keeps Scrapy's lines
        crawler.settings.setdict(chosen, priority="spider")
        spider = super().from_crawler(crawler, *args, **spider_args, **kwargs)
        assert isinstance(spider, ScrapydJob)
        heartbeat = Heartbeat(engine, run_id, lambda: _node_gone(spider))
        heartbeat.start()

        def ended() -> None:
            heartbeat.done.set()
            with session_scope(engine) as session:  # the pipeline's verdict stands; this only catches its absence
                runs.fail_run(session, run_id, "crawler stopped before recording its result")

        crawler.signals.connect(ended, signal=signals.engine_stopped, weak=False)
        logger.info("Scrapyd job {} crawls run {} ({})", kwargs.get("_job", "?"), run_id, request.mode)
        return spider


def _node_gone(spider: ScrapydJob) -> None:
    """Scrapyd, which started this job, is gone: stop as Scrapy stops on Ctrl-C, recording what landed."""
    logger.warning("the Scrapyd that started this job is gone; stopping and recording what landed")
    spider.ledger.stop_reason = "its Scrapyd node stopped"
    os.kill(os.getpid(), signal.SIGINT)
