"""Rows to JSON Lines or CSV: one writer for every ``szwatch export`` table."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO

FORMATS = ("jsonl", "csv")


def write_rows(rows: Iterable[dict[str, object]], fields: list[str], fmt: str, out: IO[str]) -> int:
    """Write rows with exactly ``fields`` (in that order); returns how many rows were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    for row in rows:
        out.write(json.dumps({k: row.get(k) for k in fields}, ensure_ascii=False) + "\n")
        count += 1
    return count
