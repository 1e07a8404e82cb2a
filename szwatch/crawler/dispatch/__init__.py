"""Who runs a crawl: this machine's child process (``local``, the default) or Scrapyd nodes (``scrapyd``).

The daemon asks one thing of a dispatcher: ``run(requests, stop)``, crawl these and give back each run's
report, and ``conditions()``, what an operator should hear about (a node that does not answer). The local
dispatcher is ``crawler.run.crawl`` one request after another, exactly as before; the Scrapyd dispatcher
(``crawler.dispatch.scrapyd``) claims each run here, hands it to a node as a job, polls it, and moves it when
its node goes silent. Either way the run's row in the store is the truth about the crawl.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.engine import Engine

from szwatch.common.days import to_spans
from szwatch.crawler.run import CrawlReport, CrawlRequest, crawl


class Dispatcher(Protocol):
    def run(self, requests: Sequence[CrawlRequest], stop: threading.Event | None = None) -> list[CrawlReport]:
        """Crawl every request (one paper's requests one after the other); the reports of those that ran."""
        ...

    def conditions(self) -> dict[str, str]:
        """Unhealthy conditions for the operator (condition → why), empty when all is well."""
        ...


class LocalDispatcher:
    """Today's way: each crawl a child process of this one, one crawl at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, requests: Sequence[CrawlRequest], stop: threading.Event | None = None) -> list[CrawlReport]:
        reports = []
        for request in requests:
            if stop is not None and stop.is_set():
                break
            reports.append(crawl(request, self.engine, stop=stop))
        return reports

    def conditions(self) -> dict[str, str]:
        return {}


def job_id(paper: str, request: CrawlRequest) -> str:
    """A Scrapyd job id that names the paper and the dates: ``szrb:2024-05-07``, ``szrb:2024-05-01..2024-05-30``,
    ``szrb:latest+2024-05-07``. The same crawl asked twice has the same id, which is how it is never run twice."""
    spans = [first if first == last else f"{first}..{last}" for first, last in to_spans(request.dates)]
    dates = ",".join(spans)
    if request.latest:
        dates = f"latest+{dates}" if dates else "latest"
    return f"{paper}:{dates}"
