"""Supervision statistics (`sunshine stats`) against answers computed here, independently: the
demo county's cases (worked by the holders of each post, swept, carded), one deemed approval
and one decided breach, on SQLite; the expected figures are counted from each case's own file
(`case show --json`: what a supervisor reads) with the working days of ``chinese_calendar``,
never through engine/stats.py. Every figure is compared with its count and the cases behind it,
for every grouping and for two periods (a quarter, and a month whose edges cut through cases).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import chinese_calendar
import pytest

from adapters.demo import seed
from engine.services import cases, identity
from engine.services.catalogue_admin import list_powers
from engine.services.stats import statistics
from engine.services.supervision import (
    case_record,
    decide_breach,
    list_breaches,
    record_off_system,
)
from engine.services.sweep import sweep
from engine.services.views import list_cases
from tests.conftest import ROOT, CliResult, MovableClock, make_env
from tests.e2e.helpers import Sunshine
from tests.staff import person

STAFF = ROOT / "demo" / "staff.json"
ADVERT = "XK-HWGG-001"  # 户外广告设施设置许可: 超时默许
DECIDED = {"approved", "approved_with_gaps", "refused", "completed"}
CARDS = ("warning", "yellow", "red", "statutory")
NOW = "2026-03-30T17:00"
PERIODS = [("2026-01-01", "2026-03-31"), ("2026-03-01", "2026-03-31")]


def cli(*args: Any) -> CliResult:
    """`sunshine ARGS…` in-process (a module's fixture cannot use capsys)."""
    import contextlib
    import io

    from adapters.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with pytest.MonkeyPatch.context() as mp:  # set up before the tests' own autouse fixtures
        mp.setenv("SUNSHINE_MODE", "test")
        yield from _county(f"sqlite:///{tmp_path_factory.mktemp('stats') / 'stats.db'}")


def _county(url: str) -> Any:
    sun = Sunshine(cli, url, now="2026-01-05T08:00")
    sun.ok("db", "upgrade")
    sun.ok("user", "import", STAFF, "--only", "admin,sheji")
    sun.ok("deploy", *sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")), "--as", "sheji")
    sun.ok("user", "import", STAFF, "--as", "admin")
    clock = MovableClock(dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC))
    env = make_env(url, clock)
    seed(env, STAFF, cases_wanted=90, password="sunshine-demo")
    # a deemed approval: accepted in February, nobody decided it, the sweep approved it
    clerk = identity.resolve(env, "chuangkou")
    at = dt.datetime(2026, 2, 2, 2, 0, tzinfo=dt.UTC)
    number = cases.start_case(env, ADVERT, person("钱默许"), actor=clerk, now=at).number
    cases.accept(env, number, actor=clerk, now=at + dt.timedelta(minutes=5))
    _work_until(env, number, "审批决定", at + dt.timedelta(days=1))
    sweep(env, now=dt.datetime(2026, 3, 20, 8, 0, tzinfo=dt.UTC))
    _work_until(env, number, None, dt.datetime(2026, 3, 23, 2, 0, tzinfo=dt.UTC))
    record = case_record(env, number)
    assert record["deemed"] is True and record["closed_at"], record["state"]
    # one breach decided with a measure
    supervisor = identity.resolve(env, "jiancha")
    breach = next(b for b in list_breaches(env) if b.person != "jiancha")
    decide_breach(env, breach.id, measure="通报批评", reasons="超时未办", actor=supervisor,
                  now=dt.datetime(2026, 3, 30, 8, 30, tzinfo=dt.UTC))
    _ratings_and_complaints(env, dt.datetime(2026, 3, 30, 8, 40, tzinfo=dt.UTC))
    # a yellow card replied to and withdrawn (no longer counted), and an off-system approval
    # (a breach with no case, counted for its power)
    _withdraw_a_card(env, supervisor)
    record_off_system(env, power_code=ADVERT, person="cgj01", applicant="某广告公司",
                      decided_on="2026-03-10", facts="未经系统审批设置户外广告", actor=supervisor,
                      now=dt.datetime(2026, 3, 12, 2, 0, tzinfo=dt.UTC))
    records = [case_record(env, c.number) for c in list_cases(env, limit=10_000)]
    yield env, records
    env.engine.dispose()


def _ratings_and_complaints(env: Any, at: dt.datetime) -> None:
    """好差评 on four closed cases (two bad), and three complaints: upheld against a case's step,
    upheld against a person with no case, not upheld against a unit."""
    from engine.services import complaints, feedback

    records = [case_record(env, c.number) for c in list_cases(env, limit=10_000)]
    closed = sorted((r for r in records if r["state"] in DECIDED and r["closed_at"]),
                    key=lambda r: r["number"])
    for r, score in zip(closed, (1, 2, 5, 4), strict=False):
        feedback.rate(env, r["number"], r["query_code"], score, "", now=at)
    clerk, supervisor = identity.resolve(env, "chuangkou"), identity.resolve(env, "jiancha")
    worked = [(r, s) for r in closed[4:] for s in r["steps"] if s["status"] == "completed"
              and s["person"] not in (None, "jiancha", "chuangkou") and s["role"] != "acceptance"]
    (case, step), (_, other) = worked[0], next(w for w in worked if w[1]["person"] !=
                                                worked[0][1]["person"])
    on_step = complaints.record_complaint(
        env, case=case["number"], step=step["name"], complainant="张投诉", contact="1",
        channel="phone", facts="态度恶劣", actor=clerk, now=at).number
    on_person = complaints.record_complaint(
        env, person=other["person"], complainant="李投诉", contact="2", channel="web",
        facts="推诿", actor=clerk, now=at).number
    on_unit = complaints.record_complaint(
        env, unit=case["steps"][0]["department"] or list_powers(env)[0]["unit"],
        complainant="王投诉", contact="3", channel="letter", facts="电话无人接", actor=clerk,
        now=at).number
    for number in (on_step, on_person):
        complaints.decide_complaint(env, number, upheld=True, measure="诫勉教育",
                                    findings="属实", actor=supervisor, now=at)
    complaints.decide_complaint(env, on_unit, upheld=False, findings="查无实据",
                                actor=supervisor, now=at)


def _withdraw_a_card(env: Any, supervisor: Any) -> None:
    """Some unit's staff reply to a yellow card and the supervisor withdraws it."""
    from engine.identity import Action, Role, decide
    from engine.services.supervision_answers import decide_card, list_card_views, reply_card

    staff = [identity.resolve(env, u["login"]) for u in json.loads(STAFF.read_text("utf-8"))]
    when = dt.datetime(2026, 3, 30, 8, 50, tzinfo=dt.UTC)
    for view in list_card_views(env, kind="yellow"):
        unit_staff = next((a for a in staff if not a.has(Role.SUPERVISOR) and decide(
            a, Action.REPLY_CARD, unit=view.unit, post=view.card.post).allowed), None)
        if unit_staff is not None:
            reply_card(env, view.card.id or 0, reason="外出培训", actor=unit_staff, now=when)
            decide_card(env, view.card.id or 0, decision="withdraw", reasons="上级统一安排",
                        actor=supervisor, now=when)
            return
    raise AssertionError("no yellow card with someone of its unit to reply")


def _work_until(env: Any, number: str, name: str | None, at: dt.datetime) -> None:
    """Complete the case's steps, each by a holder of its post, until the step ``name``."""
    import random

    from adapters.demo import _value
    from engine.services.views import open_step_forms

    staff = [identity.resolve(env, u["login"]) for u in json.loads(STAFF.read_text("utf-8"))]
    for _ in range(10):
        forms = open_step_forms(env, number)
        if not forms or forms[0].name == name:
            return
        form = forms[0]
        holder = next(a for a in staff if a.holds(form.post, form.unit))
        data = {f.name: _value(f, random.Random(1), False) for f in form.fields}
        cases.complete_task(env, form.step_id, actor=holder, data=data, now=at)
        at += dt.timedelta(hours=1)


# -- the oracle: the figures, counted from the case files ---------------------------------------

def day(iso: str | None) -> dt.date | None:
    """The local date of a case file's time (written in local time with its offset)."""
    return dt.datetime.fromisoformat(iso).date() if iso else None


def due_end(due: str) -> dt.datetime:
    """A step due on a day is due by the end of that day (midnight, Beijing time): one done at
    that very instant (缺席默认 fires then) is not late."""
    beijing = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.combine(dt.date.fromisoformat(due) + dt.timedelta(days=1), dt.time(0),
                               tzinfo=beijing)


def workdays(after: dt.date, through: dt.date) -> int:
    """Working days d with after < d <= through (the State Council's schedule)."""
    n, d = 0, after + dt.timedelta(days=1)
    while d <= through:
        n += chinese_calendar.is_workday(d)
        d += dt.timedelta(days=1)
    return n


def expected(records: list[dict[str, Any]], powers: dict[str, dict[str, Any]], start: str,
             end: str, by: str, feedback: dict[str, Any] | None = None,
             caseless: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    inside = lambda d: d is not None and first <= d <= last  # noqa: E731
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))

    def add(key: str | None, figure: str, number: str) -> None:
        for k in (key, "*") if key else ("*",):
            rows[k][figure].append(number)

    for r in records:
        power = powers[r["power"]]
        case_key = {"unit": power["unit"], "power": r["power"]}.get(by)
        if inside(day(r["received_at"])):
            add(case_key, "received", r["number"])
        if inside(day(r["accepted_at"])):
            add(case_key, "accepted", r["number"])
        closed, promised = day(r["closed_at"]), day(r["promised_deadline"])
        if r["state"] in DECIDED and inside(closed):
            add(case_key, "decided", r["number"])
            on_time = not r["deemed"] and (promised is None or closed <= promised)
            add(case_key, "on_time" if on_time else "overdue", r["number"])
            if on_time and promised is not None and closed < promised:
                add(case_key, "early", r["number"])
            if r["deemed"]:
                add(case_key, "deemed", r["number"])
            if r["accepted_at"] and power["promised_limit"]:
                used = max(0, workdays(day(r["accepted_at"]), closed)
                           - r["working_days_stopped"])
                for k in (case_key, "*") if case_key else ("*",):
                    rows[k]["share"].append(used / power["promised_limit"])
        for s in r["steps"]:
            if s["status"] != "completed" or not s["counted"] or not inside(day(s["end"])):
                continue
            unit = s["department"] or power["unit"]
            key = {"unit": unit, "power": r["power"], "post": f"{unit}·{s['post']}"
                   if s["post"] else None, "person": s["person"]}[by]
            add(key, "steps_done", r["number"])
            if s["due"] and dt.datetime.fromisoformat(s["end"]) > due_end(s["due"]):
                add(key, "steps_late", r["number"])
        for c in r["cards"]:
            if inside(day(c["issued_at"])) and c["decision"] != "withdrawn":
                key = {"unit": power["unit"], "power": r["power"],
                       "post": f"{power['unit']}·{c['post']}" if c["post"] else None,
                       "person": c["person"]}[by]
                add(key, c["kind"], r["number"])
        for b in r["breaches"]:
            if inside(day(b["occurred_at"])):
                key = {"unit": power["unit"], "power": r["power"],
                       "post": f"{power['unit']}·{b['post']}" if b["post"] else None,
                       "person": b["person"]}[by]
                add(key, "breach:" + b["kind"], r["number"])
                add(key, "measure:" + (b["measure"] or "pending"), r["number"])
    for b in caseless or ():  # no case file (体外审批 …): the breach names its power and unit
        if inside(day(b["occurred_at"])):
            unit = powers[b["power"]]["unit"] if b["power"] else b["unit"]
            key = {"unit": unit, "power": b["power"],
                   "post": f"{unit}·{b['post']}" if b["post"] else None, "person": b["person"]}[by]
            add(key, "breach:" + b["kind"], b["ref"])
            add(key, "measure:" + (b["measure"] or "pending"), b["ref"])
    # 好差评 and 投诉 as `rating list --json` and `complaint list --json` print them
    power_of = {r["number"]: r["power"] for r in records}
    for g in (feedback or {}).get("ratings", []):
        if g["bad"] and inside(day(g["rated_at"])):
            add({"unit": g["unit"], "power": g["power"]}.get(by), "bad_ratings", g["case"])
    for c in (feedback or {}).get("complaints", []):
        if c["status"] == "upheld" and inside(day(c["decided_at"])):
            key = {"unit": c["unit"], "power": power_of.get(c["case"] or ""),
                   "post": f"{c['unit']}·{c['post']}" if c["post"] else None,
                   "person": c["person"]}[by]
            add(key, "complaints_upheld", c["case"] or c["number"])
    return rows


