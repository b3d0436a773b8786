"""What the publishing adapters share: taking (Power, BPMN) pairs apart, the public filter,
file names, and the service-guide wording (办事指南) of limits, materials and steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Union

from lxml import etree

from engine.catalogue import Material, Power, Step, power_element, processes
from engine.diagram import Diagram, StepStats, extract, limit_text
from engine.errors import SunshineError
from engine.xmlsafe import parse_bpmn_bytes

Source = Union[bytes, etree._ElementTree]
Entry = tuple[Power, Source]


class NotPublic(SunshineError):
    """A non-public power (备案事项) was asked for in public output; it never appears there."""

    code = "not_publishable"

    def __init__(self, power: Power) -> None:
        super().__init__(
            f"power {power.code} ({power.name}) is not public (public=\"false\", 备案事项): it "
            f"never appears in public output — use `sunshine publish filing` for the "
            f"supervising office's list"
        )


def tree_of(source: Source, file: str = "<bpmn>") -> etree._ElementTree:
    """The parsed tree of a power's BPMN, given as bytes or as an already parsed tree."""
    if isinstance(source, (bytes, bytearray)):
        return parse_bpmn_bytes(bytes(source), file=file)
    return source


def public_only(entries: Sequence[Entry]) -> list[Entry]:
    """The entries that may be published: public powers only, in the order given."""
    return [(p, s) for p, s in entries if p.public]


def diagram_for(power: Power, tree: etree._ElementTree,
                stats: Mapping[str, StepStats] | None = None) -> Diagram:
    """The flowchart of one power: the whole file, or its own process if the file holds several."""
    declared = [p for p in processes(tree) if power_element(p) is not None]
    return extract(tree, stats, process_id=power.process_id if len(declared) > 1 else None)


def slugs(powers: Sequence[Power]) -> list[str]:
    """A file-name-safe, unique name per power (its code), in the order given."""
    seen: dict[str, int] = {}
    out = []
    for p in powers:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", p.code or p.process_id).strip("-") or "power"
        n = seen.get(base, 0) + 1
        seen[base] = n
        out.append(base if n == 1 else f"{base}-{n}")
    return out


def statutory_text(power: Power) -> str:
    return limit_text(power.statutory_limit, "法律未规定")


def promised_text(power: Power) -> str:
    return limit_text(power.promised_limit, "未承诺")


def deemed_text(power: Power) -> str:
    from engine.diagram import deemed_rule_text

    return deemed_rule_text(power)


def material_marks(m: Material) -> str:
    """The marks a citizen needs beside a material: 容缺 (may follow later), 告知承诺."""
    marks = []
    if m.commitment:
        marks.append("可告知承诺（以书面承诺代替）")
    if not m.key:
        marks.append("可容缺后补")
    return "；".join(marks)


def step_limit(step: Step) -> str:
    if step.time_limit is None:
        return "—"
    return "当场办结 / 即办" if step.time_limit == 0 else f"{step.time_limit} 个工作日"


def step_counted(step: Step) -> str:
    """Whether a step's time counts toward the case's limit (ALL Art. 45; 补正 stops the clock)."""
    if step.role == "supplement":
        return "不计入办理时限（补正）"
    if step.counted:
        return "计时"
    return f"不计时（{step.special}）" if step.special else "不计时"


def fees_text(power: Power) -> list[str]:
    if not power.fees:
        return ["不收费"]
    return [f.name + (f"（依据：{f.basis}）" if f.basis else "") for f in power.fees]


def result_text(power: Power) -> str:
    if not power.result_name:
        return ""
    if power.validity_years:
        return f"{power.result_name}（有效期 {power.validity_years} 年）"
    return power.result_name


def leader_text(power: Power) -> str:
    return " / ".join(x for x in (power.leader, power.section) if x)


__all__ = [
    "Source", "Entry", "NotPublic", "tree_of", "public_only", "diagram_for", "slugs",
    "statutory_text", "promised_text", "deemed_text", "material_marks", "step_limit",
    "step_counted", "fees_text", "result_text", "leader_text",
]
