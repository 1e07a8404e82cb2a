"""Loguru set-up shared by the crawler's child process and the CLI: one line per event."""

from __future__ import annotations

import sys
from pathlib import Path

from loguru import logger

FORMAT = "<green>{time:YYYY-MM-DD HH:mm:ss}</green> <level>{level: <7}</level> {message}"
_json_lines = False


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    global _json_lines
    _json_lines = json_lines
    logger.remove()
    logger.add(sys.stderr, level=level, format=FORMAT, serialize=json_lines, colorize=None if not json_lines else False)


def add_file_log(path: str, level: str = "INFO") -> None:
    """A rotating log file beside stderr (10 MB a file, 10 kept), in the same format as stderr."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger.add(path, level=level, format=FORMAT, serialize=_json_lines, rotation="10 MB", retention=10,
               encoding="utf-8", enqueue=True)  # fmt: skip