def feedback_lists(env: Any) -> dict[str, Any]:
    """The ratings and complaints as a supervisor lists them on the command line."""
    url = str(env.engine.url.render_as_string(hide_password=False))
    ratings = cli("--db", url, "--now", NOW, "rating", "list", "--json", "--as", "jiancha")
    listed = cli("--db", url, "--now", NOW, "complaint", "list", "--json", "--as", "jiancha")
    assert ratings.code == 0 and listed.code == 0, ratings.err + listed.err
    return {"ratings": json.loads(ratings.out)["ratings"], "complaints": json.loads(listed.out)}


def caseless_breaches(env: Any) -> list[dict[str, Any]]:
    """The breaches with no case (体外审批, a complaint against a person) as `breach list --json`
    prints them."""
    url = str(env.engine.url.render_as_string(hide_password=False))
    listed = cli("--db", url, "--now", NOW, "breach", "list", "--json")
    assert listed.code == 0, listed.err
    return [b for b in json.loads(listed.out) if b["case"] is None]


def actual(table: Any) -> dict[str, dict[str, Any]]:
    """The service's answer in the oracle's shape: figure → (count, cases)."""
    out: dict[str, dict[str, Any]] = {}
    for row in (*table.rows, table.total):
        figures = {name: (f.count, f.cases) for name, f in row.figures.items() if f.count}
        figures |= {"breach:" + k: (f.count, f.cases) for k, f in row.breaches_by_kind.items()}
        figures |= {"measure:" + k: (f.count, f.cases) for k, f in row.breaches_by_measure.items()}
        out[row.key] = {"figures": figures, "share": row.share_used}
    return out


