"""What every e-paper family shares: entry-page rules, Chinese patterns, polite crawl manners, checks.

A family's module adds its URL shapes and markup on top; a paper's profile overrides any key.
"""

from __future__ import annotations

from typing import Any

COMMON: dict[str, dict[str, Any]] = {
    "charset": {"fallbacks": ["gb18030", "utf-8"]},
    "entry": {
        "refresh": "xpath://meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']/@content",
        "script_regex": r"""location(?:\.href)?\s*=\s*["']([^"']+)["']""",
        "links": "a::attr(href)",
        "not_newest": "上一期|下一期|往期|前一期|后一期|上期|下期",
    },
    "patterns": {
        "masthead_date": r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
        "issue_no": r"第\s*(\d+)\s*期",
        "pages_declared": r"今日\s*([0-9一二三四五六七八九十]+)\s*版",
        "page_label": r"第?\s*(?P<code>[A-Z]?\d+)\s*版\s*[：:]?\s*(?P<name>[^\s<]*)",
        "continued_to": r"[（(]\s*下转第\s*([A-Z]?\d+)\s*版\s*[）)]",
        "continued_from": r"[（(]\s*上接第\s*([A-Z]?\d+)\s*版\s*[）)]",
        "byline": r"^\s*[□■]?\s*(?:本报)?(?:见习)?(?:记者|通讯员)[^。，,！？!?：:]{1,40}$",
        "paragraph_end": '[。！？!?…”’"』」）)】\\].．;；]$',
    },
    "crawl": {
        "user_agent": "szwatch/0.1 (newspaper monitor; +https://github.com/szwatch/szwatch)",
        "download_delay": 2.0,
        "autothrottle": True,
        "concurrent_requests_per_domain": 2,
        "obey_robots": True,
        "timeout": 30,
        "retry_times": 3,
    },
    "quality": {"truncation_ratio": 0.6, "truncation_min_missing": 80},
}


def merged(family: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The common defaults with a family's sections laid over them, key by key."""
    out = {section: dict(keys) for section, keys in COMMON.items()}
    for section, keys in family.items():
        out.setdefault(section, {}).update(keys)
    return out
