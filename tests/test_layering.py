"""Imports flow one way: crawler → store, monitor → store; only the CLI and the demo tie things together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "szwatch"
COMPOSITION_ROOTS = {"monitor/cli.py", "monitor/demo.py", "monitor/render.py", "monitor/daemon.py"}
ALLOWED = {
    "store": {"store"},
    "crawler": {"crawler", "store", "logs"},
    "monitor": {"monitor", "store", "logs"},
}


def our_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        found.update(name.split(".")[1] for name in names if name.startswith("szwatch."))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str):
    offenders = {}
    for path in (PACKAGE / layer).rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in COMPOSITION_ROOTS or "migrations" in relative:
            continue
        extra = our_imports(path) - ALLOWED[layer]
        if extra:
            offenders[relative] = extra
    assert offenders == {}
