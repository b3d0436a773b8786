"""The trail replayed against the rows supervisors read (审计回放).

The hash chain (engine/audit.py) proves that the stored events were not edited, but a row can be
changed without touching an event: a breach deleted, a promised day moved, another name put in
``completed_by``. So every save also records, as one ``supervised`` event, what changed in the
case's *supervised projection* — a canonical, JSON-ready map of what supervisors read, one
entry ("part") per row:

    case                      state, clock, result, deemed flags, accepted/closed times …
    deadline:promised         day, instant, provisional, start, days (and deadline:statutory)
    step:<task id>            status, post, assignee, completed_by/at, due, outcome, opinion,
                              its form data (the decision …) …
    card:<task>:<kind>:<against>          kind, post, person, reply/appeal/decision fields
    breach:<task>:<kind>:<ref>            kind, person, person_basis, measure, decided_by/at …
    stop:<started at>:<kind>  a clock stop;  extension:<requested at>: an extension
    flag:<kind>:<at>          an applicant flag the case raised (kind and reason)
    notice:<dedupe key>       a notice the case queued (kind and channel)

Parts are keyed by what identifies them in the record (a breach by its step, kind and ref — its
row id is given only when it is written), so the change can be recorded before the save.

A payload is ``{"put": {part: {field: value}}, "drop": [part …], "snapshot": …}``: the parts
added (all their fields) or changed (the changed fields), the parts gone; ``snapshot`` marks a
whole projection — ``new`` for a case's first save, ``baseline`` for a case recorded before this
trail existed (its first save since; flags and notices from before are not known then),
``rebase`` when a covered case lost its mark (compared with the trail, never trusted).

``replay`` folds a case's ``supervised`` events into the projection the trail expects;
``compare`` names each part and field where the rows as loaded now differ. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from engine.model import ApplicantFlag, AuditEvent

if TYPE_CHECKING:
    from engine.case import Case
    from engine.documents import Notice

SUPERVISED = "supervised"
MARK = "supervised_since"  # case.data: the seq of the case's first supervised event
_BASE = "_supervised_base"  # the projection as loaded (or last recorded) in this unit of work
# case.data keys that are bookkeeping or personal data (kept out of the trail's payloads)
_NOT_PROJECTED = frozenset({"audit_head", MARK, "application", "applicant_id", "contact", "agent"})
_CASE_FIELDS = ("power_code", "definition_id", "applicant", "channel", "mode", "state", "clock",
                "received_at", "accepted_at", "deemed_accepted", "suspended_since",
                "stopped_days", "extended_days", "result", "deemed", "deemed_pending",
                "closed_at")
_APPENDED = ("flag:", "notice:")  # parts only ever added, read from their own tables
Parts = dict[str, dict[str, Any]]
_SCALARS = frozenset({str, int, float, bool, type(None)})
_RECORDED = "_supervised_recorded"  # the events as they stood when ``record`` last ran


def _plain(value: Any) -> Any:
    """JSON-ready and canonical: instants in UTC (a naive one is UTC), dates as YYYY-MM-DD."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _fields(record: Any, skip: frozenset[str]) -> dict[str, Any]:
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)
            if f.name not in skip}


_STEP_SKIP = frozenset({"id", "case_id", "case_number", "power_code"})
# fields projected since a later version: a part whose trail never recorded the field (a step
# completed before its form data was projected) is not compared on it
_LATER = {"step": frozenset({"data"})}
_PART_SKIP = frozenset({"id", "case_id", "case_number"})
_DEADLINE = ("day", "at", "provisional", "start", "days")


def _deadline(deadline: Any) -> dict[str, Any]:
    return {name: _plain(getattr(deadline, name, None)) for name in _DEADLINE}


def card_key(card: Any) -> str:
    return f"card:{card.task_id or '-'}:{_plain(card.kind)}:{card.against}"


def breach_key(breach: Any) -> str:
    return f"breach:{breach.task_id or '-'}:{_plain(breach.kind)}:{breach.ref or '-'}"