@pytest.mark.parametrize("by", ["unit", "power", "post", "person"])
@pytest.mark.parametrize("period", PERIODS)
def test_every_figure_and_its_cases_match_the_case_files(county: Any, by: str,
                                                         period: tuple[str, str]) -> None:
    env, records = county
    powers = {p["code"]: p for p in list_powers(env)}
    want = expected(records, powers, *period, by, feedback_lists(env), caseless_breaches(env))
    got = actual(statistics(env, identity.resolve(env, "jiancha"), *period, by))
    assert set(got) == set(want)
    for key, figures in want.items():
        counted = {name: (len(cases), sorted(set(cases))) for name, cases in figures.items()
                   if name != "share"}
        if by in ("post", "person") and key != "*":  # no case figures for posts and people
            counted = {k: v for k, v in counted.items() if not k.startswith(
                ("received", "accepted", "decided", "on_time", "early", "overdue", "deemed"))}
        assert got[key]["figures"] == counted, key
        shares = figures.get("share")
        if shares:
            assert got[key]["share"] == pytest.approx(sum(shares) / len(shares)), key
        elif by in ("unit", "power") or key == "*":
            assert got[key]["share"] is None, key


def test_the_data_set_has_something_behind_every_figure(county: Any) -> None:
    """The comparison above means something only if each figure is non-zero somewhere."""
    env, records = county
    powers = {p["code"]: p for p in list_powers(env)}
    total = expected(records, powers, *PERIODS[0], "unit", feedback_lists(env),
                     caseless_breaches(env))["*"]
    assert total["breach:off_system"] == ["offsystem:2026-0001"]
    for figure in ("received", "accepted", "decided", "on_time", "early", "overdue", "deemed",
                   "steps_done", "steps_late", "warning", "yellow", "red", "share",
                   "bad_ratings", "complaints_upheld"):
        assert total[figure], figure
    assert any(k.startswith("breach:") for k in total)
    assert total["measure:通报批评"] and total["measure:pending"]
    month = expected(records, powers, *PERIODS[1], "unit")["*"]
    assert 0 < len(month["received"]) < len(total["received"])  # the month cuts the quarter


