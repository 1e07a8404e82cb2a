"""Which area a relative figure is compared with (增速高于全省1.4个百分点 → 全省), for the CLI and the web view.

Detection stores the difference in points, not the area; the sentence names it, so the display reads it there
rather than printing "vs area" beside a number a reader cannot place.
"""

from __future__ import annotations

import re

_COMPARED = re.compile(
    r"(?:高于|低于|快于|慢于|超过|超出|落后于?|比|较)(全国|全省|全市|[\u4e00-\u9fff]{2,3}(?:省|市|县|区))"
)


def compared_area(snippet: str) -> str:
    """The area a relative figure is compared with (``增速高于全省1.4个百分点`` → 全省), read from the sentence."""
    found = _COMPARED.search(snippet.replace("【", "").replace("】", ""))
    return found.group(1) if found else ""
