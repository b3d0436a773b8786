"""A living service centre for a newcomer (`sunshine demo`): the demo county's staff with a
password, and a few hundred cases of every shipped power in every state — received over the
last weeks at the window, accepted, some asked for 补正, some refused, worked step by step by the
holders of each post, some withdrawn, some finished, some late — then one sweep, so that
warnings, cards, breaches and deemed approvals are there to see.

Everything goes through the application layer, as the staff would do it, at past times (time
travel): so it runs only in a demo or test installation (SUNSHINE_MODE). Deterministic: the same
seed and day give the same county.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from engine.applicants import Applicant, id_card_check
from engine.errors import ConfigError, SunshineError
from engine.identity import Actor, Role
from engine.services import cases, identity
from engine.services.catalogue_admin import list_powers
from engine.services.context import Env
from engine.services.sweep import sweep
from engine.services.views import open_step_forms

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
SHOPS = ("餐饮店", "小吃店", "超市", "便利店", "宾馆", "茶楼", "面馆", "烘焙坊")


@dataclass
class SeedReport:
    users: int = 0
    cases: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    fired: int = 0


def _id_number(rng: random.Random) -> str:
    first17 = (f"3301{rng.randint(1, 9):02d}{rng.randint(1960, 2004)}"
               f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    return first17 + id_card_check(first17)


def _applicant(rng: random.Random) -> Applicant:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    if rng.random() < 0.4:
        name = f"{rng.choice(SURNAMES)}记{rng.choice(SHOPS)}"
    phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
    return Applicant(name, "身份证", _id_number(rng), phone=phone)


def _working_days_back(env: Env, today: date, n: int) -> date:
    cal = env.calendar()
    day = today
    while n > 0:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return day


def _at(env: Env, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=env.calendar().tz).astimezone(UTC)


def _value(f: Any, rng: random.Random, refuse: bool) -> Any:
    if f.type == "choice":
        values = list(f.values)
        if f.name == "decision":
            return "refuse" if refuse and "refuse" in values else values[0]
        if f.name == "acceptance":
            return "accept"
        return values[0]
    if f.type == "boolean":
        return True
    if f.type in ("integer", "number"):
        return 1
    if f.type == "date":
        return "2031-12-31"
    if f.name == "opinion":
        return rng.choice(("符合要求", "同意", "材料齐全，符合条件", "经核查属实"))
    return "演示"


def seed(env: Env, staff_file: Path, *, cases_wanted: int = 300, password: str,
         seed_value: int = 2026) -> SeedReport:
    """Fill an empty installation (powers deployed, the staff registered) with demo cases."""
    if not env.time_travel:
        raise ConfigError("演示数据按过去的时间办理，只能在演示或测试安装中生成（SUNSHINE_MODE=demo） "
                          "(demo data needs a demo installation)")
    rng = random.Random(seed_value)
    report = SeedReport()
    staff = json.loads(staff_file.read_text(encoding="utf-8"))
    admin = identity.resolve(env, "admin")
    for row in staff:  # every demo user signs in with the demo password (unless given one)
        if not identity.show_user(env, row["login"]).has_password:
            identity.set_password(env, row["login"], password, by=admin)
            report.users += 1
    actors = [identity.resolve(env, row["login"]) for row in staff]
    clerks = [a for a in actors if a.has(Role.WINDOW)]
    if not clerks:
        raise ConfigError(f"{staff_file}: no window clerk in the demo staff")
    from engine.services.views import list_cases

    if list_cases(env, limit=1):
        report.skipped.append("已有办件，未生成演示办件 (the installation already has cases)")
        return report
    powers = [p["code"] for p in list_powers(env, include_withdrawn=False)]
    today = env.calendar().local_date(env.now())
    now = env.now()
    for i in range(cases_wanted):
        code = powers[i % len(powers)]
        clerk = clerks[i % len(clerks)]
        day = _working_days_back(env, today, rng.randint(0, 25))
        received = _at(env, day, rng.randint(9, 15), rng.randint(0, 59))
        if received > now:
            received = now - timedelta(minutes=5 * (i + 1))
        try:
            view = cases.start_case(env, code, _applicant(rng), actor=clerk, now=received,
                                    data=_application_data(code, day))
        except SunshineError as err:
            report.skipped.append(f"{code}: {err}")
            continue
        report.cases += 1
        _work(env, view.number, clerk, actors, received, now, rng)
    report.fired = sweep(env, now).fired
    for row in list_cases(env, limit=100_000):
        report.by_state[row.state.label] = report.by_state.get(row.state.label, 0) + 1
    return report


def _application_data(code: str, day: date) -> dict[str, Any]:
    if code == "XK-SPJY-002":  # a renewal: the current licence's expiry
        return {"licence_expires": (day + timedelta(days=40)).isoformat()}
    return {}


def _work(env: Env, number: str, clerk: Actor, actors: list[Actor], received: datetime,
          now: datetime, rng: random.Random) -> None:
    """Take the case as far as time allows, the way the staff would."""
    fate = rng.random()
    at = received + timedelta(minutes=rng.randint(5, 40))  # at the window, while they wait
    if at >= now:
        return
    if fate < 0.06:
        cases.refuse_acceptance(env, number, actor=clerk, reason="不属于本机关职权范围，请向有关行政机关申请",
                                now=at)
        return
    if fate < 0.14:
        cases.request_supplement(env, number, actor=clerk, items=["营业执照复印件", "场所平面图"],
                                 now=at)
        if rng.random() < 0.5:
            return  # still waiting for the applicant
        at += timedelta(days=rng.randint(1, 3))
        if at >= now:
            return
        cases.supplement_received(env, number, actor=clerk, now=at)
    if fate > 0.97:
        return  # received, waiting at the window
    cases.accept(env, number, actor=clerk, now=at)
    refuse = rng.random() < 0.1
    pace = rng.choice((1, 2, 2, 3, 5))  # days a step takes here
    for _ in range(12):
        forms = open_step_forms(env, number)
        if not forms:
            return
        form = forms[0]
        later = max(at, form.ready_at) + timedelta(days=pace)
        at = max(_at(env, env.calendar().local_date(later), rng.randint(9, 16), rng.randint(0, 59)),
                 form.ready_at + timedelta(minutes=10))  # in office hours
        if at >= now or rng.random() < 0.08:
            return  # still with the post (perhaps late: the sweep will say)
        holder = next((a for a in actors if a.holds(form.post, form.unit)), None)
        if holder is None:
            return
        data = {f.name: _value(f, rng, refuse) for f in form.fields
                if f.required or f.name == "opinion"}
        if form.role == "acceptance":
            return
        try:
            cases.complete_task(env, form.step_id, actor=holder, data=data, now=at)
        except SunshineError:
            return
    if rng.random() < 0.02:
        cases.withdraw(env, number, actor=clerk, reason="申请人撤回申请", now=min(at, now))