def test_rates_and_ranking(county: Any) -> None:
    env, _ = county
    table = statistics(env, identity.resolve(env, "jiancha"), *PERIODS[0], "unit")
    t = table.total
    assert t.on_time_rate == pytest.approx(t.n("on_time") / t.n("decided"))
    assert t.early_rate == pytest.approx(t.n("early") / t.n("decided"))
    assert t.n("on_time") + t.n("overdue") == t.n("decided")
    rated = [r.on_time_rate for r in table.rows if r.on_time_rate is not None]
    assert rated == sorted(rated, reverse=True)  # best first
    assert [r.rank for r in table.rows] == list(range(1, len(table.rows) + 1))


def test_only_a_supervisor_counts_and_a_bad_period_is_refused(county: Any) -> None:
    from engine.errors import Forbidden, InvalidAction

    env, _ = county
    with pytest.raises(Forbidden, match="查看电子监察"):
        statistics(env, identity.resolve(env, "chuangkou"), *PERIODS[0])
    jiancha = identity.resolve(env, "jiancha")
    with pytest.raises(InvalidAction, match="YYYY-MM-DD") as bad:
        statistics(env, jiancha, "2026-13-01", "2026-12-31")
    assert bad.value.field == "from"
    with pytest.raises(InvalidAction, match="早于开始日"):
        statistics(env, jiancha, "2026-03-31", "2026-03-01")
    with pytest.raises(InvalidAction, match="by"):
        statistics(env, jiancha, *PERIODS[0], by="county")


