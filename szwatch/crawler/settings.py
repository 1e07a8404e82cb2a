"""Scrapy settings for a crawl: the profile's polite defaults, with the request's overrides on top."""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from szwatch.crawler.profile import SourceProfile

RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]


def scrapy_settings(
    profile: SourceProfile,
    db_url: str,
    run_id: int,
    *,
    delay: float | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    obey_robots: bool | None = None,
) -> dict[str, Any]:
    crawl = profile.crawl
    delay = crawl["download_delay"] if delay is None else delay
    per_host = int(concurrency or crawl["concurrent_requests_per_domain"])
    return {
        "BOT_NAME": "szwatch",
        "USER_AGENT": crawl["user_agent"],
        "ROBOTSTXT_OBEY": crawl["obey_robots"] if obey_robots is None else obey_robots,
        "DOWNLOAD_DELAY": delay,
        **_jitter(delay),
        "AUTOTHROTTLE_ENABLED": bool(crawl["autothrottle"]) and delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": min(per_host, 2),
        # one site per crawl: no more requests handed to the downloader than it sends at once, so that the
        # scheduler's priorities (pages first, watched articles next: ``priority``) decide what goes next
        "CONCURRENT_REQUESTS": per_host,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "DOWNLOAD_TIMEOUT": timeout or crawl["timeout"],
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(crawl["retry_times"] if retries is None else retries),
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "COOKIES_ENABLED": False,
        "CONCURRENT_ITEMS": 1,  # the pipeline writes synchronously; parallel item tasks only cost CPU
        # Scrapy reads and parses a callback's source to warn of a generator returning a value, and its cache is
        # keyed weakly by the bound method, which lives only as long as a request: the parse ran again and again
        # (5 % of a crawl's CPU). Our callbacks return nothing (tests/crawler/test_settings.py holds them to it).
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,
        "ITEM_PIPELINES": {"szwatch.crawler.pipelines.StorePipeline": 300},
        "SZWATCH_DB": db_url,
        "SZWATCH_RUN_ID": run_id,
        "SZWATCH_SOURCE": profile.paper,
    }


def _jitter(delay: float) -> dict[str, Any]:
    """±50% around the delay, in whichever spelling this Scrapy knows (newer ones renamed the setting and warn,
    at WARNING, about the old name: our log shows Scrapy's warnings, so it must not cry wolf)."""
    if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):
        return {"DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0}
    return {"RANDOMIZE_DOWNLOAD_DELAY": delay > 0}
