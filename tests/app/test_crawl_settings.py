"""``[crawl]``: who runs the crawls. A mistake there is one line naming file, line and key, exit 2, before any
crawl starts; the local dispatcher stays the default; the nodes' password never shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from szwatch.app.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_crawl_section_crawls_stay_on_this_machine(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[daemon]\n"), {}).crawl.dispatcher == "local"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[crawl]\ndispatcher = "scrapy"\n',
            r'settings.toml:2: crawl.dispatcher: "local" or "scrapyd", not \'scrapy\'',
        ),
        ('[crawl]\ndispatcher = "scrapyd"\nnodes = []\n', r"settings.toml:3: crawl.nodes: .*needs at least one node"),
        ('[crawl]\nnodes = ["10.0.0.5:6800"]\n', r"settings.toml:2: crawl.nodes: a list of Scrapyd addresses"),
        ('[crawl]\nnodes = ["http://a:6800", "http://a:6800"]\n', r"crawl.nodes: a node is listed twice"),
        ('[crawl]\nusername = "ops"\n', r"settings.toml:2: crawl.username: give password_env too"),
        ('[crawl]\nusername = "ops"\npassword_env = "NODE_PW"\n', r"crawl.password_env: .*NODE_PW is not set"),
        ("[crawl]\nnodez = []\n", r"settings.toml:2: crawl.nodez: unknown key"),
    ],
)
def test_a_bad_crawl_section_names_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path, text), {})


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, '[crawl]\ndispatcher = "scrapyd"\n')
    done = subprocess.run([sys.executable, "-m", "szwatch", "scrapyd", "deploy", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line, no traceback
    assert "crawl.nodes" in done.stderr


def test_the_nodes_password_comes_from_the_environment_and_is_never_shown(tmp_path: Path) -> None:
    path = write(tmp_path, '[crawl]\ndispatcher = "scrapyd"\nnodes = ["http://10.0.0.5:6800"]\nusername = "ops"\n'
                           'password_env = "NODE_PW"\ndatabase = "postgresql+psycopg://sz:dbsecret@db/sz"\n')  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "szwatch", "config", "show", "--config", str(path)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "NODE_PW": "s3cret"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout and "dbsecret" not in done.stdout
    assert '"nodes": [\n      "http://10.0.0.5:6800"' in done.stdout
