"""What a sentence says about a project: investment, stage and progress (pure; for project_update)."""

from __future__ import annotations

import re

from szwatch.common.numerals import cn_integer

INVESTMENT = re.compile(r"总投资(?:约|超过|超|达到?|逾)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|亿美元|万美元)")
PROGRESS = re.compile(
    r"([\d零一二三四五六七八九十百]+)项[^，。；]{0,10}?(?:已经?|均已)?完成(?:了)?([\d零一二三四五六七八九十百]+)项"
)
# The stages a project passes through, in order; later stages rank higher. Synonyms map to one stage.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("签约", ("签约", "签订投资协议", "落户")),
    ("开工", ("开工", "破土动工", "奠基")),
    ("在建", ("在建", "加快建设", "施工", "主体完工", "设备安装", "封顶")),
    ("投产", ("投产", "竣工", "通车", "通航", "建成", "开通运营", "开通")),
)
NOT_YET = re.compile(r"(?:尚未|未能|还没有|计划|将于|预计|力争|争取)")


def project_facts(sentence: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    if match := INVESTMENT.search(sentence):
        facts["investment"] = f"{float(match[1]):g}{match[2]}"
    if match := PROGRESS.search(sentence):
        facts["progress"] = f"{_count(match[2])}/{_count(match[1])}"
    if stage := _stage(sentence):
        facts["stage"] = stage
    return facts


def stage_rank(stage: str) -> int:
    return next((i for i, (name, _) in enumerate(STAGES) if name == stage), -1)


def _stage(sentence: str) -> str | None:
    if NOT_YET.search(sentence):
        return None
    found = [i for i, (_, words) in enumerate(STAGES) if any(w in sentence for w in words)]
    return STAGES[max(found)][0] if found else None


def _count(text: str) -> int:
    return cn_integer(text)
