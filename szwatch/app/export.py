"""Rows to JSON Lines or CSV: one writer for every ``szwatch export`` table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO

FORMATS = ("jsonl", "csv")
ENCODINGS = ("utf-8-sig", "utf-8")


def write_rows(rows: Iterable[dict[str, object]], fields: list[str], fmt: str, out: IO[str], bom: bool = False) -> int:
    """Write rows with exactly ``fields`` (in that order); returns how many rows were written.

    CSV starts with a byte-order mark when ``bom`` (the default of ``szwatch export``): Excel on a Chinese Windows
    reads a CSV without one in the local code page and shows mojibake. Yes/no columns are 0/1, which every
    spreadsheet sums, rather than Python's True/False."""
    count = 0
    if fmt == "csv":
        if bom:
            out.write("\ufeff")
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: int(v) if isinstance(v, bool) else v for k, v in row.items()})
            count += 1
        return count
    for row in rows:
        out.write(json.dumps({k: row.get(k) for k in fields}, ensure_ascii=False) + "\n")
        count += 1
    return count
