"""Indicator figures: in each sentence that names a watched indicator, every observation it states.

Pure text in, observations out. A sentence is read clause by clause (split at ，；：): a clause that names
indicators makes them the current subject; a clause that names something else (税收收入, 单产, a project)
ends the current subject, so its figures are not taken for ours. Figures of the current subject are the
level (value + unit), year-on-year growth (negative for 下降), a comparison with another area in
percentage points (``relative``: 增速高于全省1.2个百分点 is not a growth of 1.2%) and a rank (全省第一).
``A、B、C分别增长x%、y%、z%`` gives one observation per indicator, in order. Targets (预期目标, 力争),
thresholds (20%以上) and comparisons with another period (较上半年加快) are not observations.

The period is the one the sentence names, else the last one named earlier in the story (today's paper
writes 今年一季度 once and then the details), resolved against the issue date. The scope is a county or
district named as subject (also via 该市/该县), else 全市.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date

from szwatch.common.numerals import DIGITS, cn_integer, number
from szwatch.monitor.detection.match import Hit, Sentence, split_sentences

COUNTIES = ("朔城区", "平鲁区", "怀仁市", "山阴县", "应县", "右玉县")
CN_ORDINAL = "一二三四五六七八九十"
UNITS = (
    "亿美元", "万美元", "亿元", "万元", "万千瓦时", "亿千瓦时", "万千瓦", "千瓦", "万吨", "亿斤", "万斤", "万亩",
    "万人次", "万人", "万户", "元", "吨", "斤", "亩", "个", "户", "家", "人",
)  # fmt: skip

NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万点]+)"
PCT = rf"(?:{NUM}\s*%|百分之[零〇一二两三四五六七八九十点]+)"
SEP = r"\s*[、和及与]\s*"
GROWTH = re.compile(
    rf"(?P<verb>增长|下降|减少|回落|提高|上升|增加|下滑|(?:增速|增幅)(?:分别)?(?:为|达到?))了?\s*(?P<nums>{PCT}(?:{SEP}{PCT})*)"
    r"(?!\s*(?:以上|左右|以内|上下|多))"
)
VALUE = re.compile(
    rf"(?<![\d.第])(?<!增加)(?<!减少)(?<!新增)(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{'|'.join(UNITS)})(?!\s*(?:以上|左右|以内|多|月|百分点))"
)
POINTS = r"\d+(?:\.\d+)?个?(?:\s*[、和及与]\s*\d+(?:\.\d+)?个?)*"
RELATIVE = re.compile(
    rf"(?:(?P<dir1>高于|低于|快于|慢于)(?:朔州|山西)?(?P<area1>全国|全省|全市)[^，。；\d]{{0,8}}?(?P<num1>{POINTS})百分点"
    rf"|(?:比|较)(?:朔州|山西)?(?P<area2>全国|全省|全市)[^，。；\d]{{0,8}}?(?P<dir2>高|低|快|慢)(?P<num2>{POINTS})百分点)"
)
RANK = re.compile(r"(?P<area>全国|全省|全市)(?:第(?P<nth>[\d一二三四五六七八九十]+)位?|(?P<first>首位))")
TARGET = re.compile(r"目标|预期|力争|计划|预计|确保|争取")
CLAUSE_END = re.compile(r"[，,；;：:]")
FILLER = re.compile(
    r"同比|比上年|较上年|比去年|同期|增速|增幅|其中|全年|累计|总量|分别|均|共|按[^，]{0,8}计算|"
    r"完成|实现|达到|达|为|突破|超过|和|与|及|、|\s|本报讯|记者|从|看"
)

PERIOD_PART = (
    r"(?P<quarter>[一二三四1-4])季度|第(?P<quarter2>[一二三四])季度|(?P<half>上|下)半年|前三季度(?P<q3>)|全年(?P<full>)"
    r"|(?P<m1>\d{1,2})\s*[—–\-~至到]\s*(?P<m2>\d{1,2})月(?!\d{0,2}日)|前(?P<firstn>\d{1,2}|[一二三四五六七八九十]{1,2})个月"
    r"|(?P<month>\d{1,2})月份"
)
PERIOD = re.compile(rf"(?:(?P<year>\d{{4}})年|(?P<rel>今年|去年|前年))?(?:{PERIOD_PART})?")


@dataclass(frozen=True)
class Period:
    text: str
    start: date
    end: date


@dataclass(frozen=True)
class Observation:
    indicator_id: str
    value: float | None
    unit: str
    growth_pct: float | None
    period: str
    period_start: date | None
    period_end: date | None
    scope: str
    rank: str
    relative: bool
    snippet: str
    sentence_index: int
    surface: str


@dataclass
class _Context:
    period: Period | None = None
    county: str | None = None


def extract(text: str, hits: list[Hit], issue_date: date) -> list[Observation]:
    """Observations of the indicators among ``hits`` (the matcher's hits for watched indicators)."""
    by_sentence: dict[int, list[Hit]] = {}
    for hit in hits:
        by_sentence.setdefault(hit.sentence.index, []).append(hit)
    context, found = _Context(), []
    for sentence in split_sentences(text):
        period = find_period(sentence.text, issue_date)
        context.period = period or context.period
        sentence_hits = sorted(by_sentence.get(sentence.index, []), key=lambda h: h.start)
        if sentence_hits:
            found.extend(_sentence(sentence, sentence_hits, context))
        context.county = _county(sentence.text, context.county)
    return found


def _sentence(sentence: Sentence, hits: list[Hit], context: _Context) -> list[Observation]:
    scope = _scope(sentence.text[: hits[0].start - sentence.start], context.county)
    current: list[Hit] = []
    made: list[Observation] = []
    for start, end in _clauses(sentence):
        clause = sentence.text[start - sentence.start : end - sentence.start]
        if TARGET.search(clause):
            break
        in_clause = [h for h in hits if start <= h.start < end]
        if in_clause:
            current = in_clause
        elif _names_other_subject(clause):
            current = []
        if current:
            made = _attach(made, current, clause, sentence, context.period, scope)
    return made


def _clauses(sentence: Sentence) -> list[tuple[int, int]]:
    bounds, start = [], sentence.start
    for stop in CLAUSE_END.finditer(sentence.text):
        bounds.append((start, sentence.start + stop.start()))
        start = sentence.start + stop.end()
    bounds.append((start, sentence.end))
    return [(s, e) for s, e in bounds if e > s]


def _names_other_subject(clause: str) -> bool:
    """Does the clause speak of something other than the current indicator (税收收入完成…, 单产…)?"""
    figures = (GROWTH.search(clause), VALUE.search(clause), RELATIVE.search(clause))
    first = min((m.start() for m in figures if m), default=None)
    if first is None:
        return False
    subject = FILLER.sub("", PERIOD.sub("", clause[:first]))
    for word in (*COUNTIES, "全市", "该市", "该县", "该区", "全区", "全县"):
        subject = subject.replace(word, "")
    return len(re.findall(r"[\u4e00-\u9fff]", subject)) >= 2


def _attach(
    made: list[Observation], current: list[Hit], clause: str, sentence: Sentence, period: Period | None, scope: str
) -> list[Observation]:
    growths = [g for m in GROWTH.finditer(clause) for g in _growths(m)]
    values = [(number(m["num"]), m["unit"]) for m in VALUE.finditer(clause)]
    relatives = [r for m in RELATIVE.finditer(clause) for r in _relatives(m)]
    rank = _rank(clause)
    if len(current) > 1 and "分别" in clause:
        return _respectively(made, current, values, growths, relatives, sentence, period, scope)
    for hit in current:
        for value, growth in _pairs(values, growths):
            made = _merge(made, hit, value, growth, rank, sentence, period, scope)
        if rank and not values and not growths:
            made = _rank_last(made, hit, rank)
        for points in relatives:
            made.append(_new(hit, None, points, sentence, period, scope, "", relative=True))
    return made


def _respectively(
    made: list[Observation], current: list[Hit], values: list[tuple[float, str]], growths: list[float],
    relatives: list[float], sentence: Sentence, period: Period | None, scope: str,
) -> list[Observation]:  # fmt: skip
    """``A、B分别增长x%、y%`` / ``分别完成a亿元和b亿元`` / ``分别高于全省m个和n个百分点``: i-th figure to i-th."""
    for i, hit in enumerate(current):
        growth = growths[i] if len(growths) == len(current) else None
        value = values[i] if len(values) == len(current) else None
        if value is not None or growth is not None:
            made = _merge(made, hit, value, growth, "", sentence, period, scope)
        if len(relatives) == len(current):
            made.append(_new(hit, None, relatives[i], sentence, period, scope, "", relative=True))
    return made


def _rank_last(made: list[Observation], hit: Hit, rank: str) -> list[Observation]:
    """增速居全市第一 ranks the indicator's own observation stated just before it."""
    for i in range(len(made) - 1, -1, -1):
        if made[i].indicator_id == hit.watch_id and not made[i].relative:
            made[i] = replace(made[i], rank=made[i].rank or rank)
            break
    return made


def _pairs(
    values: list[tuple[float, str]], growths: list[float]
) -> list[tuple[tuple[float, str] | None, float | None]]:
    count = max(len(values), len(growths))
    return [(values[i] if i < len(values) else None, growths[i] if i < len(growths) else None) for i in range(count)]


def _merge(
    made: list[Observation], hit: Hit, value: tuple[float, str] | None, growth: float | None, rank: str,
    sentence: Sentence, period: Period | None, scope: str,
) -> list[Observation]:  # fmt: skip
    """Add to the indicator's open observation in this sentence when it has room, else start a new one."""
    for i in range(len(made) - 1, -1, -1):
        old = made[i]
        if old.indicator_id != hit.watch_id or old.relative:
            continue
        fits = (value is None or old.value is None) and (growth is None or old.growth_pct is None)
        if fits:
            made[i] = replace(
                old, value=old.value if value is None else value[0], unit=old.unit if value is None else value[1],
                growth_pct=old.growth_pct if growth is None else growth, rank=old.rank or rank,
            )  # fmt: skip
            return made
        break
    made.append(_new(hit, value, growth, sentence, period, scope, rank))
    return made


def _new(
    hit: Hit, value: tuple[float, str] | None, growth: float | None, sentence: Sentence, period: Period | None,
    scope: str, rank: str, relative: bool = False,
) -> Observation:  # fmt: skip
    return Observation(
        indicator_id=hit.watch_id, value=value[0] if value else None, unit=value[1] if value else "",
        growth_pct=growth, period=period.text if period else "", period_start=period.start if period else None,
        period_end=period.end if period else None, scope=scope, rank=rank, relative=relative,
        snippet=sentence.text.strip(), sentence_index=sentence.index, surface=hit.surface,
    )  # fmt: skip


def _growths(match: re.Match[str]) -> list[float]:
    sign = -1 if match["verb"] in ("下降", "减少", "回落", "下滑") else 1
    return [sign * _percent(part) for part in re.split(SEP, match["nums"])]


def _relatives(match: re.Match[str]) -> list[float]:
    sign = -1 if (match["dir1"] or match["dir2"])[0] in "低慢" else 1
    return [sign * float(part.rstrip("个")) for part in re.split(SEP, match["num1"] or match["num2"])]


def _rank(clause: str) -> str:
    match = RANK.search(clause)
    if not match:
        return ""
    nth = match["nth"]
    if match["first"]:
        nth = "一"
    elif nth and nth.isdigit() and 0 < int(nth) <= 10:
        nth = CN_ORDINAL[int(nth) - 1]
    return f"{match['area']}第{nth}"


def _percent(text: str) -> float:
    text = text.replace("%", "").strip()
    return number(text.removeprefix("百分之"))


def find_period(text: str, issue_date: date) -> Period | None:
    for match in PERIOD.finditer(text):
        if match.group(0) and (period := _resolve(match, issue_date)) is not None:
            return period
    return None


def _resolve(match: re.Match[str], issue_date: date) -> Period | None:
    explicit = match["year"] is not None or match["rel"] is not None
    year = int(match["year"]) if match["year"] else issue_date.year
    year -= {"去年": 1, "前年": 2}.get(match["rel"] or "", 0)
    months = _months(match)
    if months is None:
        if not explicit:
            return None
        months = (1, 12)
    first, last = months
    if not explicit and date(year, last, 1) > issue_date:  # 四季度 in a January paper is last year's
        year -= 1
    return Period(match.group(0), date(year, first, 1), date(year, last, monthrange(year, last)[1]))


def _months(match: re.Match[str]) -> tuple[int, int] | None:
    quarter = match["quarter"] or match["quarter2"]
    if quarter:
        q = int(quarter) if quarter.isdigit() else DIGITS[quarter]
        return 3 * q - 2, 3 * q
    if match["half"]:
        return (1, 6) if match["half"] == "上" else (7, 12)
    if match["q3"] is not None:
        return 1, 9
    if match["full"] is not None:
        return 1, 12
    if match["m1"]:
        return int(match["m1"]), int(match["m2"])
    if match["firstn"]:
        n = match["firstn"]
        return 1, int(n) if n.isdigit() else cn_integer(n)
    if match["month"]:
        return int(match["month"]), int(match["month"])
    return None


def _scope(before_hit: str, county: str | None) -> str:
    """The county named as subject, else the story's county when the sentence points back at it, else 全市.

    In a story about 怀仁市 (a county-level city) "全市" means 怀仁, as "全县"/"全区" mean the county or district.
    """
    named = [(before_hit.rfind(c), c) for c in COUNTIES if c in before_hit]
    if named:
        return max(named)[1]
    if county and any(word in before_hit for word in _own_words(county)):
        return county
    if "全市" in before_hit:
        return "全市"
    return county or "全市"


def _own_words(county: str) -> tuple[str, ...]:
    return ("该市", "该县", "该区", "全市" if county.endswith("市") else "全县" if county.endswith("县") else "全区")


def _county(text: str, current: str | None) -> str | None:
    named = [(text.rfind(c), c) for c in COUNTIES if c in text]
    if named:
        return max(named)[1]
    if current and "全市" in text and not current.endswith("市") and "朔州" not in text:
        return None
    return current
