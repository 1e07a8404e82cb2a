"""Deployment files: no container engine runs here, so the compose file's structure is checked, and the
Dockerfile's own install and start commands are run on this machine."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def dockerfile(instruction: str) -> list[str]:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.startswith(instruction + " ")]


def test_compose_has_database_daemon_and_mail_catcher():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    db, daemon, mail = services["db"], services["szwatch"], services["mail"]

    assert db["image"].startswith("postgres") and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"]) and "pgdata" in compose["volumes"]
    assert daemon["depends_on"]["db"]["condition"] == "service_healthy"
    assert daemon["restart"] in ("unless-stopped", "always", "on-failure")
    assert daemon["environment"]["SZWATCH_DB"].startswith("postgresql+psycopg://")
    assert any(v.startswith("./config:/app/config") for v in daemon["volumes"])
    assert (ROOT / "config" / "settings.toml").is_file()
    assert "8025:8025" in mail["ports"]


def test_dockerfile_install_and_start_commands_work_here(tmp_path: Path):
    [install] = [r for r in dockerfile("RUN") if r.startswith("pip install")]
    start = re.findall(r'"([^"]+)"', dockerfile("CMD")[0])
    assert install == "pip install --no-cache-dir ." and start[:2] == ["szwatch", "run"]

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", *install.split()[:-1], "--no-deps", "--target", str(target), str(ROOT)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    installed = target / "szwatch"
    for data in ("config/sources/szrb.toml", "config/watchlist.example.toml", "store/migrations/env.py",
                 "replica/corpus/a.toml", "app/web/templates/base.html", "app/web/static/szwatch.js",
                 "app/web/static/vendor/echarts/echarts.min.js", "app/web/static/vendor/echarts/LICENSE"):  # fmt: skip
        assert (installed / data).is_file(), data

    shutil.copytree(ROOT / "config", tmp_path / "config")  # what compose mounts at /app/config, the image's WORKDIR
    config = tmp_path / "config" / "settings.toml"
    env = {**os.environ, "PYTHONPATH": str(target), "SZWATCH_DB": f"sqlite:///{tmp_path / 'd.db'}",
           "SZWATCH_DAEMON__LOG_FILE": str(tmp_path / "logs" / "szwatch.log"),
           "SZWATCH_DAEMON__BASE_URL": "http://127.0.0.1:9", "SZWATCH_DAEMON__CATCH_UP_DAYS": "0"}  # fmt: skip
    command = [sys.executable, "-c", "from szwatch.app.cli import main; main()", *start[1:]]
    command[command.index("/app/config/settings.toml")] = str(config)
    daemon = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert "szwatch daemon" in err and "started" in err and "stopped" in err
    assert (tmp_path / "logs" / "szwatch.log").read_text(encoding="utf-8").count("crawl run") >= 1


def test_compose_scrapyd_profile_has_two_nodes_on_the_same_database():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    nodes = {name: s for name, s in compose["services"].items() if "scrapyd" in s.get("profiles", [])}
    assert sorted(nodes) == ["scrapyd-1", "scrapyd-2"]
    for name, node in nodes.items():
        assert (
            node["build"]["dockerfile"] == "deploy/scrapyd.Dockerfile"
            and (ROOT / "deploy/scrapyd.Dockerfile").is_file()
        )
        assert node["depends_on"]["db"]["condition"] == "service_healthy" and "PGPASSWORD" in node["environment"]
        assert any(v.endswith(":/var/lib/scrapyd") for v in node["volumes"]) and name in compose["volumes"]
    dockerfile = (ROOT / "deploy/scrapyd.Dockerfile").read_text(encoding="utf-8")
    assert 'pip install --no-cache-dir ".[scrapyd]"' in dockerfile and 'CMD ["scrapyd"]' in dockerfile
    assert (
        "scrapyd"
        in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    )
