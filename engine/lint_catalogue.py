"""Lint rules on a power's catalogue entry: the ``sunshine:power`` metadata, its steps (lanes,
limits, roles), end results and form fields (docs/designer-guide.md)."""

from __future__ import annotations

import keyword
import re

from lxml import etree

from engine.catalogue import (
    CATEGORIES,
    DEADLINE_KINDS,
    MODES,
    RESULTS,
    SPECIAL_KINDS,
    STEP_ROLES,
    Power,
    Step,
    read_steps,
    read_timers,
)
from engine.findings import Collector
from engine.formfields import FIELD_TYPES, field_elements, read_field
from engine.xmlsafe import bpmn, sun

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,35}$")
PROMISED_RATIO = 2 / 3


def power_rules(out: Collector, p: Power) -> None:
    pid = p.process_id
    raw = p.raw
    if not p.code:
        out.error(pid, "power-code", "sunshine:power has no code (事项编码)", "add code=\"…\"")
    elif not CODE_RE.match(p.code):
        out.error(pid, "power-code", f"power code {p.code!r} is not 3–36 letters, digits or -",
                  "use the code of the catalogue, e.g. XK-SCJG-001")
    if not p.name:
        out.error(pid, "power-name", "sunshine:power has no name (事项名称)", "add name=\"…\"")
    if not (2 <= len(p.short_name) <= 6):
        out.error(pid, "short-name", f"shortName {p.short_name!r} (used in case numbers, e.g. "
                  "食品) is not 2–6 characters", "give shortName=\"…\" of 2–6 characters")
    if p.category not in CATEGORIES:
        out.error(pid, "category", f"category {p.category!r} is not a category of the "
                  "catalogue", f"use one of: {'、'.join(CATEGORIES)}")
    if not p.unit:
        out.error(pid, "unit", "sunshine:power has no unit (实施主体)", "add unit=\"…\"")
    if p.mode not in MODES:
        out.error(pid, "mode", f"mode {p.mode!r} is not a handling mode",
                  f"use one of: {'、'.join(MODES)}")
    _limit_rules(out, p, raw)
    if not p.public:
        np = p.non_public
        if np is None or not all((np.reason, np.basis, np.filing_no, np.filed_with, np.filed_on)):
            out.error(pid, "non-public-filing", "a non-public power has no complete filing (备案) "
                      "record", "add <sunshine:nonPublic reason basis filingNo filedWith "
                      "filedOn> — the reason, legal basis and filing record")
    lanes = {s.post for s in p.steps if s.post}
    posts = {post.name for post in p.posts}
    for lane in sorted(lanes - posts):
        out.warn(pid, "post-duties", f"lane {lane!r} has no <sunshine:post> with its duties",
                 f"add <sunshine:post name=\"{lane}\">duties…</sunshine:post>; the catalogue "
                 "publishes each post's duties")
    if p.kind == "power" and not p.steps_with_role("acceptance"):
        out.error(pid, "acceptance-step", "no acceptance step (受理 / 不予受理 / 一次性告知补正)",
                  "mark the window's acceptance check with sunshine:step=\"acceptance\", or set "
                  "kind=\"procedure\" for an internal procedure")
    _timer_rules(out, p)


def _limit_rules(out: Collector, p: Power, raw: dict[str, str]) -> None:
    pid = p.process_id
    promised_raw = raw.get("promisedLimit")
    statutory_raw = raw.get("statutoryLimit")
    if promised_raw is None or promised_raw.strip() == "":
        out.error(pid, "promised-limit", "promisedLimit (承诺时限) is missing; it is mandatory "
                  "even where law sets no limit", "add promisedLimit=\"N\" in working days")
    elif p.promised_limit is None or p.promised_limit < 0:
        out.error(pid, "promised-limit", f"promisedLimit {promised_raw!r} is not a whole number "
                  "of working days", "write a whole number, e.g. promisedLimit=\"10\"")
    if statutory_raw is None or statutory_raw.strip() == "":
        out.error(pid, "statutory-limit", "statutoryLimit (法定时限) is missing",
                  "write the number of working days, or \"none\" where law sets no limit")
    elif statutory_raw.strip().lower() != "none" and p.statutory_limit is None:
        out.error(pid, "statutory-limit", f"statutoryLimit {statutory_raw!r} is not a number or "
                  "none", "write a whole number of working days, or \"none\"")
    if p.promised_limit is not None and p.statutory_limit is not None:
        if p.promised_limit > p.statutory_limit * PROMISED_RATIO:
            most = int(p.statutory_limit * PROMISED_RATIO)
            out.error(pid, "promised-over-two-thirds",
                      f"promised limit {p.promised_limit} exceeds ⅔ of the statutory limit "
                      f"{p.statutory_limit} (承诺时限须比法定时限缩短三分之一以上)",
                      f"promise at most {most}")


