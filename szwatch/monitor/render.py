"""Text and JSON renderings of library results for the CLI; no logic beyond layout."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from szwatch.crawler.run import CrawlReport
from szwatch.store.search import Hit

MAX_PROBLEM_LINES = 20


def crawl_summary(report: CrawlReport) -> str:
    s = report.stats
    lines = [
        f"crawl run {report.run_id}: {report.status}",
        f"  issues    {s.get('issues_complete', 0)} complete, {s.get('issues_incomplete', 0)} incomplete, "
        f"{s.get('issues_no_paper', 0)} days without a paper, "
        f"{s.get('issues_skipped_complete', 0)} already complete (skipped)",
        f"  pages     {s.get('pages', 0)}",
        f"  articles  {s.get('articles_new', 0)} new, {s.get('articles_updated', 0)} updated, "
        f"{s.get('articles_unchanged', 0)} unchanged, {s.get('articles_known_skipped', 0)} already stored",
        f"  requests  {s.get('requests', 0)} ({s.get('article_requests', 0)} for articles), "
        f"{s.get('retries', 0)} retries",
    ]
    lines.append(f"  problems  {len(report.problems) or 'none'}")
    for kind, url, detail in report.problems[:MAX_PROBLEM_LINES]:
        lines.append(f"    {kind:<15} {url}  {detail}")
    if len(report.problems) > MAX_PROBLEM_LINES:
        lines.append(f"    … and {len(report.problems) - MAX_PROBLEM_LINES} more (see crawl run {report.run_id})")
    return "\n".join(lines)


def exit_reason(report: CrawlReport) -> str | None:
    if report.status == "ok":
        return None
    if report.status == "problems":
        return f"crawl finished with {len(report.problems)} problem(s)"
    if report.status == "unreachable":
        return f"site unreachable: {report.error or 'no response'}"
    return f"crawl failed: {report.error or report.status}"


def report_dict(report: CrawlReport) -> dict[str, Any]:
    data = asdict(report)
    data["problems"] = [{"kind": k, "url": u, "detail": d} for k, u, d in report.problems]
    return data


def hit_dict(hit: Hit) -> dict[str, Any]:
    data = asdict(hit)
    data["issue_date"] = hit.issue_date.isoformat()
    return data


def hits_table(hits: list[Hit]) -> str:
    lines = []
    for hit in hits:
        page = f"{hit.page}{'·' + hit.page_name if hit.page_name else ''}"
        lines.append(f"{hit.issue_date}  {page}  {hit.title}\n    {hit.snippet}\n    {hit.url}")
    return "\n".join(lines)
