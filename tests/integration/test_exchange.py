"""The provincial exchange export (engine/services/exchange.py, `sunshine exchange export`), on
SQLite and PostgreSQL: cases driven through every status the engine can reach (the exchange
codes 1–15 of DOMAIN-REFERENCE 8b), exported for a period and incrementally; the JSON checked
against docs/exchange.schema.json (by the strict validator below: jsonschema is not installed)
and read back, the CSV read back, both to the same records; bad requests refused with nothing
written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from adapters.exchange_format import SCHEMA, read_csv, read_json, to_csv, to_json, write_files
from engine.errors import Forbidden, InvalidAction
from engine.exchange import STATUS_NAMES, UNREACHED
from engine.model import CaseState
from engine.services import cases as svc
from engine.services import handling
from engine.services.exchange import ExchangeBatch, export_exchange, list_exports
from engine.services.supervision import case_record
from engine.services.sweep import sweep
from tests.e2e.helpers import Sunshine, one_line_error
from tests.staff import CLERK, A, id_number, person

FOOD = "XK-SPJY-001"  # 受理 → 现场核查 → 审核 → 审批决定 → 制证发证
HYGIENE = "XK-GGWS-001"  # 告知承诺: a false commitment is revoked
SUPERVISOR = A("监察员")
MARCH = ("2026-03-01", "2026-03-31")
AFTER_MARCH = "2026-04-02T09:00"


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


def open_steps(env: Any, number: str) -> list[Any]:
    with env.uow() as uow:
        return uow.steps.list(case_id=uow.cases.get(number).id)


def finish(env: Any, number: str, when: str, *, decision: str = "approve",
           followup_ok: bool = True) -> None:
    """Complete every open step in turn, from ``when`` on, an hour apart."""
    now = at(when)
    for _ in range(12):
        steps = open_steps(env, number)
        if not steps:
            return
        s = steps[0]
        data: dict[str, Any] = {}
        if s.role == "decision":
            data = {"decision": decision}
        if s.role == "followup":
            data = {"followup_ok": followup_ok, "opinion": "核查"}
        now = max(now, s.ready_at) + dt.timedelta(hours=1)
        svc.complete_task(env, s.id, actor=A("经办人"), data=data, now=now)
    raise AssertionError(f"{number} did not end")


def start(env: Any, name: str, when: str, code: str = FOOD, phone: str = "") -> str:
    return svc.start_case(env, code, person(name, phone=phone), now=at(when),
                          actor=A(CLERK)).number


def drive_every_status(env: Any) -> dict[str, list[int]]:
    """One case per path in March 2026; the codes each must show, in order."""
    expect: dict[str, list[int]] = {}
    # 1 收件, 6/7 补正 at the window, 3 受理, 9/10 特别程序, 6/7 补正 during review, 11 办结
    a = start(env, "张小三", "2026-03-02T09:00", phone="13812345678")
    svc.request_supplement(env, a, actor=A("王窗口"), items=["健康证明"], now=at("2026-03-02T09:30"))
    svc.supplement_received(env, a, actor=A("王窗口"), now=at("2026-03-03T09:00"))
    svc.accept(env, a, actor=A("王窗口"), now=at("2026-03-03T09:10"))
    handling.start_special(env, a, actor=A("李"), kind="专家评审", reason="技术复杂",
                           expected_days=5, now=at("2026-03-04T09:00"))
    handling.end_special(env, a, actor=A("李"), result="专家意见：可行", now=at("2026-03-06T09:00"))
    svc.suspend(env, a, actor=A("李"), reason="申请人补正平面图（身份证 110101199003070011）",
                kind="supplement", now=at("2026-03-06T10:00"))
    svc.resume(env, a, actor=A("李"), result="已补齐", now=at("2026-03-09T10:00"))
    finish(env, a, "2026-03-09T11:00")
    expect[a] = [1, 6, 7, 3, 9, 10, 6, 7, 11]
    # 2 撤件
    b = start(env, "李四", "2026-03-03T09:00")
    svc.withdraw(env, b, actor=A("王窗口"), reason="申请人撤回", now=at("2026-03-03T10:00"))
    expect[b] = [1, 2]
    # 5 不予受理
    c = start(env, "王五", "2026-03-04T09:00")
    svc.refuse_acceptance(env, c, actor=A("王窗口"), reason="不属于本机关职权范围",
                          now=at("2026-03-04T09:30"))
    expect[c] = [1, 5]
    # 4 退件: 容缺 materials not made up
    d = start(env, "赵五", "2026-03-05T09:00")
    handling.accept_with_gaps(env, d, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, makeup_days=3, now=at("2026-03-05T09:30"))
    sweep(env, at("2026-03-11T08:00"))
    expect[d] = [1, 3, 4]
    # 12 容缺办结
    e = start(env, "钱六", "2026-03-09T09:00")
    handling.accept_with_gaps(env, e, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, now=at("2026-03-09T09:30"))
    handling.gaps_made_up(env, e, actor=A("王窗口"), now=at("2026-03-10T09:00"))
    finish(env, e, "2026-03-10T10:00")
    expect[e] = [1, 3, 12]
    # 13 办结（不通过）
    f = start(env, "孙七", "2026-03-10T09:00")
    svc.accept(env, f, actor=A("王窗口"), now=at("2026-03-10T09:10"))
    finish(env, f, "2026-03-10T10:00", decision="refuse")
    expect[f] = [1, 3, 13]
    # 15 撤销: a false commitment found at the follow-up
    g = start(env, "周八", "2026-03-11T09:00", code=HYGIENE)
    svc.accept(env, g, actor=A("王窗口"), data={"commitment": True}, now=at("2026-03-11T09:10"))
    finish(env, g, "2026-03-11T10:00", followup_ok=False)
    expect[g] = [1, 3, 15]
    return expect


def export(env: Any, actor: Any = SUPERVISOR, now: str = AFTER_MARCH,
           **span: Any) -> ExchangeBatch:
    written: list[ExchangeBatch] = []
    batch = export_exchange(env, actor, write=written.append, now=at(now), **span)
    assert written == [batch] or written[0].records == batch.records
    return batch


def by_case(batch: ExchangeBatch) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in batch.records:
        out.setdefault(r.case_number, []).append(r.status_code)
    return out


# -- every reachable status code ------------------------------------------------------------------

def test_every_status_code_the_engine_can_reach_is_exported_in_the_order_it_happened(env):
    expect = drive_every_status(env)
    batch = export(env, start=MARCH[0], end=MARCH[1])
    assert by_case(batch) == expect
    emitted = {r.status_code for r in batch.records}
    assert emitted == set(range(1, 16)) - set(UNREACHED)
    # every state a case can end in has its code, except the one nothing enters (撤回)
    assert {s.platform_code for s in CaseState} - emitted == {14}
    for r in batch.records:
        assert r.status_name == STATUS_NAMES[r.status_code]
    # the last change of each case is the state its file shows now
    for number, codes in expect.items():
        assert codes[-1] == case_record(env, number)["platform_code"]
    assert [r.changed_at for r in batch.records] == sorted(r.changed_at for r in batch.records)


def test_a_record_says_what_was_true_at_its_change_in_local_time_and_masks_the_applicant(env):
    expect = drive_every_status(env)
    a = next(iter(expect))
    batch = export(env, start=MARCH[0], end=MARCH[1])
    records = [r for r in batch.records if r.case_number == a]
    received, *_, accepted, special, _, _, _, closed = records
    assert received.changed_at == "2026-03-02T09:00:00+08:00"
    assert (received.accepted_at, received.promised_deadline) == (None, None)
    assert (received.power_code, received.unit) == (FOOD, "县市场监督管理局")
    assert received.power_name == "食品经营许可"
    assert received.applicant == "张*三"
    assert (received.promised_limit_days, received.statutory_limit_days) == (10, 20)
    # accepted Tue 03-03: + 10 working days promised, + 20 statutory
    assert accepted.accepted_at == "2026-03-03T09:10:00+08:00"
    assert (accepted.promised_deadline, accepted.statutory_deadline) == ("2026-03-17",
                                                                           "2026-03-31")
    assert special.detail == "专家评审：技术复杂"
    # the deadlines moved by the clock stops; the closing record carries them as they stood
    record = case_record(env, a)
    assert closed.promised_deadline == record["promised_deadline"] != "2026-03-17"
    assert (closed.result, closed.deemed) == ("approved", False)
    text = to_json(batch, env.calendar().tz).decode() + to_csv(batch).decode("utf-8-sig")
    for secret in (id_number("张小三"), "13812345678", "110101199003070011", "张小三"):
        assert secret not in text
    stop = next(r for r in records if r.status_code == 6 and "平面图" in r.detail)
    assert stop.detail == "申请人补正平面图（身份证 110***********0011）"  # masked as on a receipt


def test_the_same_period_exported_again_later_gives_the_same_records(env):
    drive_every_status(env)
    first = export(env, start=MARCH[0], end=MARCH[1])
    number = start(env, "吴九", "2026-04-03T09:00")  # April: not in March's export
    svc.accept(env, number, actor=A("王窗口"), now=at("2026-04-03T09:10"))
    again = export(env, start=MARCH[0], end=MARCH[1], now="2026-04-10T09:00")
    assert again.records == first.records and again.export.sha256 == first.export.sha256
    assert [e.mode for e in list_exports(env, SUPERVISOR, now=at("2026-04-10T09:00"))] == [
        "period", "period"]


# -- the files: schema, round trip, formula cells ------------------------------------------------

def validate(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> None:
    """A strict validator for the JSON Schema keywords docs/exchange.schema.json uses; any
    other keyword fails, so the schema cannot say more than is checked here."""
    known = {"$schema", "$id", "title", "description", "type", "additionalProperties",
             "required", "properties", "$defs", "$ref", "const", "enum", "items", "minimum",
             "pattern", "minLength", "maxLength", "anyOf"}
    assert set(schema) <= known, f"{where}: unchecked keywords {set(schema) - known}"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        validate(value, root["$defs"][name], root, where)
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                validate(value, option, root, where)
                break
            except AssertionError as err:
                errors.append(str(err))
        else:
            raise AssertionError(f"{where}: matches none of {errors}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
                  "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "null": lambda v: v is None}
        assert any(checks[t](value) for t in types), f"{where}: {value!r} is not {types}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, str):
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
        assert len(value) >= schema.get("minLength", 0), f"{where}: too short"
        assert len(value) <= schema.get("maxLength", len(value)), f"{where}: too long"
    if isinstance(value, int) and not isinstance(value, bool) and "minimum" in schema:
        assert value >= schema["minimum"], f"{where}: {value} < {schema['minimum']}"
    if isinstance(value, dict) and "properties" in schema:
        missing = set(schema.get("required", ())) - set(value)
        assert not missing, f"{where}: missing {missing}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema["properties"])
            assert not extra, f"{where}: unknown {extra}"
        for key, sub in schema["properties"].items():
            if key in value:
                validate(value[key], sub, root, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], root, f"{where}[{i}]")


def test_the_files_round_trip_through_the_schema_check(env, tmp_path: Path):
    drive_every_status(env)
    # an applicant whose name a spreadsheet would run as a formula
    svc.start_case(env, FOOD, person("=HYPERLINK(1)"), now=at("2026-03-20T09:00"), actor=A(CLERK))
    batch = export(env, start=MARCH[0], end=MARCH[1])
    out_json, out_csv = tmp_path / "x.json", tmp_path / "x.csv"
    write_files({out_json: to_json(batch, env.calendar().tz), out_csv: to_csv(batch)})
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(out_json.read_text(encoding="utf-8"))
    validate(document, schema, schema)
    assert document["count"] == len(batch.records) == len(document["records"])
    assert document["sha256"] == batch.export.sha256
    header, records = read_json(out_json.read_bytes())
    assert records == list(batch.records)
    assert (header["mode"], header["since"], header["until"]) == (
        "period", "2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00")
    assert read_csv(out_csv.read_bytes()) == list(batch.records)
    cells = out_csv.read_text(encoding="utf-8-sig")
    assert "'=H*" in cells and ",=H" not in cells  # neutralised, then read back as written
    assert [r.applicant for r in records if r.applicant.startswith("=")] == ["=H*********1)"]
    # the validator is strict: a record with a stray field or a bad code fails
    bad = json.loads(json.dumps(document))
    bad["records"][0]["phone"] = "13812345678"
    with pytest.raises(AssertionError, match="unknown"):
        validate(bad, schema, schema)
    bad = json.loads(json.dumps(document))
    bad["records"][0]["status_code"] = 16
    with pytest.raises(AssertionError, match="not in"):
        validate(bad, schema, schema)
    bad = json.loads(json.dumps(document))
    bad["records"][0]["changed_at"] = "2026-03-02T01:00:00Z"
    with pytest.raises(AssertionError, match="!~"):
        validate(bad, schema, schema)


# -- incremental ----------------------------------------------------------------------------------

def test_since_last_exports_each_change_once(env):
    a = start(env, "张三", "2026-03-02T09:00")
    first = export(env, since_last=True, now="2026-03-02T12:00")
    assert (first.export.mode, first.export.since) == ("incremental", None)
    assert [r.status_code for r in first.records] == [1]
    svc.accept(env, a, actor=A("王窗口"), now=at("2026-03-02T13:00"))
    b = start(env, "李四", "2026-03-02T14:00")
    # a period export in between does not move where the next incremental export starts
    export(env, start="2026-03-01", end="2026-03-01", now="2026-03-02T15:00")
    second = export(env, since_last=True, now="2026-03-02T16:00")
    assert second.export.since == first.export.until == at("2026-03-02T12:00")
    assert [(r.case_number, r.status_code) for r in second.records] == [(a, 3), (b, 1)]
    third = export(env, since_last=True, now="2026-03-02T17:00")
    assert third.records == () and third.export.records == 0
    modes = [(e.mode, e.records) for e in list_exports(env, A("admin"), now=at("2026-03-02T17:00"))]
    assert modes == [("incremental", 0), ("incremental", 2), ("period", 0), ("incremental", 1)]


def test_an_export_whose_file_was_not_written_is_not_recorded(env):
    start(env, "张三", "2026-03-02T09:00")

    def broken(batch: ExchangeBatch) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        export_exchange(env, SUPERVISOR, since_last=True, write=broken, now=at("2026-03-02T12:00"))
    assert list_exports(env, SUPERVISOR, now=at("2026-03-02T12:00")) == []
    again = export(env, since_last=True, now="2026-03-02T12:30")
    assert [r.status_code for r in again.records] == [1]  # nothing was skipped


def test_bad_requests_are_refused_with_the_reason(env):
    with pytest.raises(InvalidAction, match="早于开始日"):
        export(env, start="2026-03-31", end="2026-03-01")
    with pytest.raises(InvalidAction, match="还没有结束"):
        export(env, start="2026-03-01", end="2026-04-02")
    with pytest.raises(InvalidAction, match="请选择其一"):
        export(env, start="2026-03-01", end="2026-03-31", since_last=True)
    with pytest.raises(InvalidAction, match="请写明"):
        export(env)
    with pytest.raises(Forbidden, match="导出省级数据交换"):
        export(env, actor=A("王窗口"), start=MARCH[0], end=MARCH[1])
    assert list_exports(env, A("admin"), now=at(AFTER_MARCH)) == []


# -- the command line -----------------------------------------------------------------------------

@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_the_command_writes_json_and_csv_and_refuses_bad_requests_writing_nothing(
        sun: Sunshine, tmp_path: Path):
    number = sun.start(FOOD, "张小三")
    sun.accept(number)
    folder = tmp_path / "out"
    folder.mkdir()
    out, csv_out = folder / "march.json", folder / "march.csv"
    res = sun.ok("exchange", "export", "--from", "2026-03-01", "--to", "2026-03-31", "-o", out,
                 "--csv", csv_out, "--as", "监察员", now=AFTER_MARCH)
    assert "2 " in res.out and str(out) in res.out
    _, records = read_json(out.read_bytes())
    assert [(r.case_number, r.status_code) for r in records] == [(number, 1), (number, 3)]
    assert read_csv(csv_out.read_bytes()) == records
    listed = sun.ok("exchange", "list", "--as", "admin", now=AFTER_MARCH).out
    assert "期间" in listed and "2026-04-01 00:00" in listed

    nothing = folder / "nothing.json"
    cases = [
        (("--from", "2026-03-31", "--to", "2026-03-01"), "早于开始日"),
        (("--from", "2026-03-01", "--to", "2026-04-02"), "还没有结束"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--since-last"), "请选择其一"),
        (("--from", "2026-03-01"), "请写明"),
    ]
    for args, words in cases:
        line = one_line_error(sun.fails("exchange", "export", *args, "-o", nothing, "--as",
                                        "监察员", now=AFTER_MARCH))
        assert words in line, line
    line = one_line_error(sun.fails("exchange", "export", "--since-last", "-o", nothing, "--as",
                                    "王窗口", now=AFTER_MARCH))
    assert "导出省级数据交换" in line and "监察人员或系统管理员" in line
    line = one_line_error(sun.fails("exchange", "export", "--since-last", "-o",
                                    folder / "no" / "such.json", "--as", "监察员",
                                    now=AFTER_MARCH))
    assert "不存在" in line
    assert sorted(p.name for p in folder.iterdir()) == ["march.csv", "march.json"]
