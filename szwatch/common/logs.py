"""Loguru set-up shared by the crawler's child process and the CLI: one line per event.

Times are Asia/Shanghai and say so (``2024-05-07 08:31:02+08:00``) whatever the machine's zone: the paper's
day and the users' clocks are Shanghai's, and a log read beside an alert must agree with it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from loguru import logger

from szwatch.common.clock import SHANGHAI

FORMAT = "<green>{extra[shanghai]}</green> <level>{level: <7}</level> {message}"
_json_lines = False


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    global _json_lines
    _json_lines = json_lines
    logger.remove()
    logger.configure(patcher=_shanghai_time)
    logger.add(sys.stderr, level=level, format=FORMAT, serialize=json_lines, colorize=None if not json_lines else False)


def _shanghai_time(record: Any) -> None:
    record["extra"]["shanghai"] = record["time"].astimezone(SHANGHAI).isoformat(sep=" ", timespec="seconds")


def add_file_log(path: str, level: str = "INFO") -> None:
    """A rotating log file beside stderr (10 MB a file, 10 kept), in the same format as stderr."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger.add(path, level=level, format=FORMAT, serialize=_json_lines, rotation="10 MB", retention=10,
               encoding="utf-8", enqueue=True)  # fmt: skip
