"""Loguru set-up shared by the crawler's child process and the CLI: one line per event."""

from __future__ import annotations

import sys

from loguru import logger

FORMAT = "<green>{time:YYYY-MM-DD HH:mm:ss}</green> <level>{level: <7}</level> {message}"


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    logger.remove()
    logger.add(sys.stderr, level=level, format=FORMAT, serialize=json_lines, colorize=None if not json_lines else False)
