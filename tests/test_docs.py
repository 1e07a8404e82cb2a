"""The docs stay true: the README and every docs/*.md name only files that exist and commands that exist, every
command is documented, the README stays a short front door, and the Layout tree names real files."""

from __future__ import annotations

import re
from pathlib import Path

import click

from szwatch.app.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
# A path from the repository's root: szwatch/app/cli/__init__.py, tests/data/, config/settings.toml …
ROOT_PATH = re.compile(r"(?<![\w/.])((?:szwatch|tests|bench|config|docs|deploy)/[\w./-]*[\w/])", re.ASCII)
LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)")  # a markdown link's target, without its #anchor
CODE = re.compile(r"```.*?```|`[^`]+`", re.S)  # code blocks, then inline code


def read(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "szwatch") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        paths.extend(command_paths(command, path) if isinstance(command, click.Group) else [path])
    return paths


def group_paths(group: click.Group, prefix: str = "szwatch") -> list[str]:
    subgroups = [(c, f"{prefix} {n}") for n, c in group.commands.items() if isinstance(c, click.Group)]
    return [prefix, *[path for sub, name in subgroups for path in group_paths(sub, name)]]


def resolve(words: list[str], command: click.Command = cli, path: str = "szwatch") -> set[str]:
    """The command paths that words after `szwatch` name: subcommands of groups (`a|b` for both), up to the first
    option or argument. A lowercase word a group does not know makes a path that is no command."""
    names = words[0].rstrip(".,;:)").split("|") if words else []
    if not isinstance(command, click.Group) or not all(re.fullmatch(r"[a-z][a-z-]*", n) for n in names):
        return {path}
    found: set[str] = set()
    for name in names:
        sub = command.commands.get(name)
        found |= resolve(words[1:], sub, f"{path} {name}") if sub else {f"{path} {name}"}
    return found


def named_commands(text: str) -> set[str]:
    """Every command path a `szwatch …` in inline code or a code block names."""
    found: set[str] = set()
    for code in CODE.findall(text):
        for line in code.strip("`").splitlines():
            for match in re.finditer(r"(?<![\w.-])szwatch(?=[ \t])", line):
                found |= resolve(line[match.end() :].split())
    return found


def missing_paths(doc: Path) -> list[str]:
    text = read(doc)
    named = [ROOT / p for p in ROOT_PATH.findall(text)]
    linked = [doc.parent / t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    missing = [f"{doc.name}: {p.resolve().relative_to(ROOT)}" for p in named + linked if not p.exists()]
    return list(dict.fromkeys(missing))


def test_every_path_named_in_the_docs_exists():
    assert [missing for doc in DOCS for missing in missing_paths(doc)] == []


def test_every_command_named_in_the_docs_exists():
    known = set(command_paths(cli)) | set(group_paths(cli))
    unknown = {doc.name: sorted(named_commands(read(doc)) - known) for doc in DOCS}
    assert {name: paths for name, paths in unknown.items() if paths} == {}


def test_every_command_is_documented():
    documented = named_commands(read(ROOT / "docs" / "commands.md")) | named_commands(README)
    assert [path for path in command_paths(cli) if path not in documented] == []


def test_readme_opens_with_the_demo_and_test_commands():
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_the_readme_is_a_front_door():
    assert len(README.splitlines()) <= 250


def layout_entries() -> list[tuple[Path, str]]:
    """(folder, name) for every file or folder the Layout tree of docs/architecture.md names, folder from the
    indentation."""
    block = ARCHITECTURE.split("## Layout", 1)[1].split("```", 2)[1]
    entries: list[tuple[Path, str]] = []
    stack: list[tuple[int, str]] = []  # (indent, folder)
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
    missing = [str((folder / name).relative_to(ROOT)) for folder, name in entries if not (folder / name).exists()]
    assert missing == []
