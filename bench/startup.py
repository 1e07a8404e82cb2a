"""Start-up of the `szwatch` command: wall time of --help and the read commands, on a migrated, empty store.

Most of a short command's time is imports; commands import what they use inside their bodies, and a store
already at the newest migration is recognised without Alembic. Prints min and median of N runs each, and the
heaviest imports of `szwatch search` (python -X importtime). Wall and CPU time (user + system): on a shared
machine CPU time is the steadier figure. Goal: every read command <= 0.3 s. To compare with earlier code, run
this script with ``PYTHONPATH=DIR`` (a checkout: ``git archive REV | tar -x -C DIR``).

    python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run

COMMANDS = (
    ["--help"], ["search", "硅"], ["mentions"], ["indicators"], ["alerts"], ["status"], ["sources"], ["watch", "list"],
    ["watch", "test", "dongli-polysilicon"], ["export", "articles"], ["export", "mentions"], ["export", "indicators"],
    ["config", "show"],
)  # fmt: skip  # every command that only reads


def timed(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run; CPU time is what a busy machine disturbs least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "szwatch", *argv], env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heaviest_imports(env: dict[str, str], cwd: str, top: int = 6) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "szwatch", "search", "硅"], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if (
            len(parts) == 3
            and parts[1].strip().isdigit()
            and parts[2].startswith(" ")
            and not parts[2].startswith("  ")
        ):
            rows.append((int(parts[1]), parts[2].strip()))
    return [f"{us / 1000:7.1f} ms  {name}" for us, name in sorted(rows, reverse=True)[:top]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compare", metavar="DIR", help="earlier code (a checkout): each run paired with one of it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "SZWATCH_DB": f"sqlite:///{Path(work) / 'startup.db'}"}
        env.pop("SZWATCH_CONFIG", None)
        timed(["search", "硅"], env, work)  # creates and migrates the store once
        before = {**env, "PYTHONPATH": args.compare} if args.compare else None
        print(f"szwatch start-up, {args.runs} runs each (seconds; empty store at the newest migration)"
              + (f"; each run paired with one of {args.compare}" if before else ""))  # fmt: skip
        for argv in COMMANDS:
            runs, earlier = [], []
            for _ in range(args.runs):
                if before:
                    earlier.append(timed(argv, before, work))
                runs.append(timed(argv, env, work))
            if before:
                print(f"  {'(before)':>8} {' '.join(argv):<34} {_figures(earlier)}")
            print(f"  szwatch {' '.join(argv):<34} {_figures(runs)}")
        print("heaviest top-level imports of `szwatch search` (cumulative):")
        for row in heaviest_imports(env, work):
            print("  " + row)


def _figures(runs: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return (f"wall min {min(walls):.3f}  median {statistics.median(walls):.3f}  CPU median "
            f"{statistics.median(cpus):.3f} ({min(cpus):.3f}-{max(cpus):.3f})")  # fmt: skip


if __name__ == "__main__":
    with recorded("startup"):
        main()
