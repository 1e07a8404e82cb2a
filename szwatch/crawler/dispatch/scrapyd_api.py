"""Scrapyd's HTTP API, as the dispatcher and ``szwatch scrapyd deploy`` use it.

Every call has a short timeout: a node that does not answer must not hold the daemon up, and is reported as a
``NodeError`` (the dispatcher turns that into an operator alert and moves the node's jobs elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from szwatch.crawler.dispatch.egg import PROJECT, build_egg

SPIDER = "szwatch"
ACTIVE = ("pending", "running")
SLOW = 60.0  # seconds for the calls where Scrapyd starts ``scrapy list`` first (deploy, a version's first job)


class NodeError(RuntimeError):
    """A Scrapyd node did not answer, or answered with an error."""

    def __init__(self, node: str, problem: str) -> None:
        super().__init__(f"Scrapyd node {node}: {problem}")
        self.node, self.problem = node, problem


@dataclass(frozen=True)
class ScrapydClient:
    """One client for all nodes (Scrapyd's basic auth, when set, is the same on every node)."""

    auth: tuple[str, str] | None = None
    timeout: float = 5.0
    project: str = PROJECT

    def call(
        self, node: str, endpoint: str, data: Any = None, files: Any = None, timeout: float | None = None
    ) -> dict[str, Any]:
        url, timeout = f"{node.rstrip('/')}/{endpoint}", timeout or self.timeout
        try:
            if data is None and files is None:
                response = httpx.get(url, params={"project": self.project}, auth=self.auth, timeout=timeout)
            else:
                response = httpx.post(url, data=data, files=files, auth=self.auth, timeout=timeout)
        except httpx.HTTPError as exc:
            raise NodeError(node, f"does not answer ({type(exc).__name__}: {exc})") from exc
        if response.status_code == 401:
            raise NodeError(node, "refuses our credentials (HTTP 401): check [crawl] username and password_env")
        try:
            answer = response.json()
        except ValueError as exc:
            raise NodeError(node, f"answered HTTP {response.status_code}, not Scrapyd's JSON") from exc
        if answer.get("status") != "ok":
            raise NodeError(node, str(answer.get("message", answer)).strip())
        return dict(answer)

    def jobs(self, node: str) -> dict[str, str]:
        """Job id → ``pending``, ``running`` or ``finished`` (a job id may be finished, then run again: the
        liveliest state wins). A node the project was never deployed to has no jobs."""
        try:
            answer = self.call(node, "listjobs.json")
        except NodeError as exc:
            if "not found" in exc.problem:
                return {}
            raise
        states: dict[str, str] = {}
        for state in ("finished", "running", "pending"):
            states.update({job["id"]: state for job in answer.get(state, [])})
        return states

    def schedule(self, node: str, job: str, run_id: int, request_json: str, db_url: str, priority: float = 0) -> None:
        data = {
            "project": self.project, "spider": SPIDER, "jobid": job, "priority": str(priority),
            "setting": f"SZWATCH_DB={db_url}", "run": str(run_id), "request": request_json,
        }  # fmt: skip
        self.call(node, "schedule.json", data=data, timeout=SLOW)

    def cancel(self, node: str, job: str) -> None:
        """Scrapyd sends the job SIGINT: Scrapy stops gracefully and the pipeline records the run."""
        self.call(node, "cancel.json", data={"project": self.project, "job": job})

    def deploy(self, node: str, version: str) -> dict[str, Any]:
        """Upload the egg as ``version``; Scrapyd lists the egg's spiders to accept it."""
        egg = build_egg(version)
        files = {"egg": (f"{self.project}-{version}.egg", egg, "application/octet-stream")}
        return self.call(node, "addversion.json", data={"project": self.project, "version": version}, files=files,
                         timeout=SLOW)  # fmt: skip
