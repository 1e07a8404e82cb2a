"""One real crawl of the replica with the installed ``szwatch`` command: every article must be stored.

Run by ``.ci/stock-install.sh`` with the interpreter of a plain ``pip install .``. Exit 0 only when the crawl
ended "ok" and the database holds exactly the replica's articles; otherwise say what is missing.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import szwatch
from szwatch.replica.build import build_replica
from szwatch.replica.server import ReplicaServer


def main() -> int:
    installed = Path(szwatch.__file__).resolve()
    if not installed.is_relative_to(Path(sys.prefix).resolve()):
        print(f"stock install check: szwatch imported from {installed}, not from the install", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="szwatch-stock-"))
    manifest = build_replica(work / "replica")
    db = work / "stock.db"
    first, last = min(manifest.dates + manifest.missing), max(manifest.dates + manifest.missing)
    with ReplicaServer(work / "replica") as site:
        command = [str(Path(sys.executable).with_name("szwatch")), "--quiet", "--db", f"sqlite:///{db}", "crawl",
                   "--latest", "--from", str(first), "--to", str(last), "--base-url", site.url, "--delay", "0",
                   "--concurrency", "8"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    print(result.stdout)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"stock install check: {stored} of {manifest.articles} articles stored, exit code {result.returncode}")
    if result.returncode != 0 or stored != manifest.articles:
        print(result.stderr[-4000:], file=sys.stderr)
        print("stock install check FAILED: a plain `pip install .` does not crawl completely", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
