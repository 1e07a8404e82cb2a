"""The egg Scrapyd runs: a small entry package that points Scrapy at the installed szwatch's job spider.

Scrapyd activates a project's egg and reads its ``scrapy`` entry point to find the settings module. The egg
carries that entry point and a two-line settings module pinned to the szwatch version that built it; the spider,
the pipeline and the store code are the node's installed szwatch (the same package and image as the daemon's),
so no ``scrapy.cfg``, setup.py or build tool is needed: an egg is a zip with an ``EGG-INFO`` folder. A node whose
szwatch is another version refuses the job with one line instead of writing rows another schema expects.
"""

from __future__ import annotations

import io
import time
import zipfile
from importlib.metadata import version as installed

__version__ = installed("szwatch")

PROJECT = "szwatch"
PACKAGE = "szwatch_scrapyd"


def egg_version(now: float | None = None) -> str:
    """``0.1.0.1733467200``: the szwatch version, then the deploy time, so the newest deploy sorts last (Scrapyd
    runs the highest version) and two deploys of one release are told apart."""
    return f"{__version__}.{int(now if now is not None else time.time())}"


def build_egg(version: str) -> bytes:
    """The egg's bytes, ready for ``addversion.json``."""
    files = {
        "EGG-INFO/PKG-INFO": f"Metadata-Version: 1.1\nName: {PROJECT}\nVersion: {version}\n",
        "EGG-INFO/entry_points.txt": f"[scrapy]\nsettings = {PACKAGE}.settings\n",
        "EGG-INFO/top_level.txt": f"{PACKAGE}\n",
        "EGG-INFO/zip-safe": "\n",
        f"{PACKAGE}/__init__.py": '"""szwatch on Scrapyd: see szwatch.crawler.dispatch.job."""\n',
        f"{PACKAGE}/settings.py": _settings_module(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as egg:
        for name, text in files.items():
            egg.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def _settings_module() -> str:
    return (
        "from importlib.metadata import version\n"
        "from szwatch.crawler.dispatch.job import *  # noqa: F403\n"
        f"if version('szwatch') != {__version__!r}:\n"
        f"    raise ImportError('this node runs szwatch ' + version('szwatch') + ', the deployed egg wants "
        f"{__version__}: install the same szwatch on every node')\n"
    )
