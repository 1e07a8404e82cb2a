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

from lxml import etree
from lxml.html import HTMLParser
from parsel import Selector, SelectorList
from w3lib.encoding import html_to_unicode

from szwatch.common.numerals import small_number
from szwatch.crawler.profile import SourceProfile
from szwatch.store.text import normalize, normalize_paragraphs

BREAK = "\x00"  # never in parsed text: NUL bytes are taken out of every page before it is parsed
MAX_DEPTH = 512  # tags nested deeper are dropped (their text kept) when the parser gave up on the depth


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
    nuls = body.count(b"\x00")
    if nuls:  # no text has them; left in, they would split paragraphs (BREAK) and PostgreSQL refuses them
        body = body.replace(b"\x00", b"")
    decoded = _decode(body, content_type, fallbacks)
    if not nuls:
        return decoded
    note = f"{nuls} NUL bytes removed" + (f"; {decoded.note}" if decoded.note else "")
    return Decoded(decoded.text, decoded.encoding, note)


def _decode(body: bytes, content_type: str | None, fallbacks: list[str]) -> Decoded:
    encoding, text = html_to_unicode(content_type, body)
    if "\ufffd" not in text:
        return Decoded(text, encoding)
    for candidate in fallbacks:
        try:
            return Decoded(body.decode(candidate), candidate, f"declared {encoding}, decoded as {candidate}")
        except (UnicodeDecodeError, LookupError):
            continue
    return Decoded(text, encoding, f"declared {encoding}; {text.count(chr(0xFFFD))} undecodable characters")


def parse_html(html: str) -> tuple[etree._Element, list[str], list[str]]:
    """The document tree, the parser's complaints, and notes on what had to be done to read it at all.

    Parsed here rather than inside parsel so that the parser's error log is kept: it is how a page that
    ends inside a paragraph, or nests tags deeper than libxml2 follows (it silently drops the rest of
    the document), is recognised. The latter is read again with the excess nesting removed.
    """
    root, errors = _parse(html)
    if not any("Excessive depth" in error for error in errors):
        return root, errors, []
    root, errors = _parse(flatten_deep(html, MAX_DEPTH))
    return root, errors, [f"tags nested deeper than {MAX_DEPTH} levels dropped, their text kept"]


def _parse(html: str) -> tuple[etree._Element, list[str]]:
    parser = HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    body = html.strip().encode("utf-8", errors="replace") or b"<html/>"
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        root = etree.fromstring(b"<html/>", parser=HTMLParser())
    return root, [error.message for error in parser.error_log]


_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][^\s/>]*)[^>]*>", re.S)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_SELF_CLOSING = {"p", "li", "option", "tr", "td", "th", "dt", "dd"}  # an open one ends where the next one opens


