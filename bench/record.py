"""Every bench run leaves a dated record: what it printed goes to the terminal and to bench/records/.

The docs state the current figures once and link to these files; a figure without its dated record is a
claim nobody can check. ``with recorded("detect"):`` around a bench's main writes
``bench/records/YYYY-MM-DD-detect.md`` (Asia/Shanghai date; a second run the same day gets ``-2``, …) with the
command line, the machine's cores and load, and everything printed.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from szwatch.common.clock import SHANGHAI

RECORDS = Path(__file__).resolve().parent / "records"


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def record_path(name: str) -> Path:
    day = datetime.now(SHANGHAI).date().isoformat()
    path, n = RECORDS / f"{day}-{name}.md", 1
    while path.exists():
        n += 1
        path = RECORDS / f"{day}-{name}-{n}.md"
    return path


@contextlib.contextmanager
def recorded(name: str) -> Iterator[None]:
    """Print as usual and, at the end, keep what was printed as a dated record (also when the run fails; not for --help)."""
    captured = io.StringIO()
    real = sys.stdout
    sys.stdout = _Tee(real, captured)  # type: ignore[assignment]
    try:
        yield
    except SystemExit as stop:
        sys.stdout = real
        if stop.code not in (None, 0, 2):  # --help (0) and a usage error (2, argparse) are not runs
            _keep(name, captured)
        raise
    except BaseException:
        sys.stdout = real
        _keep(name, captured)
        raise
    sys.stdout = real
    _keep(name, captured)


def _keep(name: str, captured: io.StringIO) -> None:
    """Write what the run printed as its dated record."""
    path = record_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    head = (f"# bench {name}, {datetime.now(SHANGHAI):%Y-%m-%d %H:%M} Asia/Shanghai\n\n"
            f"`{' '.join(['python', *sys.argv])}` on {os.cpu_count()} cores, load {load}\n\n```\n")  # fmt: skip
    path.write_text(head + captured.getvalue() + "```\n", encoding="utf-8")
    print(f"record: {path.relative_to(RECORDS.parent.parent)}")
