"""The text of a story as the matcher reads it: kicker, title, subtitle and body, one line each.

Parts of a story continued across pages are joined before matching, so a project named on A1 and its
figures on A2 are one story, and it is alerted once.
"""

from __future__ import annotations

from collections.abc import Iterable

from szwatch.store.text import normalize


def story_text(kicker: str | None, title: str | None, subtitle: str | None, body: Iterable[str]) -> str:
    lines = [normalize(x) for x in (kicker, title, subtitle) if x]
    lines.extend(line for line in (normalize(p) for p in body) if line)
    return "\n".join(line for line in lines if line)
