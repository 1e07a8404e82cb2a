"""Imports flow one way, with no exemptions and no loops:

    app → monitor → store,   app → crawler → store,   inside monitor: detection → alerts,

and every wing may use ``common`` (numerals, time, logging, config files), which imports nothing of ours.
``replica`` (the stand-ins for the outside world: the replica site and the local receivers) sits on a floor of
its own: it imports only ``common``, and only ``app`` (the demo) may import it. Nothing imports ``app``. A
module that needs something from a higher floor is a sign the shared piece belongs lower down; two modules
that import each other (even inside a function) are one piece split in the wrong place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "szwatch"
# Which of our packages each one may import (the key itself included).
ALLOWED = {
    "common": {"common"},
    "replica": {"replica", "common"},
    "store": {"store", "common"},
    "crawler": {"crawler", "store", "common"},
    "monitor/alerts": {"monitor/alerts", "store", "common"},
    "monitor/detection": {"monitor/detection", "monitor/alerts", "store", "common"},
    "app": {"app", "monitor/detection", "monitor/alerts", "crawler", "store", "replica", "common"},
}


def floor_of(module: str) -> str:
    """``szwatch.monitor.alerts.outbox`` → ``monitor/alerts``; ``szwatch.store.db`` → ``store``."""
    parts = module.split(".")[1:]
    if parts[:1] == ["monitor"]:
        return "/".join(parts[:2])
    return parts[0] if parts else ""


def imported_names(path: Path) -> set[str]:
    """Every ``szwatch…`` name a module imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("szwatch.")}


def our_imports(path: Path) -> set[str]:
    return {floor_of(name) for name in imported_names(path)}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(name: str, modules: set[str]) -> str | None:
    """The module an imported name lives in: ``szwatch.store.db.connect`` → ``szwatch.store.db``."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        targets = {resolve(name, set(paths)) for name in imported_names(path)}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other through imports (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
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


def test_no_module_imports_itself_back():
    assert loops(import_graph()) == []


MAX_MODULES = 12  # per folder, besides its __init__.py: past that a folder has a seam worth a subpackage


def test_no_folder_holds_more_than_twelve_modules():
    crowded = {
        folder.relative_to(PACKAGE).as_posix(): count
        for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]
        if "migrations" not in folder.parts
        and (count := sum(1 for m in folder.glob("*.py") if m.name != "__init__.py")) > MAX_MODULES
    }
    assert crowded == {}


def test_the_layering_rule_catches_an_upward_import(tmp_path: Path):
    module = tmp_path / "bad.py"
    module.write_text("from szwatch.app.settings import Settings\nimport szwatch.monitor.detection.match\n")
    assert our_imports(module) - ALLOWED["monitor/alerts"] == {"app", "monitor/detection"}


def test_the_loop_rule_catches_a_loop_through_a_function_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert loops(graph) == [["a", "b", "c"]]