def flatten_deep(html: str, limit: int) -> str:
    """Drop opening and closing tags nested deeper than ``limit``; all text stays where it was."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open tags: (name, kept)
    depth = last = 0  # depth counts kept tags only
    for match in _TAG.finditer(html):
        closing, name = match.group(1), (match.group(2) or "").lower()
        if not name or name in _VOID or match.group(0).endswith("/>"):
            continue
        keep = True
        if not closing:
            if name in _SELF_CLOSING and stack and stack[-1][0] == name:
                depth -= stack.pop()[1]
            keep = depth < limit
            stack.append((name, keep))
            depth += keep
        else:
            at = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == name), None)
            if at is not None:
                keep = stack[at][1]
                depth -= sum(kept for _, kept in stack[at:])
                del stack[at:]
        if not keep:
            out.append(html[last : match.start()])
            last = match.end()
    out.append(html[last:])
    return "".join(out)


class View:
    """Shared selector handling: lists of selectors tried in order, fallbacks recorded in ``notes``."""

    kind = "view"

    def __init__(self, url: str, html: str, profile: SourceProfile) -> None:
        self.url, self.profile = url, profile
        root, self.parse_errors, self.markup_notes = parse_html(html)
        self.sel = Selector(root=root, type="html")
        self.notes: list[str] = []
        self.fell_back: set[str] = set()  # keys whose first selector found nothing (a changed layout)

    def note(self, text: str) -> None:
        """Record a layout note once per page, however often the selector behind it is asked."""
        if text not in self.notes:
            self.notes.append(text)

    def select(self, section: dict[str, list[str]], key: str, root: Selector | None = None) -> SelectorList[Selector]:
        for position, query in enumerate(section[key]):
            found = _query(root or self.sel, query)
            if found:
                if position:
                    self.note(f"{self.kind}.{key}: fallback {query!r} used")
                    self.fell_back.add(key)
                return found
        return SelectorList([])

    def visible_text_length(self) -> int:
        """Length of all text a reader could see on the page (normal form, no scripts or styles)."""
        return _visible_length(self.sel.root.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))

    def text_of(self, section: dict[str, list[str]], key: str) -> str:
        nodes = self.select(section, key)
        return " ".join(_text(n) for n in nodes[:1]).strip()


class EntryView(View):
    """The entry page (``/shtml/index_szrb.shtml``): it only points at the newest issue."""

    kind = "entry"

    def issue_url(self) -> str:
        return self.newest_issue()[0]

    def newest_issue(self) -> tuple[str, str]:
        """Where the entry page sends a reader, and how it says so: meta refresh, script, then a link.

        Among links, the page of the newest date wins, and a link labelled as another issue (上一期,
        下一期 …, ``entry.not_newest``) is never taken, wherever it stands on the page.
        """
        refresh = _query(self.sel, self.profile.entry["refresh"]).get()
        if refresh and (match := re.search(r"url\s*=\s*['\"]?([^'\";]+)", refresh, re.I)):
            return urljoin(self.url, match.group(1).strip()), "meta refresh"
        script = self.profile.regexes["script_regex"].search(" ".join(self.sel.xpath("//script/text()").getall()))
        if script:
            return urljoin(self.url, script.group(1)), "script redirect"
        not_newest = self.profile.regexes["not_newest"]
        skipped = {
            urljoin(self.url, a.attrib.get("href", "").strip())
            for a in self.sel.xpath("//a[@href]")
            if not_newest.search(normalize(_text(a) + " " + a.attrib.get("title", "")))
        }
        candidates: dict[str, str] = {}
        for href in _query(self.sel, self.profile.entry["links"]).getall():
            absolute = urljoin(self.url, href.strip())
            found = self.profile.regexes["page_regex"].search(absolute)
            if found and absolute not in skipped:
                candidates.setdefault(absolute, found["date"])
        if candidates:
            return max(candidates, key=lambda url: candidates[url]), "link"
        raise PageShapeError("link to the newest issue", self.url)


@dataclass(frozen=True)
class PageLink:
    code: str
    name: str | None
    url: str
    number: int | None = None  # the printed 版面 number of its label (第02版 is 2), where the label says it


def page_for_number(code: str | None, numbers: dict[str, int]) -> str | None:
    """The page a continuation mark means, through the issue's page list (page code → printed number).

    The view turns "（下转第2版）" into a page code by the family's numbering (``A2``, ``02``, ``2``); on a system
    whose page codes are node ids (founder-node: node_2 is 第01版) that names the wrong page. When the issue's
    page list says which page is printed as 第2版, that page wins; without a list the view's guess stands.
    """
    digits = re.sub(r"\D", "", code or "")
    if not digits or not numbers:
        return code
    by_number = {number: page for page, number in numbers.items()}
    return by_number.get(int(digits), code)


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
            name = label["name"] if label and label["name"] else None
            links[found["page"]] = PageLink(found["page"], name, url, _label_number(label))
        return list(links.values())

    def image(self) -> str | None:
        """The printed page as a picture, where the family shows one (``page.image``)."""
        return self._link("image")

    def pdf(self) -> str | None:
        """The printed page as a PDF, where the family offers one (``page.pdf``)."""
        return self._link("pdf")

    def _link(self, key: str) -> str | None:
        if not self.profile.page[key]:
            return None
        found = self.select(self.profile.page, key)
        value = found[0].root if found else None
        if value is not None and not isinstance(value, str):
            value = found[0].attrib.get("src") or found[0].attrib.get("href")
        return urljoin(self.url, value.strip()) if value and value.strip() else None

    def article_links(self) -> list[str]:
        urls: dict[str, None] = {}
        for query in self.profile.page["article_links"]:
            for href in _query(self.sel, query).xpath("@href").getall():
                url = urljoin(self.url, href.strip()).split("#")[0]
                if self.profile.regexes["article_regex"].search(url):
                    urls.setdefault(url, None)
        return list(urls)

    def article_titles(self) -> dict[str, str]:
        """The words each article link shows on the page (its title, where the listing gives one; an image map's
        area shows none): all that is known of an article before it is fetched."""
        titles: dict[str, str] = {}
        for query in self.profile.page["article_links"]:
            for node in _query(self.sel, query):
                url = urljoin(self.url, (node.attrib.get("href") or "").strip()).split("#")[0]
                words = normalize(_text(node))
                if words and self.profile.regexes["article_regex"].search(url):
                    titles[url] = f"{titles[url]} {words}" if url in titles else words
        return titles


class ArticleView(View):
    """One article: kicker, title, subtitle, byline, every paragraph, pictures and continuation marks."""

    kind = "article"

    def __init__(self, url: str, html: str, profile: SourceProfile) -> None:
        super().__init__(url, html, profile)
        self.html = html
        self._body: tuple[list[str], str | None, str | None, str | None] | None = None
        self._raw: list[str] | None = None
        self._nodes: list[Selector] = []  # the body's outermost paragraph nodes, once ``raw_paragraphs`` ran

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
            self._nodes = _outermost(self.select(self.profile.article, "paragraphs"))
            nodes = self._nodes
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

    def body_block_text_length(self) -> int | None:
        """Length of the text around the body: of the block that holds the block of its paragraphs (the
        ``<div>`` around ``#content_div``: title, byline, the body and whatever sits beside it there).

        Text a too-narrow selector left unread is there: a paragraph in other markup, a second body
        container beside the first. None when the body was not found as elements (no paragraphs, or a
        selector that yields text), and the whole page's text has to stand in for it.
        """
        self.raw_paragraphs()
        nodes = [n.root for n in self._nodes]
        if not nodes or any(isinstance(node, str) for node in nodes):
            return None
        block = _block_of(_common_ancestor(nodes))
        around = block.getparent() if block.getparent() is not None else block
        return _visible_length(around.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]"))

    def looks_whole(self) -> bool:
        """Was the body read as the profile expects, to a finished paragraph's end (``patterns.paragraph_end``)?
        A body cut anywhere else, continued on another page, or found only by a fallback selector (the layout
        changed: what else changed is unknown) is not."""
        paragraphs = self.paragraphs()
        if not paragraphs or "paragraphs" in self.fell_back:
            return False
        return self.profile.patterns["paragraph_end"].search(paragraphs[-1].rstrip()) is not None

    def cut_mid_paragraph(self) -> str | None:
        """Does the document end inside the body's last paragraph? (It may still end with ``</html>``.)

        Two signs must agree, so a paragraph that merely lacks a full stop is not flagged: the last
        paragraph does not end as a paragraph ends (``patterns.paragraph_end``), and the document ends
        inside it: in the source its text runs straight into ``</body>``/``</html>`` (or the end), or the
        parser met the end of the document while an inline element (``<font>``) was still open.
        """
        paragraphs = self.paragraphs()
        if not paragraphs or self.continued_to():
            return None
        last = paragraphs[-1].rstrip()
        if self.profile.patterns["paragraph_end"].search(last):
            return None
        unclosed = any(re.match(r"Opening and ending tag mismatch: (body|html) and ", e) for e in self.parse_errors)
        return f"the page ends inside the last paragraph: …{last[-20:]}" if unclosed or self._text_meets_end() else None

    def _text_meets_end(self) -> bool:
        tail = self.raw_paragraphs()[-1].rstrip()[-8:] if self.raw_paragraphs() else ""
        at = self.html.rfind(tail) if tail else -1
        if at < 0:  # written with entities in the source: the parser's word has to do
            return False
        after = self.html[at + len(tail) :].lstrip()
        return not after or re.match(r"</(body|html)\s*>", after, re.I) is not None

    def _page_code(self, written: str | None) -> str | None:
        """``2`` in "（下转第2版）" is page ``A2`` on a site whose pages are A1, A2 …, ``02`` where they are 01, 02 …"""
        if written and written.isdigit():
            width = int(self.profile.urls["page_code_width"])
            return self.profile.urls["page_code_prefix"] + written.zfill(width)
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


def _label_number(label: re.Match[str] | None) -> int | None:
    """第A2版 and 第02版 are both printed page 2."""
    digits = re.sub(r"\D", "", label["code"]) if label else ""
    return int(digits) if digits else None


def generic_text_length(html: str) -> int:
    """How much body text a generic extractor finds; a yardstick for spotting truncated extraction."""
    import trafilatura

    text = trafilatura.extract(html, fast=True, include_comments=False, include_tables=False) or ""
    return len(normalize(text).replace("\n", ""))


def is_short(ours: int, found: int, quality: dict[str, float]) -> bool:
    """Is a body of ``ours`` characters much shorter than ``found`` (``[quality]``: under ``truncation_ratio`` of
    it, and at least ``truncation_min_missing`` characters less)?"""
    missing = found - ours
    return missing >= quality["truncation_min_missing"] and ours < found * quality["truncation_ratio"]


def needs_generic(view: ArticleView, quality: dict[str, float]) -> bool:
    """Could the generic extractor find enough that we did not to call our body short? If not, it is not asked:
    it costs about 2 ms a page, more than all our own extraction, and it finds no more than the text it reads.

    A body read whole (``ArticleView.looks_whole``) was not cut at its end, so what a too-narrow selector left
    unread lies beside what it read, in the block around the body (``body_block_text_length``); any other body
    (cut short, continued on another page, found by a fallback selector, or not found) is held against all the
    page's text. On every page the tests hold (each family's replica, saved pages, hostile and re-marked pages)
    this gives trafilatura's own verdict (``tests/crawler/test_truncation.py``), and an ordinary article asks it
    only where its body sits right in ``<body>`` (founder-node), so the block around it is the page.
    """
    ceiling = view.body_block_text_length() if view.looks_whole() else None
    if ceiling is None:
        ceiling = view.visible_text_length()
    return is_short(view.body_length(), ceiling, quality)


# a paragraph's own markup
INLINE = frozenset({"a", "b", "big", "em", "font", "i", "p", "small", "span", "strong", "sub", "sup", "u"})


def _visible_length(texts: list[str]) -> int:
    return len(normalize("".join(texts)).replace(" ", ""))


def _common_ancestor(nodes: list[etree._Element]) -> etree._Element:
    """The innermost element holding all ``nodes`` (the node itself when there is one)."""
    first = [nodes[0], *nodes[0].iterancestors()]
    holders = [{id(node), *map(id, node.iterancestors())} for node in nodes[1:]]
    return next((e for e in first if all(id(e) in held for held in holders)), first[-1])


def _block_of(node: etree._Element) -> etree._Element:
    """The nearest element at or above ``node`` that is not a paragraph or inline markup."""
    while isinstance(node.tag, str) and node.tag.lower() in INLINE and node.getparent() is not None:
        node = node.getparent()
    return node


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
