"""What a page says: page views built from a URL, its HTML and the source profile.

No Scrapy here, so every view can be tested on saved HTML alone (the web-poet idea without its injection
layer). A view reports which of the profile's selectors it had to fall back on (``notes``): a site that
changed its layout then shows up as a problem on the crawl run instead of as quietly thinner articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

from parsel import Selector, SelectorList
from w3lib.encoding import html_to_unicode

from szwatch.common.numerals import small_number
from szwatch.crawler.profile import SourceProfile
from szwatch.store.text import normalize, normalize_paragraphs

BREAK = "\x00"


class PageShapeError(ValueError):
    """A page lacks something without which it cannot be read at all (e.g. an entry page with no link)."""

    def __init__(self, what: str, url: str) -> None:
        super().__init__(f"{what} not found on {url}")
        self.what, self.url = what, url


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    note: str | None = None


def decode_body(body: bytes, content_type: str | None, fallbacks: list[str]) -> Decoded:
    """Decode like a browser would, then distrust a declared charset that leaves garbage behind.

    Old Chinese CMSs declare gb2312 and send GB18030 bytes (w3lib already reads gb2312 as gb18030); some
    declare utf-8 and send GBK. When the declared charset yields replacement characters, the profile's
    fallbacks are tried with strict decoding and the first that fits wins; the switch is reported.
    """
    encoding, text = html_to_unicode(content_type, body)
    if "\ufffd" not in text:
        return Decoded(text, encoding)
    for candidate in fallbacks:
        try:
            return Decoded(body.decode(candidate), candidate, f"declared {encoding}, decoded as {candidate}")
        except (UnicodeDecodeError, LookupError):
            continue
    return Decoded(text, encoding, f"declared {encoding}; {text.count(chr(0xFFFD))} undecodable characters")


class View:
    """Shared selector handling: lists of selectors tried in order, fallbacks recorded in ``notes``."""

    kind = "view"

    def __init__(self, url: str, html: str, profile: SourceProfile) -> None:
        self.url, self.profile = url, profile
        self.sel = Selector(text=html)
        self.notes: list[str] = []

    def select(self, section: dict[str, list[str]], key: str, root: Selector | None = None) -> SelectorList[Selector]:
        for position, query in enumerate(section[key]):
            found = _query(root or self.sel, query)
            if found:
                if position:
                    self.notes.append(f"{self.kind}.{key}: first selector found nothing, used fallback {query!r}")
                return found
        return SelectorList([])

    def visible_text_length(self) -> int:
        """Length of all text a reader could see on the page (normal form, no scripts or styles)."""
        texts = self.sel.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()
        return len(normalize("".join(texts)).replace(" ", ""))

    def text_of(self, section: dict[str, list[str]], key: str) -> str:
        nodes = self.select(section, key)
        return " ".join(_text(n) for n in nodes[:1]).strip()


class EntryView(View):
    """The entry page (``/shtml/index_szrb.shtml``): it only points at the newest issue."""

    kind = "entry"

    def issue_url(self) -> str:
        refresh = _query(self.sel, self.profile.entry["refresh"]).get()
        if refresh and (match := re.search(r"url\s*=\s*['\"]?([^'\";]+)", refresh, re.I)):
            return urljoin(self.url, match.group(1).strip())
        script = self.profile.regexes["script_regex"].search(" ".join(self.sel.xpath("//script/text()").getall()))
        if script:
            return urljoin(self.url, script.group(1))
        for href in _query(self.sel, self.profile.entry["links"]).getall():
            absolute = urljoin(self.url, href)
            if self.profile.regexes["page_regex"].search(absolute):
                return absolute
        raise PageShapeError("link to the newest issue", self.url)


@dataclass(frozen=True)
class PageLink:
    code: str
    name: str | None
    url: str


class PageView(View):
    """A 版面: masthead, the navigation to every page of the issue, and the links to its articles."""

    kind = "page"

    def masthead(self) -> str:
        return normalize(self.text_of(self.profile.page, "masthead"))

    def issue_date(self) -> date | None:
        match = self.profile.patterns["masthead_date"].search(self.masthead())
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None

    def issue_no(self) -> int | None:
        match = self.profile.patterns["issue_no"].search(self.masthead())
        return int(match[1]) if match else None

    def pages_declared(self) -> int | None:
        match = self.profile.patterns["pages_declared"].search(self.masthead())
        return small_number(match[1]) if match else None

    def nav(self) -> list[PageLink]:
        links: dict[str, PageLink] = {}
        for node in self.select(self.profile.page, "nav_links"):
            url = urljoin(self.url, node.attrib.get("href", ""))
            found = self.profile.regexes["page_regex"].search(url)
            if not found or found["page"] in links:
                continue
            label = self.profile.patterns["page_label"].search(normalize(_text(node)))
            links[found["page"]] = PageLink(found["page"], label["name"] if label and label["name"] else None, url)
        return list(links.values())

    def article_links(self) -> list[str]:
        urls: dict[str, None] = {}
        for query in self.profile.page["article_links"]:
            for href in _query(self.sel, query).xpath("@href").getall():
                url = urljoin(self.url, href.strip()).split("#")[0]
                if self.profile.regexes["article_regex"].search(url):
                    urls.setdefault(url, None)
        return list(urls)


class ArticleView(View):
    """One article: kicker, title, subtitle, byline, every paragraph, pictures and continuation marks."""

    kind = "article"

    def __init__(self, url: str, html: str, profile: SourceProfile) -> None:
        super().__init__(url, html, profile)
        self.html = html
        self._body: tuple[list[str], str | None, str | None, str | None] | None = None
        self._raw: list[str] | None = None

    def title(self) -> str:
        return normalize(self.text_of(self.profile.article, "title"))

    def kicker(self) -> str | None:
        return normalize(self.text_of(self.profile.article, "kicker")) or None

    def subtitle(self) -> str | None:
        return normalize(self.text_of(self.profile.article, "subtitle")) or None

    def byline(self) -> str | None:
        return self._parse_body()[3]

    def raw_paragraphs(self) -> list[str]:
        if self._raw is None:
            nodes = _outermost(self.select(self.profile.article, "paragraphs"))
            self._raw = [piece for node in nodes for piece in _text_with_breaks(node).split(BREAK) if piece.strip()]
        return self._raw

    def paragraphs(self) -> list[str]:
        return self._parse_body()[0]

    def continued_to(self) -> str | None:
        return self._parse_body()[1]

    def continued_from(self) -> str | None:
        return self._parse_body()[2]

    def pictures(self) -> list[tuple[str, str | None]]:
        found = []
        for img in self.select(self.profile.article, "pictures"):
            src = img.attrib.get("src")
            if src:
                found.append((urljoin(self.url, src), self._caption(img)))
        return found

    def body_length(self) -> int:
        return sum(len(p) for p in self.paragraphs())

    def _page_code(self, written: str | None) -> str | None:
        """``2`` in "（下转第2版）" is page ``A2`` on a site whose pages are A1, A2 …"""
        if written and written.isdigit():
            return self.profile.urls["page_code_prefix"] + written
        return written

    def _caption(self, img: Selector) -> str | None:
        for query in self.profile.article["picture_caption"]:
            nodes = _query(img, query)
            text = normalize(" ".join(n if isinstance(n, str) else _text(n) for n in _strings_or_nodes(nodes)))
            if text:
                return text
        return None

    def _parse_body(self) -> tuple[list[str], str | None, str | None, str | None]:
        """Paragraphs without the continuation marks and byline line, plus those three facts."""
        if self._body is None:
            paragraphs = normalize_paragraphs(self.raw_paragraphs())
            to = _pop_mark(paragraphs, self.profile.patterns["continued_to"], last=True)
            came = _pop_mark(paragraphs, self.profile.patterns["continued_from"], last=False)
            byline = _clean_byline(self.text_of(self.profile.article, "byline"))
            if paragraphs and self.profile.patterns["byline"].match(paragraphs[0]):
                byline = byline or _clean_byline(self.raw_paragraphs()[0])
                paragraphs = paragraphs[1:]
            self._body = (paragraphs, self._page_code(to), self._page_code(came), byline or None)
        return self._body


def generic_text_length(html: str) -> int:
    """How much body text a generic extractor finds; a yardstick for spotting truncated extraction."""
    import trafilatura

    text = trafilatura.extract(html, fast=True, include_comments=False, include_tables=False) or ""
    return len(normalize(text).replace("\n", ""))


def _query(root: Selector | SelectorList[Selector], query: str) -> SelectorList[Selector]:
    return root.xpath(query[6:]) if query.startswith("xpath:") else root.css(query)


def _text(node: Selector) -> str:
    return "".join(node.xpath(".//text()").getall()) if not isinstance(node.root, str) else str(node.root)


def _strings_or_nodes(nodes: SelectorList[Selector]) -> list[str | Selector]:
    return [n.root if isinstance(n.root, str) else n for n in nodes]


def _text_with_breaks(node: Selector) -> str:
    """Text of a node where each ``<br>`` ends a paragraph; line breaks in the source text do not (OCR)."""
    parts = node.xpath(".//text() | .//br").getall()
    return "".join(BREAK if part.startswith("<br") else part for part in parts)


def _outermost(nodes: SelectorList[Selector]) -> list[Selector]:
    """Drop matches nested in other matches (``<font><font>…``) so no paragraph is read twice."""
    roots = {id(n.root) for n in nodes}
    return [n for n in nodes if not any(id(a) in roots for a in n.root.iterancestors())]


def _pop_mark(paragraphs: list[str], pattern: re.Pattern[str], last: bool) -> str | None:
    """Find a continuation mark near the end (下转) or start (上接), remove it, return the page it names."""
    order = range(len(paragraphs) - 1, max(-1, len(paragraphs) - 3), -1) if last else range(min(2, len(paragraphs)))
    for index in order:
        match = pattern.search(paragraphs[index])
        if match:
            rest = (paragraphs[index][: match.start()] + paragraphs[index][match.end() :]).strip()
            if rest:
                paragraphs[index] = rest
            else:
                del paragraphs[index]
            return match.group(1)
    return None


def _clean_byline(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u3000", " ").replace("\u00a0", " ")).strip(" □■")


__all__ = ["ArticleView", "Decoded", "EntryView", "PageLink", "PageShapeError", "PageView", "decode_body"]
