"""Chinese numerals as the paper writes them: 第十二版, 百分之五点二, 三百一十二点四, 两万.

One home for them, used by the crawler (page numbers) and by detection (figures, counts of tasks).
"""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
CHARS = "".join(DIGITS) + "".join(UNITS)


def cn_integer(text: str) -> int:
    """二十六 → 26, 十二 → 12, 三百零五 → 305, 两万 → 20000; Arabic digits pass through."""
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, 0
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in ("万", "亿"):
            total = (total + section + digit) * UNITS[char]
            section = digit = 0
        elif char in UNITS:
            section += (digit or 1) * UNITS[char]
            digit = 0
    return total + section + digit


def number(text: str) -> float:
    """Arabic or Chinese numerals with a decimal part: 5.2, 五点二, 三百一十二点四."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    whole, _, fraction = text.partition("点")
    value = float(cn_integer(whole)) if whole else 0.0
    if fraction:
        value += float("0." + "".join(str(DIGITS.get(c, 0)) for c in fraction))
    return value


def small_number(text: str) -> int | None:
    """A page or section number (1–99), or None when ``text`` is not a numeral at all."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in CHARS for c in text):
        return None
    return cn_integer(text)
