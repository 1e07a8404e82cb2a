"""HTML of the replica, shaped like the real site's pages (see the source profile for the selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

WEEKDAYS = "一二三四五六日"
PAGE_COUNT_CN = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八"}

HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{title}</title>
<link href="/shtml/css/szb.css" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="/shtml/js/jquery.min.js"></script>
<script type="text/javascript">var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</head>
<body>
<div class="topbar"><a href="http://www.sxsznews.com/">朔州新闻网</a> | <a href="/shtml/index_szrb.shtml">朔州日报</a> | <a href="/shtml/index_sxwb.shtml">朔州晚报</a> | 数字报刊平台</div>
"""
FOOT = """<div class="footer"><p>朔州日报社版权所有 未经书面授权 不得复制或建立镜像</p>
<p>地址：山西省朔州市开发北路 邮编：036002 晋ICP备05004411号</p>
<script type="text/javascript">document.write("<span>访问统计</span>");</script></div>
</body>
</html>
"""


@dataclass
class ArticleDoc:
    number: int
    title: str
    paragraphs: Sequence[str]
    kicker: str = ""
    subtitle: str = ""
    byline: str = ""
    byline_in_body: bool = False
    pictures: Sequence[str] = field(default_factory=tuple)  # captions
    path: str = ""  # where the replica serves it (set by the builder, in the family's shape)


@dataclass
class PageDoc:
    code: str
    name: str
    articles: list[ArticleDoc]
    extra_links: list[tuple[int, str]] = field(default_factory=list)  # (number, title) listed from here too
    extra: list[ArticleDoc] = field(default_factory=list)  # the same, as documents (the other families' pages)


def masthead(day: date, issue_no: int, pages: int) -> str:
    return (
        f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]} 朔州日报社出版 "
        f"第{issue_no}期 今日{PAGE_COUNT_CN.get(pages, str(pages))}版"
    )


def entry_page(latest: date) -> str:
    target = f"szrb/{latest:%Y%m%d}/vA1.shtml"
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
        f'<meta http-equiv="refresh" content="0; url={target}" />\n<title>朔州日报</title>\n'
        f'<script type="text/javascript">window.location.href="{target}";</script>\n'
        f'</head><body><a href="{target}">进入朔州日报数字报</a></body></html>\n'
    )


def page_html(day: date, issue_no: int, pages: Sequence[PageDoc], page: PageDoc, prev_next: tuple[str, str]) -> str:
    nav = "\n".join(f'<li><a href="v{p.code}.shtml">第{p.code}版：{escape(p.name)}</a></li>' for p in pages)
    links = [(a.number, a.title) for a in page.articles] + page.extra_links
    items = "\n".join(f'<li><a href="{n}.shtml">{escape(t)}</a></li>' for n, t in links)
    areas = "\n".join(
        f'<area shape="rect" coords="0,{i * 90},700,{i * 90 + 80}" href="{n}.shtml" />'
        for i, (n, _) in enumerate(links)
    )
    return (
        HEAD.format(title=f"朔州日报 - 第{page.code}版：{escape(page.name)}")
        + f'<div class="masthead"><span class="logo">朔州日报</span> {masthead(day, issue_no, len(pages))}</div>\n'
        + f'<div class="bmnav"><ul id="bmList">\n{nav}\n</ul>\n'
        + f'<a class="prev" href="{prev_next[0]}">上一期</a> <a class="next" href="{prev_next[1]}">下一期</a></div>\n'
        + f'<div class="bmimg"><img src="/shtml/images/szrb/{day:%Y%m%d}/{page.code}.jpg" usemap="#pagemap" />'
        + f'<map name="pagemap">\n{areas}\n</map></div>\n'
        + f'<div class="titleList"><h3>本版标题导航</h3><ul id="titleList">\n{items}\n</ul></div>\n'
        + FOOT
    )


def article_html(day: date, page: PageDoc, doc: ArticleDoc) -> str:
    parts = [HEAD.format(title=f"{escape(doc.title)} - 朔州日报"), '<div class="detailCon">']
    parts.append(f'<div class="crumb">{day.year}年{day.month}月{day.day}日 第{page.code}版：{escape(page.name)}</div>')
    if doc.kicker:
        parts.append(f"<h3>{escape(doc.kicker)}</h3>")
    parts.append(f"<h1>{escape(doc.title)}</h1>")
    if doc.subtitle:
        parts.append(f"<h2>{escape(doc.subtitle)}</h2>")
    if doc.byline and not doc.byline_in_body:
        parts.append(f'<div class="author">{escape(doc.byline)}</div>')
    if doc.pictures:
        parts.append('<div id="article_img_marquee"><ul>')
        for i, caption in enumerate(doc.pictures, start=1):
            src = f"/shtml/images/szrb/{day:%Y%m%d}/{doc.number}_{i}.jpg"
            parts.append(f'<li><img src="{src}" alt="" /><p class="imgtxt">{escape(caption)}</p></li>')
        parts.append("</ul></div>")
    parts.append('<div id="content_div">')
    body = ([f"\u3000\u3000{doc.byline}"] if doc.byline and doc.byline_in_body else []) + list(doc.paragraphs)
    for paragraph in body:
        parts.append(
            f'<p align="left"><font style="font-size:14px;line-height:26px">{escape_text(paragraph)}</font></p>'
        )
    parts.append("</div>\n</div>")
    return "\n".join(parts) + "\n" + FOOT


def escape_text(text: str) -> str:
    """Escape, but keep the non-breaking spaces the CMS writes as entities."""
    return escape(text, quote=False).replace("\u00a0", "&nbsp;")
