"""One paper on several sites: which site answered last, and a site that stopped while another goes on.

An issue is stored once, from whichever site had it first, so the store cannot tell whether the other site
still publishes; the daemon's entry-page checks can. Each check that reads a site's newest issue is kept
(``SiteAnswer``); a site whose newest issue stays ``STALE_DAYS`` behind another site of the same paper is an
operator condition (one alert a day while it lasts), not a crawl error on every check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from szwatch.app.settings import SourceSettings
from szwatch.common.clock import local_iso

STALE_DAYS = 2  # a site this many days behind another site of its paper has stopped (a day's lag is normal)


@dataclass(frozen=True)
class SiteAnswer:
    newest: date  # the newest issue the site's entry page pointed at
    at: datetime  # when it said so


def answers_info(sources: Iterable[SourceSettings], answers: dict[str, SiteAnswer]) -> dict[str, dict[str, str]]:
    """What ``szwatch status`` shows: per source, the newest issue its site offered and when it last answered."""
    found = {s.id: (s, answers[s.id]) for s in sources if s.id in answers}
    return {
        id_: {"paper": s.paper, "newest": said.newest.isoformat(), "answered_at": local_iso(said.at) or ""}
        for id_, (s, said) in found.items()
    }


def stopped_sites(sources: Iterable[SourceSettings], answers: dict[str, SiteAnswer]) -> dict[str, str]:
    """Health conditions ``site_stopped:ID`` for a site far behind another site of the same paper."""
    return stopped_in(answers_info(sources, answers))


def stopped_in(sites: dict[str, dict[str, str]]) -> dict[str, str]:
    """The same, from what the daemon recorded with its lease (``answers_info``), for ``szwatch status``."""
    by_paper: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for site, said in sites.items():
        by_paper[said["paper"]].append((site, date.fromisoformat(said["newest"])))
    conditions = {}
    for found in by_paper.values():
        ahead, newest = max(found, key=lambda pair: pair[1])
        for site, offered in found:
            if (newest - offered).days >= STALE_DAYS:
                conditions[f"site_stopped:{site}"] = (
                    f"{site} 仍停在 {offered}，而 {ahead} 已有 {newest}：它是否停止更新了？"
                )
    return conditions
