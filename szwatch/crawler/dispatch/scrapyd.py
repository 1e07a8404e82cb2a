"""Crawls as Scrapyd jobs on several nodes, one PostgreSQL as the truth.

Each crawl is claimed here first (``claim_for``: the run row, after any live run of the same paper's dates), then
scheduled on the answering node with the fewest jobs, under a job id naming paper and dates. Before scheduling,
every node is asked for its pending and running jobs: a job of that id already under way anywhere is followed,
not started again. One paper has one job at a time (its site's polite delay holds per host); papers spread over
the nodes. A node that does not answer is a condition for the operator, and its job is claimed again and sent to
another node: the old run, its worker gone, is closed as interrupted and the new one completes the issue.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.common.clock import local_iso
from szwatch.crawler.dispatch import job_id
from szwatch.crawler.dispatch.scrapyd_api import ACTIVE, NodeError, ScrapydClient
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import STOP_GRACE, CrawlBusyError, CrawlReport, CrawlRequest, claim_for, report_of
from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import CrawlRun, RunStatus, utcnow


@dataclass
class Job:
    """One crawl handed to a node; ``run_id`` and ``node`` change when it moves off a silent node."""

    id: str
    request: CrawlRequest
    run_id: int
    node: str = ""
    started: float = field(default_factory=time.monotonic)
    report: CrawlReport | None = None  # set when it ended before it could be polled (no node took it)


class ScrapydDispatcher:
    def __init__(
        self, engine: Engine, nodes: Sequence[str], client: ScrapydClient, db_url: str, poll_seconds: float = 2.0,
        cancel_on_stop: bool = True, on_node_down: Callable[[str, str], None] | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.nodes, self.client, self.db_url = engine, list(nodes), client, db_url
        self.poll_seconds, self.cancel_on_stop, self.on_node_down = poll_seconds, cancel_on_stop, on_node_down
        self.down: dict[str, tuple[datetime, str]] = {}  # node → since when it is silent, and why

    # -- the daemon's interface ------------------------------------------------------------------------------

    def run(self, requests: Sequence[CrawlRequest], stop: threading.Event | None = None) -> list[CrawlReport]:
        """All requests, one job per paper at a time, papers side by side on the nodes."""
        stop = stop or threading.Event()
        queues: dict[str, deque[CrawlRequest]] = {}
        for request in requests:
            queues.setdefault(load_profile(request.profile).paper, deque()).append(request)
        active: dict[str, Job] = {}
        reports: list[CrawlReport] = []
        while any(queues.values()) or active:
            if stop.is_set():
                reports += self._stopping(list(active.values()))
                break
            for paper, queue in queues.items():
                if paper not in active and queue:
                    job = self.start(queue.popleft(), stop)
                    if job is not None:
                        active[paper] = job
            for paper, job in list(active.items()):
                report = self.poll(job)
                if report is not None:
                    reports.append(report)
                    del active[paper]
            if active:
                stop.wait(self.poll_seconds)
        return reports

    def conditions(self) -> dict[str, str]:
        return {f"scrapyd {node}"[:64]: f"节点自 {local_iso(since)} 起无应答：{why}；其作业已转到其他节点"
                for node, (since, why) in self.down.items()}  # fmt: skip

    # -- one job ---------------------------------------------------------------------------------------------

    def start(self, request: CrawlRequest, stop: threading.Event | None = None) -> Job | None:
        """Claim and schedule, or follow the job of that id already pending or running on some node."""
        paper = load_profile(request.profile).paper
        jid = job_id(paper, request)
        states = self._states()
        for node, jobs in states.items():
            if jobs.get(jid) in ACTIVE:
                return self._follow(jid, node)
        request, run_id = claim_for(replace(request, job=jid), self.engine, stop)
        return self._place(Job(jid, request, run_id), states)

    def poll(self, job: Job) -> CrawlReport | None:
        """The job's report once it has ended; None while it runs (or after it moved off a silent node)."""
        if job.report is not None:
            return job.report
        try:
            state = self.client.jobs(job.node).get(job.id)
        except NodeError as exc:
            self._mark_down(job.node, exc.problem)
            return self._move(job)
        self._mark_up(job.node)
        if state in ACTIVE:
            limit = job.request.time_limit
            if limit and time.monotonic() - job.started > limit:
                return self._end(job, f"the crawl exceeded its time limit of {limit:.0f}s")
            return None
        with session_scope(self.engine) as session:
            run = runs.get_run(session, job.run_id)
            if run is not None and run.status == RunStatus.RUNNING:
                if state is None and runs.worker_gone(run) is None:
                    return None  # not listed (a restarted node forgets finished jobs) but still beating: wait
                runs.fail_run(session, job.run_id, f"the Scrapyd job {job.id} on {job.node} ended without "
                                                   "recording its result (see the node's job log)")  # fmt: skip
        return report_of(self.engine, job.run_id)

    def cancel(self, job: Job) -> CrawlReport:
        """Ask the node to stop the job (Scrapy winds down and records its run); interrupted after the grace."""
        return self._end(job, "szwatch was shutting down")

    # -- helpers ---------------------------------------------------------------------------------------------

    def _states(self) -> dict[str, dict[str, str]]:
        """Every answering node's jobs; a node that does not answer is marked down."""
        states = {}
        for node in self.nodes:
            try:
                states[node] = self.client.jobs(node)
            except NodeError as exc:
                self._mark_down(node, exc.problem)
            else:
                self._mark_up(node)
        return states

    def _place(self, job: Job, states: dict[str, dict[str, str]]) -> Job:
        def load(node: str) -> tuple[int, int]:
            return sum(s in ACTIVE for s in states[node].values()), self.nodes.index(node)

        for node in sorted(states, key=load):
            try:
                self.client.schedule(node, job.id, job.run_id, job.request.to_json(), self.db_url)
            except NodeError as exc:
                self._mark_down(node, exc.problem)
                continue
            job.node, job.started = node, time.monotonic()
            states[node][job.id] = "pending"
            logger.info("crawl run {}: Scrapyd job {} scheduled on {}", job.run_id, job.id, node)
            return job
        with session_scope(self.engine) as session:
            runs.fail_run(session, job.run_id, f"no Scrapyd node took job {job.id} (none of {len(self.nodes)} "
                                               "answered)")  # fmt: skip
        job.report = report_of(self.engine, job.run_id)
        return job

    def _follow(self, jid: str, node: str) -> Job | None:
        """A job of this id is already under way on ``node`` (started before a restart): follow it."""
        with Session(self.engine) as session:
            live = session.exec(select(CrawlRun).where(CrawlRun.status == RunStatus.RUNNING)).all()
            run = next((r for r in live if (r.request or {}).get("job") == jid), None)
        if run is None:
            logger.info("Scrapyd job {} is already queued on {}; not scheduled twice", jid, node)
            return None
        logger.info("Scrapyd job {} (crawl run {}) is already under way on {}; following it", jid, run.id, node)
        request = CrawlRequest.from_json(_request_json(run.request or {}))
        return Job(jid, request, run.id or 0, node)

    def _move(self, job: Job) -> CrawlReport | None:
        """The job's node went silent: unless its run ended well already, claim the dates again elsewhere (the
        claim waits until the old run is closed: at once when its worker was on this host and is gone, else
        after its heartbeat has been silent for a minute)."""
        report = report_of(self.engine, job.run_id)
        if report.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
            return report
        try:
            request, run_id = claim_for(job.request, self.engine)
        except CrawlBusyError:
            return report_of(self.engine, job.run_id)
        logger.warning("Scrapyd job {}: {} is silent; crawl run {} moves to run {}", job.id, job.node, job.run_id,
                       run_id)  # fmt: skip
        moved = self._place(Job(job.id, request, run_id), self._states())
        job.run_id, job.node, job.started, job.report = moved.run_id, moved.node, moved.started, moved.report
        return job.report

    def _end(self, job: Job, reason: str) -> CrawlReport:
        try:
            self.client.cancel(job.node, job.id)
            deadline = time.monotonic() + STOP_GRACE
            while time.monotonic() < deadline and self.client.jobs(job.node).get(job.id) in ACTIVE:
                time.sleep(0.5)
        except NodeError as exc:
            self._mark_down(job.node, exc.problem)
        with session_scope(self.engine) as session:
            runs.interrupt_run(session, job.run_id, f"interrupted: {reason}")
        return report_of(self.engine, job.run_id)

    def _stopping(self, jobs: list[Job]) -> list[CrawlReport]:
        if self.cancel_on_stop:
            return [self.cancel(job) for job in jobs]
        for job in jobs:
            logger.info("Scrapyd job {} (crawl run {}) left running on {}", job.id, job.run_id, job.node)
        return []

    def _mark_down(self, node: str, why: str) -> None:
        if node not in self.down:
            self.down[node] = (utcnow(), why)
            logger.error("Scrapyd node {} does not answer: {}", node, why)
            if self.on_node_down is not None:
                self.on_node_down(node, why)

    def _mark_up(self, node: str) -> None:
        if self.down.pop(node, None) is not None:
            logger.info("Scrapyd node {} answers again", node)


def _request_json(stored: dict[str, object]) -> str:
    """The run's stored request as ``CrawlRequest.from_json`` reads it (the row keeps exactly those keys)."""
    known = set(CrawlRequest.__dataclass_fields__) | {"spans"}
    return json.dumps({k: v for k, v in stored.items() if k in known})
