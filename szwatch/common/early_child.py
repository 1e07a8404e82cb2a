"""A child process started before its work exists, so that its start-up overlaps its parent's.

The crawl's child (``crawler.worker``) spends about a second importing Scrapy, Twisted and the store before it can
crawl; ``szwatch crawl`` spends about as long on its own imports, the schema check (or a new store's migration)
and the claim of the run. One after the other, that is two seconds of a user's wait in which nothing is fetched;
started first, the child imports on the other core while the parent gets the work ready, then reads it from its
standard input: one JSON object on one line (on stdin rather than the command line, where ``ps`` shows
passwords). A child that is not needed after all (a usage error, a busy database) is ended before it touches
anything. Standard library only: a command starts one before importing anything heavy itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def start_child(module: str) -> subprocess.Popen[bytes]:
    """``python -m module``, which loads what it needs now and works on what ``hand_over`` gives it later."""
    return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE)


def hand_over(child: subprocess.Popen[bytes], work: dict[str, Any]) -> None:
    """Give the waiting child its work: the one line it reads, then the end of its input."""
    assert child.stdin is not None, "a child from start_child reads its work on stdin"
    try:
        child.stdin.write(json.dumps(work).encode() + b"\n")
        child.stdin.close()
    except BrokenPipeError:  # it died while loading: its exit code says so to whoever waits for it
        pass


def release(child: subprocess.Popen[bytes]) -> None:
    """End a child that was never handed its work (a no-op once it was): it has touched nothing, so ending it at
    once loses nothing, and it must not linger after the command that started it."""
    if child.stdin is None or child.stdin.closed:
        return
    child.stdin.close()
    child.kill()
    child.wait()


def read_work(line: str) -> dict[str, Any] | None:
    """The child's side of ``hand_over``: the work, or None when the parent closed the input without any (it did
    not need this child after all)."""
    return json.loads(line) if line.strip() else None