def test_the_cli_prints_the_table_and_the_json_agrees(county: Any) -> None:
    env, _ = county
    url = str(env.engine.url)
    r = cli("--db", url, "--now", NOW, "stats", "--from", PERIODS[0][0], "--to", PERIODS[0][1],
                       "--by", "power", "--json", "--as", "jiancha")
    assert r.code == 0, r.out
    doc = json.loads(r.out)
    table = statistics(env, identity.resolve(env, "jiancha"), *PERIODS[0], "power")
    assert doc["total"]["decided"]["count"] == table.total.n("decided")
    assert [row["key"] for row in doc["rows"]] == [row.key for row in table.rows]
    text = cli("--db", url, "--now", NOW, "stats", "--from", PERIODS[0][0], "--to", PERIODS[0][1],
                          "--as", "jiancha")
    assert text.code == 0 and "按时办结率" in text.out and "合计" in text.out
    listed = cli("--db", url, "--now", NOW, "stats", "--from", PERIODS[0][0], "--to", PERIODS[0][1],
                            "--cases", "deemed", "--as", "jiancha")
    assert listed.code == 0
    [deemed] = [c for c in table.total.figures["deemed"].cases]
    assert deemed in listed.out
    refused = cli("--db", url, "--now", NOW, "stats", "--from", PERIODS[0][0], "--to",
                             PERIODS[0][1], "--as", "chuangkou")
    assert refused.code == 9 and "权限不足" in refused.err


# -- the periodic report: signed, archived, printed the same later -----------------------------

