"""The replica in each e-paper family's shape: where files go and what their markup says.

The replica wing imports only ``common``, so the shapes here are written from what the families look like
on the real sites (as a site would be), not from the crawler's profiles: a crawl of the replica then checks
the profile against an independent copy. ``shtml`` is 朔州日报's old site (``templates.py``); the others are
the systems named in ``szwatch/crawler/families/``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from szwatch.replica import templates
from szwatch.replica.templates import WEEKDAYS, ArticleDoc, PageDoc

NOISE = (
    '<script type="text/javascript">var _hmt = _hmt || []; (function() { var hm = 1; })();</script>\n'
    '<div class="topbar"><a href="/">首页</a> | <a href="#">往期回顾</a> | 数字报刊平台</div>\n'
)
FOOT = '<div class="footer"><p>版权所有 未经书面授权 不得复制或建立镜像</p></div>\n</body>\n</html>\n'


@dataclass(frozen=True)
class Shape:
    """One family's file layout and markup. ``code`` is the paper's folder; ``name`` its title."""

    family: str = "shtml"
    code: str = "szrb"
    name: str = "朔州日报"

    @property
    def encoding(self) -> str:
        return "gb18030" if self.family in ("shtml", "founder-node") else "utf-8"

    @property
    def charset(self) -> str:
        """What the pages declare (the old systems declare gb2312 over GB18030 bytes)."""
        return "gb2312" if self.encoding == "gb18030" else "utf-8"

    def page_codes(self, count: int) -> list[str]:
        if self.family == "shtml":
            return [f"A{i}" for i in range(1, count + 1)]
        if self.family == "founder-node":
            return [str(i + 1) for i in range(1, count + 1)]  # node ids: node_2 is 第01版
        return [f"{i:02d}" for i in range(1, count + 1)]

    def entry_path(self) -> str:
        return {
            "shtml": f"/shtml/index_{self.code}.shtml", "html-page": f"/{self.code}/index.htm",
            "founder-node": "/index.htm", "founder-pc": "/pc/layout/index.html",
        }[self.family]  # fmt: skip

    def issue_index(self, day: date) -> str | None:
        """The issue's own index page (it forwards to the first page), where the family has one."""
        return f"/{self.code}/{day:%Y%m%d}/html/index.htm" if self.family == "html-page" else None

    def page_path(self, day: date, code: str) -> str:
        return {
            "shtml": f"/shtml/{self.code}/{day:%Y%m%d}/v{code}.shtml",
            "html-page": f"/{self.code}/{day:%Y%m%d}/html/page_{code}.htm",
            "founder-node": f"/html/{day:%Y-%m}/{day:%d}/node_{code}.htm",
            "founder-pc": f"/pc/layout/{day:%Y%m}/{day:%d}/node_{code}.html",
        }[self.family]

    def article_path(self, day: date, page_seq: int, article_seq: int, number: int) -> str:
        return {
            "shtml": f"/shtml/{self.code}/{day:%Y%m%d}/{number}.shtml",
            "html-page": f"/{self.code}/{day:%Y%m%d}/html/content_{day:%Y%m%d}{page_seq + 1:03d}{article_seq + 1:03d}"
            ".htm",
            "founder-node": f"/html/{day:%Y-%m}/{day:%d}/content_{number}.htm",
            "founder-pc": f"/pc/content/{day:%Y%m}/{day:%d}/content_{number}.html",
        }[self.family]

    def first_page_path(self, day: date) -> str:
        return self.page_path(day, self.page_codes(1)[0])

    def image_path(self, day: date, seq: int) -> str:
        if self.family == "shtml":  # where 朔州日报's old pages show their picture (templates.py); no PDF there
            return f"/shtml/images/szrb/{day:%Y%m%d}/A{seq + 1}.jpg"
        return f"/images/{self.code}/{day:%Y%m%d}/page_{seq + 1:02d}.jpg"

    def has_pdf(self) -> bool:
        return self.family != "shtml"

    def pdf_path(self, day: date, seq: int) -> str:
        return f"/attachement/{self.code}/{day:%Y%m%d}/page_{seq + 1:02d}.pdf"

    # -- markup --------------------------------------------------------------------------------------------

    def entry_html(self, latest: date) -> str:
        target = self.issue_index(latest) or self.first_page_path(latest)
        if self.family == "shtml" and self.code == "szrb":
            return templates.entry_page(latest)
        href = posixpath.relpath(target, posixpath.dirname(self.entry_path()))
        return (
            f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={self.charset}" />\n'
            f'<meta http-equiv="refresh" content="0; url={href}" />\n<title>{self.name}</title></head>\n'
            f'<body><a href="{href}">进入{self.name}数字报</a></body></html>\n'
        )

    def index_html(self, day: date) -> str:
        href = posixpath.basename(self.first_page_path(day))
        return (
            f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={self.charset}" />\n'
            f'<meta http-equiv="refresh" content="0; url={href}" /><title>{self.name}</title></head>\n'
            f'<body><a href="{href}">第01版</a></body></html>\n'
        )

    def page_html(self, day: date, issue_no: int, pages: Sequence[PageDoc], page: PageDoc,
                  prev_next: tuple[date, date]) -> str:  # fmt: skip
        here = self.page_path(day, page.code)
        if self.family == "shtml":
            rel = (f"../{prev_next[0]:%Y%m%d}/vA1.shtml", f"../{prev_next[1]:%Y%m%d}/vA1.shtml")
            html = templates.page_html(day, issue_no, pages, page, rel)
            return self._renamed(html)
        seq = next(i for i, p in enumerate(pages) if p is page)
        docs = [*page.articles, *page.extra]
        nav = [(_rel(here, self.page_path(day, p.code)), f"第{i + 1:02d}版：{p.name}") for i, p in enumerate(pages)]
        links = [(_rel(here, doc.path), doc.title) for doc in docs]
        image, pdf = _rel(here, self.image_path(day, seq)), _rel(here, self.pdf_path(day, seq))
        date_line = f"{day.year}年{day.month:02d}月{day.day:02d}日 星期{WEEKDAYS[day.weekday()]}"
        return _head(self.charset, f"{self.name} 第{seq + 1:02d}版") + {
            "html-page": self._html_page_page, "founder-node": self._founder_node_page,
            "founder-pc": self._founder_pc_page,
        }[self.family](date_line, nav, links, image, pdf) + FOOT  # fmt: skip

    def _renamed(self, html: str) -> str:
        """朔州日报's templates for another paper on the same system: its name where the site prints it (not in
        the stories, which may well name 朔州日报)."""
        if self.code == "szrb":
            return html
        printed = (
            "<title>朔州日报 - ",
            " - 朔州日报</title>",
            '"logo">朔州日报<',
            "朔州日报社出版",
            "朔州日报社版权所有",
        )
        for old in printed:
            html = html.replace(old, old.replace("朔州日报", self.name))
        return html.replace("index_szrb.shtml", f"index_{self.code}.shtml")

    def _html_page_page(self, when: str, nav: list[tuple[str, str]], links: list[tuple[str, str]], image: str,
                        pdf: str) -> str:  # fmt: skip
        return (
            f'<div class="header"><span class="paper-date">{when}</span> {self.name}</div>\n'
            + '<div class="bmdh"><ul id="pageList">'
            + "".join(f'<li><a href="{h}">{escape(t)}</a></li>' for h, t in nav)
            + "</ul></div>\n"
            + f'<div class="bmtp"><img id="pageImg" src="{image}" usemap="#PagePicMap" />'
            + f'<a class="pdf" href="{pdf}">PDF版</a></div>\n'
            + '<div class="bmml"><ul id="titleList">'
            + "".join(f'<li><a href="{h}">{escape(t)}</a></li>' for h, t in links)
            + "</ul></div>\n"
        )

    def _founder_node_page(self, when: str, nav: list[tuple[str, str]], links: list[tuple[str, str]], image: str,
                           pdf: str) -> str:  # fmt: skip
        return (
            f'<table><tr><td id="paperdate">{when}</td></tr></table>\n<table>'
            + "".join(f'<tr><td><a id="pageLink" href="{h}">{escape(t)}</a></td></tr>' for h, t in nav)
            + "</table>\n"
            + f'<img id="pagepicture" src="{image}" usemap="#PagePicMap" /><a href="{pdf}">下载PDF</a>\n'
            + '<div id="titleList"><table>'
            + "".join(
                f'<tr><td><a href="{h}"><div style="display:inline" id="mp{i}">{escape(t)}</div></a></td></tr>'
                for i, (h, t) in enumerate(links)
            )
            + "</table></div>\n"
        )

    def _founder_pc_page(self, when: str, nav: list[tuple[str, str]], links: list[tuple[str, str]], image: str,
                         pdf: str) -> str:  # fmt: skip
        return (
            f'<div class="date-box"><p class="date left">{when}</p></div>\n<div class="swiper-container">'
            + "".join(f'<div class="swiper-slide"><a id="pageLink" href="{h}">{escape(t)}</a></div>' for h, t in nav)
            + "</div>\n"
            + f'<div class="paper"><img src="{image}" usemap="#PagePicMap" /></div>'
            + f'<p class="right btn"><a href="{pdf}">PDF下载</a></p>\n'
            + '<div class="news"><ul class="news-list">'
            + "".join(f'<li><a href="{h}">{escape(t)}</a></li>' for h, t in links)
            + "</ul></div>\n"
        )

    def article_html(self, day: date, page: PageDoc, doc: ArticleDoc) -> str:
        if self.family == "shtml":
            html = templates.article_html(day, page, doc)
            return self._renamed(html)
        body = ([doc.byline] if doc.byline and doc.byline_in_body else []) + list(doc.paragraphs)
        paragraphs = "".join(f"<p>{templates.escape_text(p)}</p>\n" for p in body)
        pictures = [_rel(doc.path, f"/images/{self.code}/{day:%Y%m%d}/{doc.number}_{i}.jpg")
                    for i, _ in enumerate(doc.pictures, 1)]  # fmt: skip
        figure = "".join(
            f'<table class="picture"><tr><td><img src="{src}" /><p>{escape(caption)}</p></td></tr></table>\n'
            for src, caption in zip(pictures, doc.pictures, strict=True)
        )
        head = _head(self.charset, f"{escape(doc.title)} - {self.name}")
        return head + {
            "html-page": self._html_page_article, "founder-node": self._founder_node_article,
            "founder-pc": self._founder_pc_article,
        }[self.family](doc, paragraphs, figure) + FOOT  # fmt: skip

    def _html_page_article(self, doc: ArticleDoc, paragraphs: str, figure: str) -> str:
        byline = f'<div class="bmnr_con_zuozhe">{escape(doc.byline)}</div>\n' if _byline_apart(doc) else ""
        figure = f'<div class="bmnr_con_img">{figure}</div>\n' if figure else ""
        return (
            f'<div class="bmnr_con"><div class="bmnr_con_yinti">{escape(doc.kicker)}</div>\n'
            f'<div class="bmnr_con_biaoti">{escape(doc.title)}</div>\n'
            f'<div class="bmnr_con_futi">{escape(doc.subtitle)}</div>\n{byline}{figure}'
            f'<div id="zoom">\n{paragraphs}</div></div>\n'
        )

    def _founder_node_article(self, doc: ArticleDoc, paragraphs: str, figure: str) -> str:
        byline = f"<founder-author>{escape(doc.byline)}</founder-author>\n" if _byline_apart(doc) else ""
        return (
            f"<table><tr><td><founder-introtitle>{escape(doc.kicker)}</founder-introtitle></td></tr>\n"
            f'<tr><td class="font01"><founder-title>{escape(doc.title)}</founder-title></td></tr>\n'
            f"<tr><td><founder-subtitle>{escape(doc.subtitle)}</founder-subtitle></td></tr></table>\n{byline}{figure}"
            f"<!--enpcontent--><founder-content>\n{paragraphs}</founder-content><!--/enpcontent-->\n"
        )

    def _founder_pc_article(self, doc: ArticleDoc, paragraphs: str, figure: str) -> str:
        byline = f'<p class="author">{escape(doc.byline)}</p>\n' if _byline_apart(doc) else ""
        return (
            f'<div class="article"><h3>{escape(doc.kicker)}</h3>\n<h1>{escape(doc.title)}</h1>\n'
            f"<h2>{escape(doc.subtitle)}</h2>\n{byline}{figure}"
            f'<div id="ozoom">\n{paragraphs}</div></div>\n'
        )


def _byline_apart(doc: ArticleDoc) -> bool:
    return bool(doc.byline) and not doc.byline_in_body


def _head(charset: str, title: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}" />\n'
        f"<title>{title}</title>\n</head>\n<body>\n{NOISE}"
    )


def _rel(here: str, target: str) -> str:
    """A link from the page at ``here`` to ``target``, relative as the real systems write them."""
    return posixpath.relpath(target, posixpath.dirname(here))


FAMILIES = ("shtml", "html-page", "founder-node", "founder-pc")