def _timer_rules(out: Collector, p: Power) -> None:
    pid = p.process_id
    decisions = [s.id for s in p.steps_with_role("decision")]
    on_decision = [t for t in p.timers if t.attached_to in decisions]
    # A timer on the decision step with no sunshine:deadline is reported on the timer below.
    if p.deemed_approval and not any(t.deadline in ("promised", None) for t in on_decision):
        for where in decisions or [pid]:
            out.error(where, "deemed-timer", "deemedApproval=\"true\" but the decision step has "
                      "no interrupting timer boundary event with sunshine:deadline=\"promised\"",
                      "add one to the decision step so the flowchart shows the rule and the "
                      "engine can take the path (or set deemedApproval=\"false\")")
    for t in p.timers:
        if t.deadline is None:
            out.error(t.id, "timer-deadline", "timer boundary event without sunshine:deadline "
                      "(the engine, not the wall clock, fires timers)",
                      f"say which deadline fires it: {', '.join(DEADLINE_KINDS)}")
        elif t.deadline not in DEADLINE_KINDS:
            out.error(t.id, "timer-deadline", f"sunshine:deadline {t.deadline!r} is not a "
                      "deadline the engine keeps", f"use one of {', '.join(DEADLINE_KINDS)}")
        elif t.deadline == "promised" and not p.deemed_approval:
            out.warn(t.id, "timer-deadline", "a promised-deadline timer on a power whose "
                     "deemedApproval is off will never fire",
                     "set deemedApproval=\"true\" or remove the timer")


def step_rules(out: Collector, process: etree._Element, p: Power) -> None:
    _each_step(out, p.steps)
    _end_results(out, process)


def called_rules(out: Collector, process: etree._Element) -> None:
    """A process with no catalogue entry of its own that a power calls: its steps run as steps
    of the calling power's case, so each needs a post (lane) and a limit, and each timer a
    deadline; its end events only return to the caller, so they need no result."""
    steps = read_steps(process)
    _each_step(out, steps)
    _field_rules(out, process, {s.id: s.role for s in steps})
    for t in read_timers(process):
        if t.deadline is None or t.deadline not in DEADLINE_KINDS:
            out.error(t.id, "timer-deadline", "timer boundary event without a sunshine:deadline "
                      "the engine keeps (the engine, not the wall clock, fires timers)",
                      f"say which deadline fires it: {', '.join(DEADLINE_KINDS)}")


def _each_step(out: Collector, steps: tuple[Step, ...]) -> None:
    for s in steps:
        if not s.post:
            out.error(s.id, "step-lane", f"user task {s.name!r} is in no lane",
                      "put it in the lane of the post (岗位) that does it")
        if s.time_limit is None:
            out.error(s.id, "step-time-limit", f"user task {s.name!r} has no sunshine:timeLimit",
                      "add the step's limit in working days (0 = the same day)")
        elif s.time_limit < 0:
            out.error(s.id, "step-time-limit", "sunshine:timeLimit is negative",
                      "write 0 or more working days")
        if s.role is not None and s.role not in STEP_ROLES:
            out.error(s.id, "step-role", f"sunshine:step {s.role!r} is not a step role",
                      f"use one of {', '.join(STEP_ROLES)}")
        if s.special is not None and s.special not in SPECIAL_KINDS:
            out.error(s.id, "special-kind", f"sunshine:special {s.special!r} is not a kind of "
                      "special procedure", f"use one of {'、'.join(SPECIAL_KINDS)}")


def _end_results(out: Collector, process: etree._Element) -> None:
    for end in process.iter(bpmn("endEvent")):
        result = end.get(sun("result"))
        if result is None:
            out.error(end.get("id"), "end-result", "end event without sunshine:result",
                      f"say how the case ends there ({', '.join(RESULTS)})")
        elif result not in RESULTS:
            out.error(end.get("id"), "end-result", f"sunshine:result {result!r} is not a result",
                      f"use one of {', '.join(RESULTS)}")