def case_parts(case: Case) -> Parts:
    """The supervised projection of the case's own rows (no flags or notices)."""
    head = {name: _plain(getattr(case, name)) for name in _CASE_FIELDS}
    head["data"] = {k: _plain(v) for k, v in sorted(case.data.items()) if k not in _NOT_PROJECTED}
    parts: Parts = {"case": head, "deadline:promised": _deadline(case.promised),
                    "deadline:statutory": _deadline(case.statutory)}
    for step in case.steps:
        parts[f"step:{step.id}"] = _fields(step, _STEP_SKIP)
    for card in case.cards:
        parts[card_key(card)] = _fields(card, _PART_SKIP)
    for breach in case.breaches:
        parts[breach_key(breach)] = _fields(breach, _PART_SKIP)
    for stop in case.stops:
        parts[f"stop:{_plain(stop.started_at)}:{stop.kind}"] = _fields(stop, _PART_SKIP)
    for ext in case.extensions:
        parts[f"extension:{_plain(ext.requested_at)}"] = _fields(ext, _PART_SKIP)
    # the payload's own round trip (engine/audit.py next_event): what is compared is what is stored
    return json.loads(json.dumps(parts, ensure_ascii=False, default=str))


def appended_parts(flags: Iterable[ApplicantFlag], notices: Iterable[Notice]) -> Parts:
    """The flags a case raised and the notices it queued, as parts (the applicant's key, which
    may be a certificate number, and the notice's recipient stay out of the trail)."""
    parts: Parts = {f"flag:{f.kind}:{_plain(f.at)}": {"kind": f.kind, "reason": f.reason}
                    for f in flags}
    parts.update({f"notice:{n.dedupe}": {"kind": n.kind, "channel": _plain(n.channel)}
                  for n in notices})
    return parts


# -- recording ------------------------------------------------------------------------------


def remember(case: Case) -> None:
    """Keep the projection as loaded: the next ``record`` writes what changed since."""
    case.__dict__[_BASE] = case_parts(case)


def record(case: Case, notices: Sequence[Notice] = ()) -> None:
    """Append the ``supervised`` event for what this unit of work changed in the projection
    (before the save; nothing when nothing supervisors read changed). The store calls it again
    as it saves (Case.flush_workflow): nothing to do when no event came since."""
    if not notices and case.__dict__.get(_RECORDED) == _events_mark(case):
        return
    now = case_parts(case)
    base = case.__dict__.get(_BASE)
    covered = MARK in case.data
    snapshot = None
    if covered and base is not None:
        put = {key: (fields if key not in base else
                     {k: v for k, v in fields.items() if base[key].get(k, _MISSING) != v})
               for key, fields in now.items()}
        put = {k: v for k, v in put.items() if v}
        drop = sorted(key for key in base if key not in now)
    else:
        new = any(ev.kind == "received" for ev in case.new_events)
        snapshot = "new" if new else ("rebase" if covered else "baseline")
        put, drop = dict(now), []
    put.update(appended_parts(case.new_flags, notices))
    if put or drop:
        payload: dict[str, Any] = {"put": put}
        if drop:
            payload["drop"] = drop
        if snapshot:
            payload["snapshot"] = snapshot
        case.event(SUPERVISED, **payload)
        if not covered:
            case.data[MARK] = case.data["audit_head"][0]
    case.__dict__[_BASE] = now
    case.__dict__[_RECORDED] = _events_mark(case)


def _events_mark(case: Case) -> tuple[int, int]:
    return len(case.new_events), id(case.new_events[-1]) if case.new_events else 0


_MISSING = object()


# -- replaying ------------------------------------------------------------------------------


@dataclass
class Replay:
    """What a case's trail says supervisors should read."""

    expected: Parts = field(default_factory=dict)
    set_at: dict[str, int] = field(default_factory=dict)  # part → seq of the event last setting it
    first: int | None = None  # seq of the first supervised event
    since: str | None = None  # new, baseline
    first_at: datetime | None = None
    problems: list[str] = field(default_factory=list)


def replay(events: Sequence[AuditEvent]) -> Replay:
    """Fold the ``supervised`` events, in order, into the expected projection."""
    out = Replay()
    for ev in events:
        if ev.kind != SUPERVISED:
            continue
        payload = ev.payload if isinstance(ev.payload, dict) else {}
        put = payload.get("put") or {}
        snapshot = payload.get("snapshot")
        if out.first is None:
            out.first, out.since, out.first_at = ev.seq, snapshot or "baseline", ev.at
        elif snapshot:
            own = {k: v for k, v in out.expected.items() if not k.startswith(_APPENDED)}
            fresh = {k: v for k, v in put.items() if not k.startswith(_APPENDED)}
            out.problems += [f"event {ev.seq} recorded the case afresh, from rows that differ "
                             f"from the trail: {p}" for p in _differences(own, fresh, {}, {})]
        if snapshot:
            out.expected = {k: v for k, v in out.expected.items() if k.startswith(_APPENDED)}
        for key, fields in put.items():
            out.expected.setdefault(key, {}).update(fields)
            out.set_at[key] = ev.seq
        for key in payload.get("drop") or ():
            out.expected.pop(key, None)
            out.set_at[key] = ev.seq
    return out


