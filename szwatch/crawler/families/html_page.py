"""The ``/{code}/YYYYMMDD/html/`` system (朔州日报 on epaper.shuozhounews.cn since 2025, and many others).

An issue opens at ``/{code}/YYYYMMDD/html/index.htm`` (it forwards to the first page), pages are
``page_01.htm …``, articles ``content_{yyyymmdd}{PPP}{AAA}.htm`` (PPP page, AAA article). The article URL
shape is known from a public 朔州日报 page; the kicker, title and subtitle sit in ``div.bmnr_con_yinti``,
``div.bmnr_con_biaoti``, ``div.bmnr_con_futi`` and the body in ``div#zoom``, as public spiders of other
papers on this system read them. Page lists and mastheads are our best guess, with fallbacks.
"""

from __future__ import annotations

from typing import Any

from szwatch.crawler.families.common import merged

DEFAULTS: dict[str, dict[str, Any]] = merged({
    "urls": {
        "entry": "/{code}/index.htm",
        "issue": "/{code}/{yyyymmdd}/html/index.htm",
        "page": "/{code}/{yyyymmdd}/html/page_{page}.htm",
        "first_page": "01",
        "page_regex": r"/{code}/(?P<date>\d{8})/html/(?:page_(?P<page>\d+)|index)\.htm$",
        "article_regex": r"/{code}/(?P<date>\d{8})/html/content_\d{8}(?P<number>\d{6})\.htm$",
        "page_code_prefix": "",
        "page_code_width": 2,
    },
    "page": {
        "masthead": [".paper-date", "xpath://*[contains(text(), '星期')]"],
        "nav_links": ["#pageList a", "xpath://a[contains(@href, 'page_')]"],
        "article_links": ["#titleList a", "map area"],
        "image": ["#pageImg::attr(src)", "xpath://img[@usemap]/@src"],
        "pdf": ["xpath://a[contains(@href, '.pdf')]/@href"],
    },
    "article": {
        "kicker": ["div.bmnr_con_yinti"],
        "title": ["div.bmnr_con_biaoti", "h1"],
        "subtitle": ["div.bmnr_con_futi"],
        "byline": ["div.bmnr_con_zuozhe"],
        "paragraphs": ["div#zoom p", "div#zoom"],
        "pictures": ["div.bmnr_con_img img", "div#zoom img"],
        "picture_caption": ["xpath:following-sibling::*[1]", "xpath:@alt"],
    },
})  # fmt: skip
