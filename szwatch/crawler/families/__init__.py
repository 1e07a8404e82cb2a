"""E-paper families: the systems papers publish on, each one module of URL shapes and markup.

A family is the part of a paper that its software decides (where an issue opens, how pages and articles are
named, which element holds the body); a paper's profile (``szwatch/config/sources/*.toml``) names its family
and says only what is its own (host, code, name) or differs. The navigation (entry → pages → article links
→ article, ``szwatch.crawler.spiders.paper``) and the page views (``szwatch.crawler.pages``) are shared and
read everything from the merged profile, so a new paper on a known system needs no code.
"""

from __future__ import annotations

from typing import Any

from szwatch.crawler.families import founder_node, founder_pc, html_page, shtml

FAMILIES: dict[str, dict[str, dict[str, Any]]] = {
    "shtml": shtml.DEFAULTS,
    "html-page": html_page.DEFAULTS,
    "founder-node": founder_node.DEFAULTS,
    "founder-pc": founder_pc.DEFAULTS,
}


def family_defaults(name: str) -> dict[str, dict[str, Any]] | None:
    """A copy of the family's defaults (callers fill tables in place), or ``None`` for an unknown family."""
    found = FAMILIES.get(name)
    return None if found is None else {section: dict(keys) for section, keys in found.items()}
