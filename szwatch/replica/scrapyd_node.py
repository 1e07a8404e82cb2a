"""Real Scrapyd nodes on localhost for the tests and the dispatch bench (not stand-ins: the real server, local).

A node is the ``scrapyd`` the dev extra installs, run with this Python (so its jobs import this szwatch), its
queue, eggs and logs in a temporary folder, polling its queue every 0.2 s. ``kill()`` ends the node and its
jobs at once (SIGKILL to its process group), as a machine that loses power would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ScrapydNode:
    def __init__(self, root: Path, max_proc: int = 2) -> None:
        self.root, self.port = root, free_port()
        root.mkdir(parents=True, exist_ok=True)
        (root / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {self.port}\npoll_interval = 0.2\n"
            f"max_proc = {max_proc}\neggs_dir = {root / 'eggs'}\nlogs_dir = {root / 'logs'}\n"
            f"dbs_dir = {root / 'dbs'}\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ScrapydNode:
        env = {k: v for k, v in os.environ.items() if k != "SZWATCH_DB"}  # the job must say its database
        with open(self.root / "scrapyd.out", "ab") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "scrapyd")], cwd=self.root, env=env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/daemonstatus.json", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"Scrapyd did not start on port {self.port}: {(self.root / 'scrapyd.out').read_text()}")

    def kill(self) -> None:
        """The node and every job it runs, gone at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Scrapyd told to stop (SIGTERM), then waited for: its jobs' CPU time then counts as its own."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)

    def __enter__(self) -> ScrapydNode:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.kill()
