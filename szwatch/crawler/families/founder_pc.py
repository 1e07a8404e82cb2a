"""Founder's newer e-paper: ``/pc/layout/YYYYMM/DD/node_01.html`` pages, ``/pc/content/…/content_N.html``.

忻州日报, 运城日报 and, since 2024-12, 人民日报 run it. Pages are numbered as printed (``node_01``); the
article sits in ``.article`` (``h3`` kicker, ``h1`` title, ``h2`` subtitle) with the body in ``#ozoom``, and
each page offers its PDF (``/pc/attachement/…``) and picture (``/pc/pic/…``), as public crawlers of
人民日报 read them (likely for the Shanxi papers).
"""

from __future__ import annotations

from typing import Any

from szwatch.crawler.families.common import merged

DEFAULTS: dict[str, dict[str, Any]] = merged({
    "urls": {
        "entry": "/pc/layout/index.html",
        "issue": "",
        "page": "/pc/layout/{yyyymm}/{dd}/node_{page}.html",
        "first_page": "01",
        "page_regex": r"/pc/layout/(?P<year>\d{4})(?P<month>\d{2})/(?P<day>\d{2})/node_(?P<page>\d+)\.html$",
        "article_regex": r"/pc/content/(?P<year>\d{4})(?P<month>\d{2})/(?P<day>\d{2})/content_(?P<number>\d+)\.html$",
        "page_code_prefix": "",
        "page_code_width": 2,
    },
    "page": {
        "masthead": [".date-box", "xpath://*[contains(text(), '星期')]"],
        "nav_links": ["a#pageLink", "xpath://a[contains(@href, 'node_')]"],
        "article_links": [".news-list a", "map area"],
        "image": [".paper img::attr(src)", "xpath://img[@usemap]/@src"],
        "pdf": ["xpath://a[contains(@href, '.pdf')]/@href"],
    },
    "article": {
        "kicker": [".article h3"],
        "title": [".article h1", "h1"],
        "subtitle": [".article h2"],
        "byline": [".article .author"],
        "paragraphs": ["#ozoom p", "#ozoom"],
        "pictures": [".article table img", "#ozoom img"],
        "picture_caption": ["xpath:following-sibling::*[1]", "xpath:@alt"],
    },
})  # fmt: skip
