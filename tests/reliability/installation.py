"""The installation every fault test works on: a migrated database with the food licence and
the outdoor advertising permit deployed, the staff and their API keys, a data key (personal data
sealed at rest, as production requires) and a sealing key in the work directory, and
advertising cases waiting at their decision (deemed approved when a sweep finds them late).

``env_at(url, workdir, at)`` is this process's Env on the installation, with the same settings
the child processes read from ``processes.sunshine_env``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.reliability.processes import ROOT

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
SPAN = timedelta(days=40)  # the campaign's time travel, whatever the number of rounds
FOOD = "XK-SPJY-001"
ADVERT = "XK-HWGG-001"  # 户外广告: deemed approved when its decision is late (超时默许)
SCJG = "县市场监督管理局"
CENTRE = "县政务服务中心"
# login → (name, unit, roles, posts)
STAFF = {
    "admin": ("系统管理员", CENTRE, ("admin",), ()),
    "chuangkou": ("李窗口", CENTRE, ("window",), ()),
    "hecha": ("王核查", SCJG, ("handler",), ("现场核查岗",)),
    "shenhe": ("陈审核", SCJG, ("handler",), ("审核岗",)),
    "juzhang": ("赵局长", SCJG, ("approver",), ("审批岗",)),
    "zhizheng": ("林制证", SCJG, ("handler",), ("制证发证岗",)),
}
HANDLERS = ("hecha", "shenhe", "juzhang", "zhizheng")
FORMS = {"审批决定": {"decision": "approve", "opinion": "准予许可"}}

def env_at(url: str, workdir: Path, at: datetime) -> Any:
    from adapters.bootstrap import FixedClock, build_env
    from adapters.config import Settings
    from engine.services.context import Rules

    return build_env(Settings(database_url=url, rules=Rules(), mode="test",
                              data_key=str(workdir / "data.key")), FixedClock(at))


def install(url: str, workdir: Path) -> tuple[dict[str, str], Path]:
    """A migrated database with the food licence and the outdoor advertising permit deployed,
    the staff, their API keys and a sealing key; a few advertising cases already waiting at
    their decision (they are deemed approved when a sweep finds them late). Returns the keys
    (login → Authorization header) and the private key's path."""
    from adapters.bootstrap import upgrade_database
    from adapters.sealing import generate_key
    from adapters.sql import pii
    from engine.identity import Actor, Role
    from engine.services import identity
    from engine.services.catalogue_admin import deploy

    pii.generate(workdir / "data.key")
    env = env_at(url, workdir, T0)
    upgrade_database(env.engine)  # type: ignore[attr-defined]
    designer = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))
    deploy(env, [str(ROOT / "processes" / "food_business_licence.bpmn"),
                 str(ROOT / "processes" / "outdoor_advertising_permit.bpmn")], actor=designer)
    admin = None
    for login, (name, unit, roles, posts) in STAFF.items():
        identity.add_user(env, by=admin, login=login, name=name, unit=unit, roles=roles,
                          posts=posts)
        admin = admin or identity.resolve(env, "admin")
    keys = {}
    for login in STAFF:
        _, secret = identity.create_api_key(env, login, "可靠性测试", by=admin)  # type: ignore[arg-type]
        keys[login] = f"Bearer {secret}"
    seed_adverts(env, 6)
    env.engine.dispose()  # type: ignore[attr-defined]
    key = workdir / "seal.pem"
    generate_key(key, workdir / "seal.pub")
    return keys, key


def seed_adverts(env: Any, count: int, at: datetime = T0) -> None:
    """Advertising cases received, accepted and worked to their decision at ``at`` (the same
    calls on the aggregate as the services make; the decision is then left late)."""
    from engine.case import Case
    from engine.services import cases as svc

    with env.uow() as uow:
        definition = uow.definitions.latest(ADVERT)
        where = svc.setting(env, uow, definition.id)
        for i in range(count):
            prefix = f"2026-{where.power.short_name}"
            case = Case.receive(where, number=f"{prefix}-{uow.cases.next_serial(prefix):06d}",
                                definition_id=definition.id, applicant=f"广告申请人{at:%m%d%H%M}{i}",
                                data={}, channel="window", received_at=at)
            uow.cases.add(case)
            case.start(now=at, actor="chuangkou", version=definition.version)
            case.accept(now=at, actor="chuangkou")
            for _ in range(2):  # 现场勘查, 审查
                case.complete(case.open_steps()[0].id, now=at, user="cgj", data={"opinion": "同意"})
            uow.cases.save(case)
        uow.commit()
