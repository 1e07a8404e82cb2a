"""The README stays true: every command of the CLI is documented in it."""

from __future__ import annotations

from pathlib import Path

import click

from szwatch.app.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


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