def label(key: str, fields: Mapping[str, Any] | None, row_ids: Mapping[str, int]) -> str:
    """A part as a supervisor names it: step 审核, breach #12 (overdue_step, 审核) …"""
    fields = fields or {}
    kind, _, rest = key.partition(":")
    row = f" #{row_ids[key]}" if key in row_ids else ""
    if kind == "case":
        return "the case"
    if kind == "deadline":
        return f"deadline {rest}"
    if kind == "step":
        return f"step {fields.get('name') or rest} ({rest[:8]})"
    if kind == "card":
        return f"card{row} ({fields.get('kind')} on {fields.get('against')})"
    if kind == "breach":
        on = f", {fields['step_name']}" if fields.get("step_name") else ""
        return f"breach{row} ({fields.get('kind')}{on})"
    if kind == "stop":
        return f"clock stop{row} ({fields.get('kind')} from {fields.get('started_at')})"
    if kind == "extension":
        return f"extension{row} (requested {fields.get('requested_at')})"
    if kind == "flag":
        return f"applicant flag ({fields.get('kind')})"
    if kind == "notice":
        return f"notice {rest} ({fields.get('kind')})"
    return key


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _differences(expected: Parts, actual: Parts, set_at: Mapping[str, int],
                 row_ids: Mapping[str, int], *, ignore_extra: tuple[str, ...] = ()) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key), actual.get(key)
        when = f" (event {set_at[key]})" if key in set_at else ""
        if have is None:
            problems.append(f"{label(key, want, row_ids)} is in the trail{when} but its row is "
                            f"missing: it was deleted")
        elif want is None:
            if not key.startswith(ignore_extra):
                problems.append(f"{label(key, have, row_ids)} has a row the trail never "
                                f"recorded: it was added outside the engine")
        else:
            later = _LATER.get(key.partition(":")[0], frozenset())
            for name in sorted(set(want) | set(have)):
                if name in later and name not in want:
                    continue
                if want.get(name) != have.get(name):
                    problems.append(f"{label(key, have, row_ids)}: {name} is "
                                    f"{_show(have.get(name))} but the trail recorded "
                                    f"{_show(want.get(name))}{when}")
    return problems


@dataclass(frozen=True)
class CaseCheck:
    """One case's trail replayed against its rows."""

    number: str
    events: int
    status: str  # matches, not_covered, altered
    problems: tuple[str, ...] = ()
    covered_since: int | None = None  # the seq of the first supervised event

    @property
    def ok(self) -> bool:
        return self.status != "altered"


def check_case(number: str, events: Sequence[AuditEvent], head: Sequence[Any] | None,
               actual: Parts, row_ids: Mapping[str, int]) -> CaseCheck:
    """Replay a case's trail against ``actual`` (``case_parts`` of the case as loaded now, plus
    ``appended_parts`` of its stored flags and notices)."""
    from engine.audit import verify_chain

    if not events:
        return CaseCheck(number, 0, "altered", (
            "the case has no audit events at all: its trail was deleted",))
    problems = verify_chain(events)
    if head is not None and [events[-1].seq, events[-1].hash] != list(head):
        problems.append(f"the chain ends at event {events[-1].seq} but the case last recorded "
                        f"event {head[0]}: events were deleted or replaced")
    played = replay(events)
    if played.first is None:
        status = "altered" if problems else "not_covered"
        return CaseCheck(number, len(events), status, tuple(problems))
    problems += played.problems
    ignore = _APPENDED if played.since != "new" else ()
    problems += _differences(played.expected, actual, played.set_at, row_ids,
                             ignore_extra=ignore)
    return CaseCheck(number, len(events), "altered" if problems else "matches", tuple(problems),
                     played.first)


def row_ids(case: Case) -> dict[str, int]:
    """The stored row ids of the case's cards, breaches, stops and extensions, by part."""
    ids: dict[str, int] = {}
    for card in case.cards:
        if card.id is not None:
            ids[card_key(card)] = card.id
    for breach in case.breaches:
        if breach.id is not None:
            ids[breach_key(breach)] = breach.id
    for stop in case.stops:
        if stop.id is not None:
            ids[f"stop:{_plain(stop.started_at)}:{stop.kind}"] = stop.id
    for ext in case.extensions:
        if ext.id is not None:
            ids[f"extension:{_plain(ext.requested_at)}"] = ext.id
    return ids
