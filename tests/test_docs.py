"""The README stays true: every command of the CLI is documented in it, and its Layout names real files."""

from __future__ import annotations

import re
from pathlib import Path

import click

from szwatch.app.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "szwatch") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        paths.extend(command_paths(command, path) if isinstance(command, click.Group) else [path])
    return paths


def test_every_command_is_in_the_readme():
    missing = [path for path in command_paths(cli) if path not in README]
    assert missing == []


def test_readme_opens_with_the_demo_and_test_commands():
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def layout_entries() -> list[tuple[Path, str]]:
    """(folder, name) for every file or folder the README's Layout tree names, folder from the indentation."""
    block = README.split("## Layout", 1)[1].split("```", 2)[1]
    entries, stack = [], []  # stack: (indent, folder)
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        head = re.match(r"\s*([\w.]+/)(?=\s|$)|\s*", line)
        while stack and stack[-1][0] >= indent and head and head.group(1):
            stack.pop()
        if head and head.group(1):
            stack.append((indent, head.group(1)))
        folder = ROOT.joinpath(*[name for _, name in stack])
        for name in re.findall(
            r"(?<![\w/.])([\w/]+\.(?:py|toml)|[\w]+/)(?=[\s·(]|$)", line[head.end() if head else 0 :]
        ):
            entries.append((folder, name))
    return entries


def test_the_layout_names_only_files_that_exist():
    entries = layout_entries()
    assert len(entries) > 40
    missing = [str(folder / name) for folder, name in entries if not (folder / name).exists()]
    assert missing == []
