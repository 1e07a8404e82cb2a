"""The page as printed, for the replica: a small picture of each 版面 and its PDF, so that what a reader opens
from the web view or an alert is there (the real systems serve a JPEG and a PDF per page).

The picture is drawn here, without an imaging library: a grey page with a masthead on 第1版, headline bars and
columns of text lines, as a thumbnail of a newspaper page looks. It is PNG data (the one format the standard
library can write) under the family's ``.jpg`` name; the replica server says ``image/png``, as the bytes are.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

WIDTH, HEIGHT = 200, 280
PAPER, INK, GREY, RULE = 250, 40, 150, 200


@lru_cache(maxsize=8)
def page_picture(number: int) -> bytes:
    """A PNG thumbnail of page ``number`` (1-based): the front page has the masthead."""
    rows = [bytes(_row(y, number)) for y in range(HEIGHT)]
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (none) on every row
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 0, 0, 0, 0)  # 8-bit greyscale
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _row(y: int, number: int) -> list[int]:
    top = 40 if number == 1 else 16  # where the columns start: under the masthead, or the page's running head
    row = [PAPER] * WIDTH
    if y < 6 or y >= HEIGHT - 6:
        return row
    if number == 1 and 10 <= y < 32:
        return [PAPER] * 12 + [INK] * (WIDTH - 24) + [PAPER] * 12  # the masthead
    if y in (top - 4, top - 3):
        return [PAPER] * 8 + [RULE] * (WIDTH - 16) + [PAPER] * 8
    if y < top:
        return row
    headline = (y - top) % 70 < 8
    for column in range(3):
        left = 10 + column * 62
        if headline and column == 0:
            row[left : left + 118] = [INK] * 118  # a headline over two columns
        elif headline:
            continue
        elif not headline and (y - top) % 5 < 2:
            row[left : left + 56] = [GREY] * 56
    return row


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def content_type(path: str, body: bytes) -> str:
    """What the replica server says a file is: by its bytes for pictures and PDFs, else HTML (or plain text)."""
    if body.startswith(b"\x89PNG"):
        return "image/png"
    if body.startswith(b"%PDF"):
        return "application/pdf"
    return "text/plain" if path.endswith(".txt") else "text/html"
