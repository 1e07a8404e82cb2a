"""The ``/shtml/`` system of Shanxi's city and provincial papers (朔州日报's old site, 山西日报, 山西经济日报 …).

Entry ``/shtml/index_{code}.shtml`` forwards to the newest issue; pages ``/shtml/{code}/YYYYMMDD/vA1.shtml``
list their articles ``/shtml/{code}/YYYYMMDD/NNNNNNN.shtml`` in ``#titleList`` and an image map; the body is
``#content_div p[align=left] font``. Known from 朔州日报's public pages and a public spider of it.
"""

from __future__ import annotations

from typing import Any

from szwatch.crawler.families.common import merged

DEFAULTS: dict[str, dict[str, Any]] = merged({
    "urls": {
        "entry": "/shtml/index_{code}.shtml",
        "issue": "",
        "page": "/shtml/{code}/{yyyymmdd}/v{page}.shtml",
        "first_page": "A1",
        "page_regex": r"/shtml/{code}/(?P<date>\d{8})/v(?P<page>[A-Z]?\d+)\.shtml$",
        "article_regex": r"/shtml/{code}/(?P<date>\d{8})/(?P<number>\d+)\.shtml$",
        "page_code_prefix": "A",
        "page_code_width": 0,
    },
    "page": {
        "masthead": [".masthead", "xpath://*[contains(text(), '社出版')]"],
        "nav_links": ["#bmList a", "xpath://a[contains(text(), '版')]"],
        "article_links": ["#titleList a", "map area"],
        "image": [".bmimg img::attr(src)"],
        "pdf": ["xpath://a[contains(@href, '.pdf')]/@href"],
    },
    "article": {
        "kicker": ["div.detailCon h3"],
        "title": ["div.detailCon h1"],
        "subtitle": ["div.detailCon h2"],
        "byline": ["div.detailCon .author"],
        "paragraphs": ["#content_div p[align=left] font", "#content_div p", "#content_div"],
        "pictures": ["#article_img_marquee img"],
        "picture_caption": ["xpath:following-sibling::*[1]", "xpath:@alt"],
    },
})  # fmt: skip