def test_a_signed_report_keeps_its_figures_and_prints_the_same_pdf_and_workbook_later(
        county: Any, tmp_path: Any) -> None:
    import subprocess

    import openpyxl

    from adapters.report import write_pdf, write_xlsx
    from engine.services.reports import get_report, sign_report
    from engine.stats import to_dict

    env, _ = county
    jiancha = identity.resolve(env, "jiancha")
    signed = sign_report(env, jiancha, "2026-03-01", "2026-03-29")
    assert signed.id and signed.signed_by == "jiancha"
    from engine.services.time_used import time_by_power

    by_power = time_by_power(env, jiancha, "2026-03-01", "2026-03-29")
    assert by_power and signed.figures == {
        **to_dict(statistics(env, jiancha, "2026-03-01", "2026-03-29")), "time_by_power": by_power}
    # a breach decided after the sign-off changes today's figures, not the signed report
    pending = next(b for b in list_breaches(env, decided=False)
                   if b.person != "jiancha" and b.occurred_at.date() <= dt.date(2026, 3, 29))
    decide_breach(env, pending.id, measure="诫勉教育", reasons="首次", actor=jiancha,
                  now=dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC))
    later = to_dict(statistics(env, jiancha, "2026-03-01", "2026-03-29"))
    assert later != {k: v for k, v in signed.figures.items() if k != "time_by_power"}
    again = get_report(env, jiancha, signed.id)
    assert again.figures == signed.figures and again.sha256 == signed.sha256
    total = again.table.total
    pdf = write_pdf(again, tmp_path / "report.pdf", signer="孙监察（jiancha）",
                    local_time="2026-03-30 10:00")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "2026-03-01 至 2026-03-29 电子监察报告" in text
    assert "平均用时与承诺时限（按事项" in text and by_power[0]["name"] in text  # the per-power chart
    assert f"办结 {total.n('decided')} 件" in text and again.sha256[:32] in text.replace("\n", "")
    book = openpyxl.load_workbook(write_xlsx(again, tmp_path / "report.xlsx",
                                             signer="孙监察（jiancha）", local_time="x"))
    rows = list(book["各单位"].iter_rows(values_only=True))
    assert rows[2][:3] == ("名次", "单位/事项/岗位/人员", "收件")
    assert rows[-1][1] == "合计" and rows[-1][4] == total.n("decided")
    assert [r[1] for r in rows[3:-1]] == [r.label for r in again.table.rows]  # ranked


def test_an_altered_archive_and_an_unfinished_period_are_refused(county: Any) -> None:
    import sqlalchemy as sa

    from engine.services.reports import ReportAltered, get_report, sign_report

    env, _ = county
    jiancha = identity.resolve(env, "jiancha")
    with pytest.raises(Exception, match="还没有结束"):
        sign_report(env, jiancha, "2026-03-01", "2026-03-31")  # today is 30 March
    with pytest.raises(Exception, match="权限不足"):
        sign_report(env, identity.resolve(env, "chuangkou"), "2026-03-01", "2026-03-15")
    signed = sign_report(env, jiancha, "2026-02-01", "2026-02-28")
    figures = dict(signed.figures)
    figures["total"] = {**figures["total"], "decided": {"count": 999, "cases": []}}
    with env.engine.begin() as conn:  # someone with the database edits the archive
        conn.execute(sa.text("UPDATE reports SET figures = :f WHERE id = :i"),
                     {"f": json.dumps(figures), "i": signed.id})
    with pytest.raises(ReportAltered, match="存档已被改动"):
        get_report(env, jiancha, signed.id)


def test_the_workbook_shows_a_formula_looking_name_as_text(tmp_path: Any) -> None:
    import openpyxl

    from adapters.report import write_xlsx
    from engine.stats import Table, _new_row, to_dict

    evil = _new_row("=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0")
    total = _new_row("*", "合计")
    table = Table(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), by="unit", rows=(evil,),
                  total=total)
    from engine.stats import SignedReport

    report = SignedReport(start=table.start, end=table.end, figures=to_dict(table), sha256="0",
                          signed_by="jiancha", signed_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
                          written_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC), id=1)
    book = openpyxl.load_workbook(write_xlsx(report, tmp_path / "r.xlsx", signer="x",
                                             local_time="y"))
    cell = list(book["各单位"].iter_rows(values_only=True))[3][1]
    assert cell == "'=cmd|' /C calc'!A0"
