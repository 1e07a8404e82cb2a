"""Founder's classic e-paper (方正翔宇): ``/html/YYYY-MM/DD/node_N.htm`` pages, ``content_N.htm`` articles.

Most city dailies of Shanxi (太原日报, 大同日报, 晋中日报, 临汾日报 …) run it. ``N`` of a page is a node id,
not the printed page number (node_2 is often 第01版); the printed number is in the navigation label. The
body is inside the ``<founder-content>`` element (known from public crawlers); title and the other parts
use Founder's ``founder-*`` elements with generic fallbacks (likely).
"""

from __future__ import annotations

from typing import Any

from szwatch.crawler.families.common import merged

DEFAULTS: dict[str, dict[str, Any]] = merged({
    "urls": {
        "entry": "/",
        "issue": "",
        "page": "/html/{yyyy}-{mm}/{dd}/node_{page}.htm",
        "first_page": "2",
        "page_regex": r"/html/(?P<year>\d{4})-(?P<month>\d{2})/(?P<day>\d{2})/node_(?P<page>\d+)\.htm$",
        "article_regex": r"/html/(?P<year>\d{4})-(?P<month>\d{2})/(?P<day>\d{2})/content_(?P<number>\d+)\.htm$",
        "page_code_prefix": "",
        "page_code_width": 0,
    },
    "page": {
        "masthead": ["#paperdate", "xpath://*[contains(text(), '星期')]"],
        "nav_links": ["a#pageLink", "xpath://a[contains(@href, 'node_')]"],
        "article_links": ["#titleList a", "map area"],
        "image": ["img#pagepicture::attr(src)", "xpath://img[@usemap]/@src"],
        "pdf": ["xpath://a[contains(@href, '.pdf')]/@href"],
    },
    "article": {
        "kicker": ["founder-introtitle"],
        "title": ["founder-title", "td.font01"],
        "subtitle": ["founder-subtitle"],
        "byline": ["founder-author"],
        "paragraphs": ["founder-content p", "founder-content"],
        "pictures": ["table.picture img"],
        "picture_caption": ["xpath:following-sibling::*[1]", "xpath:@alt"],
    },
})  # fmt: skip
