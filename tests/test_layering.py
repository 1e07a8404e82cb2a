"""Imports flow one way, with no exemptions:

    app → monitor → store,   app → crawler → store,   inside monitor: detection → alerts,

and every wing may use ``common`` (numerals, time, logging), which imports nothing of ours. Nothing imports
``app``. A module that needs something from a higher floor is a sign the shared piece belongs lower down.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "szwatch"
# Which of our packages each one may import (the key itself included).
ALLOWED = {
    "common": {"common"},
    "store": {"store", "common"},
    "crawler": {"crawler", "store", "common"},
    "monitor/alerts": {"monitor/alerts", "store", "common"},
    "monitor/detection": {"monitor/detection", "monitor/alerts", "store", "common"},
    "app": {"app", "monitor/detection", "monitor/alerts", "crawler", "store", "common"},
}


def floor_of(module: str) -> str:
    """``szwatch.monitor.alerts.outbox`` → ``monitor/alerts``; ``szwatch.store.db`` → ``store``."""
    parts = module.split(".")[1:]
    if parts[:1] == ["monitor"]:
        return "/".join(parts[:2])
    return parts[0] if parts else ""


def our_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module in ("szwatch", "szwatch.monitor"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(floor_of(name) for name in names if name.startswith("szwatch."))
    return found


def test_every_module_belongs_to_a_floor():
    homeless = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.parent != PACKAGE
        and our_imports(p)
        and floor_of("szwatch." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)) not in ALLOWED
    ]
    assert homeless == []


@pytest.mark.parametrize("floor", sorted(ALLOWED))
def test_floor_imports_only_what_it_may(floor: str):
    offenders = {}
    for path in (PACKAGE / floor).rglob("*.py"):
        extra = our_imports(path) - ALLOWED[floor]
        if extra:
            offenders[path.relative_to(PACKAGE).as_posix()] = sorted(extra)
    assert offenders == {}


def test_the_layering_rule_catches_an_upward_import(tmp_path: Path):
    module = tmp_path / "bad.py"
    module.write_text("from szwatch.app.settings import Settings\nimport szwatch.monitor.detection.match\n")
    assert our_imports(module) - ALLOWED["monitor/alerts"] == {"app", "monitor/detection"}
