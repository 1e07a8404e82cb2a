"""What a long crawl says while it runs: a polite crawl of one issue takes minutes, and a command that prints nothing
for 90 s looks hung. The crawl itself runs in a child process (``crawler.run``); this thread reads the store it
fills — articles stored since the start — and prints a line at least every 10 seconds."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.store.models import Article

EVERY_SECONDS = float(os.environ.get("SZWATCH_PROGRESS_SECONDS", "10"))  # a test shortens the wait, nothing else


def stored_articles(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Article)).one())


class CrawlProgress(threading.Thread):
    """Prints ``crawling… 40 s, 35 articles stored so far`` every ``every`` seconds until stopped."""

    def __init__(self, engine: Engine, say: Callable[[str], None], every: float = EVERY_SECONDS) -> None:
        super().__init__(name="crawl-progress", daemon=True)
        self.engine, self.say, self.every = engine, say, every
        self.done = threading.Event()
        self.before = stored_articles(engine)
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                new = stored_articles(self.engine) - self.before
            except Exception:  # a busy database: say so next time rather than stop the crawl's report
                continue
            self.say(f"crawling… {time.monotonic() - self.started:.0f} s, {new} new articles stored so far")

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=5)