# role → (field it must declare, the values the engine knows, the values it must offer)
_ROLE_FIELDS = {
    "decision": ("decision", {"approve", "refuse"}, {"approve", "refuse"}),
    "acceptance": ("acceptance", {"accept", "supplement", "refuse"}, {"accept"}),
}


def field_rules(out: Collector, process: etree._Element, p: Power) -> None:
    """``sunshine:field`` declarations (docs/designer-guide.md, 表单字段): the engine refuses any
    form data they do not allow, so a bad declaration would block the step."""
    _field_rules(out, process, {s.id: s.role for s in p.steps})


def _field_rules(out: Collector, process: etree._Element, roles: dict[str, str | None]) -> None:
    for task in process.iter(bpmn("userTask")):
        tid = task.get("id")
        fields = [read_field(el) for el in field_elements(task)]
        seen: set[str] = set()
        for f in fields:
            if not f.name:
                out.error(tid, "field-name", "sunshine:field has no name",
                          "add name=\"…\" (the variable the step sets, e.g. opinion)")
            elif not f.name.isidentifier() or keyword.iskeyword(f.name) or f.name.startswith("_"):
                out.error(tid, "field-name", f"field name {f.name!r} is not a name conditions can "
                          "use", "use letters, digits and _ (not first), e.g. needs_testing, and "
                          "put the Chinese in label=\"…\"")
            elif f.name in seen:
                out.error(tid, "field-duplicate", f"field {f.name!r} is declared twice on this "
                          "step", "keep one sunshine:field per name")
            seen.add(f.name)
            if f.type not in FIELD_TYPES:
                out.error(tid, "field-type", f"field {f.name!r} has type {f.type!r}, which is not "
                          "a field type", f"pick one of {', '.join(FIELD_TYPES)} (string keeps "
                          "phone and ID numbers as written)")
            elif f.type == "choice" and not f.options:
                out.error(tid, "field-options", f"choice field {f.name!r} has no options",
                          "add <sunshine:option value=\"…\" label=\"…\"/> for each allowed value")
            elif f.type != "choice" and f.options:
                out.warn(tid, "field-options", f"field {f.name!r} is {f.type}, so its options are "
                         "ignored", "make it type=\"choice\" or remove the options")
            values = [o.value for o in f.options]
            if "" in values or len(set(values)) != len(values):
                out.error(tid, "field-options", f"field {f.name!r} has an option with no value or "
                          "the same value twice", "give every option its own value=\"…\"")
        if not fields:
            continue
        role = roles.get(tid or "") or ""
        if role in _ROLE_FIELDS:
            name, allowed, needed = _ROLE_FIELDS[role]
            f = next((f for f in fields if f.name == name), None)
            if f is None or f.type != "choice" or not needed <= set(f.values) <= allowed:
                out.error(tid, "field-role", f"this {role} step declares fields but not {name} as "
                          f"a choice of {', '.join(sorted(allowed))}; the engine routes the case "
                          "on it", f"declare <sunshine:field name=\"{name}\" type=\"choice\" "
                          f"required=\"true\"> with options {', '.join(sorted(needed))}"
                          + ("" if needed == allowed else " (and any of the others)"))


def catalogue_needs(process: etree._Element) -> str:
    """What a catalogue entry for this process must write besides ``sunshine:power``, in a
    designer's words (for the no-power finding)."""
    from engine.catalogue import lane_of

    lanes = lane_of(process)
    tasks = [t.get("id") or "?" for t in process.iter(bpmn("userTask"))]
    ends = [e.get("id") or "?" for e in process.iter(bpmn("endEvent"))]
    parts = ["<sunshine:power code=… name=… shortName=… category=… unit=… statutoryLimit=… "
             "promisedLimit=…> in the process's extensionElements"]
    if tasks:
        parts.append(f"sunshine:timeLimit on its user task(s) {_few(tasks)}")
    unlaned = [t for t in tasks if t not in lanes]
    if unlaned:
        parts.append(f"a lane named after the post (岗位) for {_few(unlaned)}")
    if ends:
        parts.append(f"sunshine:result on its end event(s) {_few(ends)}")
    parts.append("an acceptance step (sunshine:step=\"acceptance\"), or kind=\"procedure\"")
    return "add " + "; ".join(parts) + " (docs/designer-guide.md; the web modeler's form " \
        "writes them)"


def _few(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
