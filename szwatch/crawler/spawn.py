"""Starting the crawl's child process before its run exists, so that the two start-ups overlap.

The child (``crawler.worker``) spends about a second importing Scrapy, Twisted and the store before it can crawl;
the parent ``szwatch crawl`` spends about as long on its own imports, the schema check (or the migration of a new
store) and the claim of the run. One after the other, that is two seconds of a user's wait in which nothing is
fetched; started first, the child imports on the other core while the parent gets the run ready, and then waits
for it on its standard input: one JSON line (run id, request, database URL; on stdin rather than the command
line, where ``ps`` shows passwords). A child that is not needed after all (a usage error, a busy database) is
ended before it touches anything. Standard library only: the command starts it before importing anything heavy.
"""

from __future__ import annotations

import json
import subprocess
import sys

WORKER_MODULE = "szwatch.crawler.worker"


def start_worker() -> subprocess.Popen[bytes]:
    """A crawl worker that loads what it needs now and crawls the run it is handed later (``hand_over``)."""
    return subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE)


def hand_over(child: subprocess.Popen[bytes], run_id: int, request_json: str, db_url: str) -> None:
    """Give the waiting worker its run: the one line it reads, then the end of its input."""
    assert child.stdin is not None, "a worker from start_worker reads its run on stdin"
    line = json.dumps({"run_id": run_id, "request": request_json, "db_url": db_url}) + "\n"
    try:
        child.stdin.write(line.encode())
        child.stdin.close()
    except BrokenPipeError:  # it died while loading: its exit code says so to whoever waits for it
        pass


def release(child: subprocess.Popen[bytes]) -> None:
    """End a worker that was never handed a run (a no-op once it was): it has touched nothing, so ending it at once
    loses nothing, and it must not linger after the command that started it."""
    if child.stdin is None or child.stdin.closed:
        return
    child.stdin.close()
    child.kill()
    child.wait()


def read_assignment(text: str) -> tuple[int, str, str] | None:
    """The worker's side of ``hand_over``: run id, request JSON and database URL, or None when the parent closed
    the input without a run (it did not need this worker after all)."""
    if not text.strip():
        return None
    data = json.loads(text)
    return int(data["run_id"]), str(data["request"]), str(data["db_url"])
