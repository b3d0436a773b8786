"""Supervision statistics (按时办结率 and the rest): pure counting over the facts the read
models return (engine/read_models.py), so that a figure and the cases behind it always agree.

A period is a range of local dates, both ends included. Each figure is a :class:`Figure`: the
count and the case numbers behind it. Definitions (docs/supervisor-guide.md repeats them):

* **received** (收件) — ``received_at`` in the period; **accepted** (受理) — ``accepted_at`` in it.
* **decided** (办结) — closed in the period with a decision: approved (also deemed and 容缺),
  refused, or completed (procedures). Withdrawn, not accepted, terminated and recalled cases
  are not decisions and are not in the rates.
* **on time** (按时办结) — decided, not deemed, and closed no later than the promised day
  (the day the case file shows, moved by clock stops); a case with no promised limit is on
  time. **early** (提前办结) — on time and closed before the promised day.
* **overdue** (超期办结) — decided and not on time; **deemed** (超时默许) — approved by the
  system because the deadline ran out (every deemed approval is also overdue).
* **share of promised time used** — over decided cases with a promised limit: the working days
  from acceptance (not counted) to closing (counted), less the working days the clock stood
  still, divided by the limit; the row shows the average, as a percentage.
* **steps done / late** — steps completed in the period, and those completed after their own
  limit (环节时限).
* **cards** — issued in the period, by colour, except those a supervisor withdrew (撤销);
  **breaches** — occurred in the period, by kind and by measure (``pending``: not decided yet),
  those with no case (体外审批) too, behind which stands the breach's ref instead of a case.
* **bad ratings** (差评) — ratings of 不满意 or 非常不满意 given in the period, for the rated
  case's unit and power; **complaints upheld** (投诉属实) — complaints decided as upheld in the
  period, for the unit, power, post and person they were against (a complaint with no case
  stands behind its figure by its own number, TS…).

Grouped by unit, power, post or person: a case counts for its power's unit; a step for its
lane's department (else the power's unit), its post and whoever completed it; a card or a
breach for the post and the person it names. Case figures (received … deemed) have no post or
person, and are left empty in those groupings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.read_models import (
    BreachFacts,
    CardFacts,
    CaseFacts,
    ComplaintFacts,
    RatingFacts,
    StepFacts,
)

DECIDED = ("approved", "approved_with_gaps", "refused", "completed")
GROUPINGS = ("unit", "power", "post", "person")
CASE_FIGURES = ("received", "accepted", "decided", "on_time", "early", "overdue", "deemed")
STEP_FIGURES = ("steps_done", "steps_late")
CARD_KINDS = ("warning", "yellow", "red", "statutory")
FEEDBACK_FIGURES = ("bad_ratings", "complaints_upheld")  # 好差评 and 投诉 (services/feedback.py)
LABELS = {
    "received": "收件", "accepted": "受理", "decided": "办结", "on_time": "按时办结",
    "early": "提前办结", "overdue": "超期办结", "deemed": "超时默许", "steps_done": "办理环节",
    "steps_late": "环节超时", "warning": "预警", "yellow": "黄牌", "red": "红牌",
    "statutory": "超法定时限", "bad_ratings": "差评", "complaints_upheld": "投诉属实",
}


@dataclass
class Figure:
    """A count and the cases behind it (each case once, in number order)."""

    count: int = 0
    cases: list[str] = field(default_factory=list)

    def add(self, number: str) -> None:
        self.count += 1
        if number not in self.cases:
            self.cases.append(number)

    def done(self) -> Figure:
        self.cases.sort()
        return self


@dataclass
class Row:
    """One unit, power, post or person (or the total)."""

    key: str
    label: str
    figures: dict[str, Figure]  # CASE_FIGURES, STEP_FIGURES and CARD_KINDS
    breaches_by_kind: dict[str, Figure]
    breaches_by_measure: dict[str, Figure]
    share_used: float | None  # the average share of the promised time used (0.83 = 83 %)
    rank: int | None = None

    def n(self, name: str) -> int:
        return self.figures[name].count

    @property
    def on_time_rate(self) -> float | None:
        return self.n("on_time") / self.n("decided") if self.n("decided") else None

    @property
    def early_rate(self) -> float | None:
        return self.n("early") / self.n("decided") if self.n("decided") else None

    @property
    def step_on_time_rate(self) -> float | None:
        done = self.n("steps_done")
        return (done - self.n("steps_late")) / done if done else None

    @property
    def breaches(self) -> int:
        return sum(f.count for f in self.breaches_by_kind.values())

    @property
    def cards(self) -> int:
        return sum(self.n(k) for k in CARD_KINDS)


@dataclass(frozen=True)
class Table:
    """The statistics of a period, one row per group, ranked, and the total."""

    start: date
    end: date  # included
    by: str
    rows: tuple[Row, ...]
    total: Row


@dataclass(frozen=True)
class SignedReport:
    """A supervision report a supervisor signed off, archived with its figures as they stood
    (``to_dict``) and the SHA-256 of their canonical JSON."""

    start: date
    end: date
    figures: dict[str, Any]
    sha256: str
    signed_by: str
    signed_at: datetime
    written_at: datetime
    id: int | None = None

    @property
    def table(self) -> Table:
        return from_dict(self.figures)


@dataclass(frozen=True)
class Facts:
    """What the read models returned for the period, and what names them."""

    cases: Sequence[CaseFacts]
    steps: Sequence[StepFacts]
    cards: Sequence[CardFacts]
    breaches: Sequence[BreachFacts]
    powers: Mapping[int, Mapping[str, Any]]  # definition id → catalogue entry
    names: Mapping[str, str]  # login → name
    ratings: Sequence[RatingFacts] = ()  # bad ones
    complaints: Sequence[ComplaintFacts] = ()  # upheld ones


def _new_row(key: str, label: str) -> Row:
    return Row(key=key, label=label,
               figures={f: Figure() for f in (*CASE_FIGURES, *STEP_FIGURES, *CARD_KINDS,
                                              *FEEDBACK_FIGURES)},
               breaches_by_kind=defaultdict(Figure), breaches_by_measure=defaultdict(Figure),
               share_used=None)


def compute(facts: Facts, start: date, end: date, by: str,
            local_date: Callable[[Any], date],
            working_days_between: Callable[[date, date], int]) -> Table:
    """The period's figures grouped ``by`` unit, power, post or person.

    ``local_date(instant)`` gives an instant's local date; ``working_days_between(a, b)`` the
    working days d with a <= d < b (engine.calendar.Calendar's two methods).
    """
    if by not in GROUPINGS:
        raise ValueError(f"by: one of {', '.join(GROUPINGS)}")
    rows: dict[str, Row] = {}
    total = _new_row("*", "合计")
    shares: dict[str, list[float]] = defaultdict(list)

    def unit_of(definition_id: int | None, department: str | None = None) -> str:
        return department or str(facts.powers.get(definition_id, {}).get("unit", "")) or "—"

    def power_label(code: str, definition_id: int | None) -> str:
        entry = facts.powers.get(definition_id, {}) if definition_id is not None else {}
        return str(entry.get("name", "")) or code

    def person_label(login: str) -> str:
        name = facts.names.get(login)
        return f"{name}（{login}）" if name else login

    def groups(*, unit: str, power: tuple[str | None, int | None], post: str | None,
               person: str | None) -> Iterable[Row]:
        """The group rows a fact counts in (none when the grouping has no value for it)."""
        if by == "unit":
            key, label = unit, unit
        elif by == "power":
            if not power[0]:
                return ()  # a breach that names no power (a complaint against a person)
            key, label = power[0], power_label(power[0], power[1])
        elif by == "post":
            if not post:
                return ()
            key, label = f"{unit}·{post}", f"{unit}·{post}"
        else:
            if not person:
                return ()
            key, label = person, person_label(person)
        if key not in rows:
            rows[key] = _new_row(key, label)
        return (rows[key],)

    def count(where: Iterable[Row], name: str, number: str) -> None:
        for row in (*where, total):
            row.figures[name].add(number)

    in_period = lambda at: at is not None and start <= local_date(at) <= end  # noqa: E731
    for c in facts.cases:
        where = tuple(groups(unit=unit_of(c.definition_id), power=(c.power_code, c.definition_id),
                             post=None, person=None)) if by in ("unit", "power") else ()
        if in_period(c.received_at):
            count(where, "received", c.number)
        if in_period(c.accepted_at):
            count(where, "accepted", c.number)
        if not (c.state in DECIDED and in_period(c.closed_at)):
            continue
        closed = local_date(c.closed_at)
        count(where, "decided", c.number)
        on_time = not c.deemed and (c.promised_day is None or closed <= c.promised_day)
        count(where, "on_time" if on_time else "overdue", c.number)
        if on_time and c.promised_day is not None and closed < c.promised_day:
            count(where, "early", c.number)
        if c.deemed:
            count(where, "deemed", c.number)
        limit = facts.powers.get(c.definition_id, {}).get("promised_limit")
        if c.accepted_at is not None and isinstance(limit, int) and limit > 0:
            accepted = local_date(c.accepted_at)
            used = max(0, working_days_between(accepted + timedelta(days=1),
                                               closed + timedelta(days=1)) - c.stopped_days)
            for row in (*where, total):
                shares[row.key].append(used / limit)
    for s in facts.steps:
        if not s.counted or not in_period(s.completed_at):
            continue
        unit = unit_of(s.definition_id, s.department)
        where = tuple(groups(unit=unit, power=(s.power_code, s.definition_id), post=s.post,
                             person=s.completed_by))
        count(where, "steps_done", s.case_number)
        if s.due_at is not None and s.completed_at > s.due_at:
            count(where, "steps_late", s.case_number)
    for k in facts.cards:
        if k.kind not in CARD_KINDS or not in_period(k.issued_at):
            continue
        where = tuple(groups(unit=unit_of(k.definition_id), power=(k.power_code, k.definition_id),
                             post=k.post, person=k.person))
        count(where, k.kind, k.case_number)
    for b in facts.breaches:
        if not in_period(b.occurred_at):
            continue
        unit = unit_of(b.definition_id) if b.definition_id is not None else (b.unit or "—")
        where = tuple(groups(unit=unit, power=(b.power_code, b.definition_id), post=b.post,
                             person=b.person))
        behind = b.case_number or b.ref or "—"  # a breach with no case: its own ref
        for row in (*where, total):
            row.breaches_by_kind[b.kind].add(behind)
            row.breaches_by_measure[b.measure or "pending"].add(behind)
    for r in facts.ratings:
        if not in_period(r.rated_at):
            continue
        where = tuple(groups(unit=r.unit, power=(r.power_code, r.definition_id), post=None,
                             person=None)) if by in ("unit", "power") else ()
        count(where, "bad_ratings", r.case_number)
    for k in facts.complaints:
        if not in_period(k.decided_at):
            continue
        unit = k.unit or (unit_of(k.definition_id) if k.definition_id is not None else "—")
        where = () if by == "power" and not k.power_code else tuple(groups(
            unit=unit, power=(k.power_code or "", k.definition_id or 0), post=k.post,
            person=k.person))
        count(where, "complaints_upheld", k.case_number or k.number)
    for row in (*rows.values(), total):
        for f in (*row.figures.values(), *row.breaches_by_kind.values(),
                  *row.breaches_by_measure.values()):
            f.done()
        row.breaches_by_kind = dict(sorted(row.breaches_by_kind.items()))
        row.breaches_by_measure = dict(sorted(row.breaches_by_measure.items()))
        used = shares.get(row.key)
        row.share_used = sum(used) / len(used) if used else None
    ranked = sorted(rows.values(), key=_ranking(by))
    for i, row in enumerate(ranked, start=1):
        row.rank = i
    return Table(start=start, end=end, by=by, rows=tuple(ranked), total=total)


def _ranking(by: str) -> Callable[[Row], tuple[Any, ...]]:
    """Units and powers rank by on-time rate, then by cases decided; posts and people by the
    share of their steps done on time, then by steps done; fewer breaches and cards break ties.
    Rows with nothing decided (nothing done) come last."""
    if by in ("unit", "power"):
        return lambda r: (r.on_time_rate is None, -(r.on_time_rate or 0), -r.n("decided"),
                          r.breaches, r.cards, r.key)
    return lambda r: (r.step_on_time_rate is None, -(r.step_on_time_rate or 0),
                      -r.n("steps_done"), r.breaches, r.cards, r.key)


# -- the table as a document (the archived report, `stats --json`) ------------------------------

def _figure_dict(f: Figure) -> dict[str, Any]:
    return {"count": f.count, "cases": list(f.cases)}


def _figure(d: Mapping[str, Any]) -> Figure:
    return Figure(count=int(d["count"]), cases=[str(c) for c in d["cases"]])


def row_to_dict(r: Row) -> dict[str, Any]:
    return {
        "key": r.key, "label": r.label, "rank": r.rank,
        **{name: _figure_dict(r.figures[name]) for name in (*CASE_FIGURES, *STEP_FIGURES,
                                                             *CARD_KINDS, *FEEDBACK_FIGURES)},
        "on_time_rate": r.on_time_rate, "early_rate": r.early_rate,
        "share_of_promised_time_used": r.share_used, "step_on_time_rate": r.step_on_time_rate,
        "breaches_by_kind": {k: _figure_dict(f) for k, f in r.breaches_by_kind.items()},
        "breaches_by_measure": {k: _figure_dict(f) for k, f in r.breaches_by_measure.items()},
    }


def to_dict(t: Table) -> dict[str, Any]:
    """Every figure with the cases behind it; ``from_dict`` reads it back unchanged."""
    return {"from": t.start.isoformat(), "to": t.end.isoformat(), "by": t.by,
            "rows": [row_to_dict(r) for r in t.rows], "total": row_to_dict(t.total)}


def _row(d: Mapping[str, Any]) -> Row:
    return Row(key=str(d["key"]), label=str(d["label"]),
               figures={n: _figure(d[n]) if n in d else Figure()  # reports signed before
                        for n in (*CASE_FIGURES, *STEP_FIGURES, *CARD_KINDS,  # ratings counted
                                  *FEEDBACK_FIGURES)},
               breaches_by_kind={k: _figure(f) for k, f in d["breaches_by_kind"].items()},
               breaches_by_measure={k: _figure(f) for k, f in d["breaches_by_measure"].items()},
               share_used=d["share_of_promised_time_used"], rank=d["rank"])


def from_dict(d: Mapping[str, Any]) -> Table:
    return Table(start=date.fromisoformat(d["from"]), end=date.fromisoformat(d["to"]),
                 by=str(d["by"]), rows=tuple(_row(r) for r in d["rows"]), total=_row(d["total"]))
