"""Designer and administrator use cases: lint, deploy, withdraw, list the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.catalogue import Power
from engine.errors import DefinitionError, InvalidAction, LintFailed, NotFound
from engine.identity import Action, Actor
from engine.services.context import Env
from engine.services.identity import require


@dataclass(frozen=True)
class Deployed:
    code: str
    name: str
    version: int
    file: str
    changed: bool  # False: this content was already the current version
    new: bool = False  # a new version was created
    withdrawn: bool = False  # the power stays withdrawn: deploying never reinstates it
    bundled: tuple[str, ...] = ()  # files of the processes it calls, stored with this version


def deploy(env: Env, paths: list[str], *, actor: Actor,
           now: datetime | None = None) -> list[Deployed]:
    """Lint and deploy files as one transaction: all of them, or none if any has an error."""
    from engine.xmlsafe import read_bpmn_file

    return deploy_bytes(env, [(path, read_bpmn_file(path)[0]) for path in paths], actor=actor,
                        now=now)


def deploy_bytes(env: Env, files: list[tuple[str, bytes]], *, actor: Actor,
                 now: datetime | None = None) -> list[Deployed]:
    """Deploy BPMN content (an upload arrives as bytes), named for the messages. A designer's
    act. A withdrawn power stays withdrawn: a new version of it is stored, not put back in
    service (``reinstate_power`` does that, with who and why).

    A call activity may call a process of another file given, or one already deployed; the
    called file is stored with the caller's version (engine/services/called.py). A file whose
    processes have no catalogue entry but are called by deployed powers is a library: each of
    those powers gets a new version calling the new file, and open cases stay on theirs."""
    require(env, actor, Action.DEPLOY, target=", ".join(name for name, _ in files)[:100],
            now=now)
    # Parsing BPMN needs SpiffWorkflow's parser and lxml: loaded only by the verbs that parse
    # (listing the catalogue is a CLI verb that should answer at once).
    from engine.definitions import load_definitions
    from engine.findings import from_error
    from engine.lint import Finding, lint_set
    from engine.services.called import DeployedProcesses, rebuilt_callers

    at = env.now(now)
    with env.uow() as uow:
        stored = DeployedProcesses(uow)
        linted = lint_set(files, stored)
        findings = list(linted.findings)
        for path, p in linted.powers:
            existing = uow.definitions.process_for_code(p.code)
            if existing is not None and existing != p.process_id:
                findings.append(Finding(path, p.process_id, "duplicate-code",
                                        f"power code {p.code} is already deployed for process "
                                        f"{existing}",
                                        fix="each power needs its own code: change "
                                            "code=\"…\""))
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise LintFailed(errors)
        definitions = []
        with_powers = {path for path, _ in linted.powers}
        for source in linted.calls.given:
            if source.file not in with_powers:
                continue
            try:
                definitions.extend(load_definitions(source.data, source.file, linted.calls))
            except DefinitionError as err:
                # lint's rules passed, so this is a rule lint lacks: still a finding with its id
                raise LintFailed([from_error(source.file, err, "spiff")]) from None
        definitions.extend(rebuilt_callers(uow, stored, linted.calls.given,
                                           {p.code for _, p in linted.powers}))
        result = [_store(uow, d, at, actor) for d in definitions]
        uow.commit()
    return result


def _store(uow: Any, d: Any, at: datetime, actor: Actor) -> Deployed:
    """One definition as the power's current version: a new version, or the stored one with
    the same content made current again."""
    current = uow.definitions.latest(d.power.code)
    withdrawn = current is not None and current.status != "active"
    same = uow.definitions.by_hash(d.power.code, d.content_hash)
    if same is not None:
        was_current = current is not None and current.id == same.id
        uow.definitions.set_latest(d.power.code, same.id)  # this content runs again
        return Deployed(d.power.code, d.power.name, same.version, d.file,
                        changed=not was_current, withdrawn=withdrawn, bundled=d.bundled)
    row = uow.definitions.add(
        power_code=d.power.code, process_id=d.process_id, content_hash=d.content_hash,
        file=d.file, xml=d.xml, power=d.power.to_dict(), spec=d.spec, deployed_at=at,
        deployed_by=actor.login)
    if not withdrawn:
        uow.definitions.set_status(d.power.code, "active")
    return Deployed(d.power.code, d.power.name, row.version, d.file, True, True,
                    withdrawn=withdrawn, bundled=d.bundled)


def lint_against_deployed(env: Env, paths: list[str]) -> list[Any]:
    """``sunshine lint --deployed``: the files' findings, with called processes also looked for
    among the deployed powers (as deploy looks for them). Reads nothing but the catalogue."""
    from engine.lint import lint_files
    from engine.services.called import DeployedProcesses

    with env.uow() as uow:
        return lint_files(paths, DeployedProcesses(uow))


def withdraw_power(env: Env, code: str, *, actor: Actor, reason: str,
                   now: datetime | None = None) -> None:
    """Take a power out of service (no new cases; open ones go on), recording who and why."""
    if not reason.strip():
        raise InvalidAction("撤回事项须写明理由（如依据的文件） (give the reason)", field="reason")
    require(env, actor, Action.WITHDRAW_POWER, target=code, now=now)
    at = env.now(now)
    with env.uow() as uow:
        current = uow.definitions.latest(code)
        if current is None:
            raise NotFound(f"事项 {code} 未部署 (power {code} is not deployed)")
        if current.status != "active":
            raise InvalidAction(f"事项 {code} 已撤回 (already withdrawn)")
        uow.definitions.set_status(code, "withdrawn", at=at, by=actor.login,
                                   reason=reason.strip())
        uow.commit()


def reinstate_power(env: Env, code: str, *, actor: Actor, reason: str,
                    now: datetime | None = None) -> None:
    """Put a withdrawn power back in service, on its latest deployed version."""
    if not reason.strip():
        raise InvalidAction("恢复事项须写明理由 (give the reason)", field="reason")
    require(env, actor, Action.WITHDRAW_POWER, target=code, now=now)
    with env.uow() as uow:
        current = uow.definitions.latest(code)
        if current is None:
            raise NotFound(f"事项 {code} 未部署 (power {code} is not deployed)")
        if current.status == "active":
            raise InvalidAction(f"事项 {code} 在用，无需恢复 (already active)")
        uow.definitions.set_status(code, "active", at=env.now(now), by=actor.login,
                                   reason=reason.strip())
        uow.commit()


def list_powers(env: Env, *, include_withdrawn: bool = True) -> list[dict[str, Any]]:
    with env.uow() as uow:
        rows = uow.definitions.current()
    out = []
    for row in rows:
        if not include_withdrawn and row.status != "active":
            continue
        p = Power.from_dict(row.power)
        out.append({
            "code": p.code, "name": p.name, "category": p.category, "unit": p.unit,
            "mode": p.mode, "statutory_limit": p.statutory_limit,
            "promised_limit": p.promised_limit, "deemed_approval": p.deemed_approval,
            "public": p.public, "version": row.version, "status": row.status,
            "withdrawn_by": getattr(row, "withdrawn_by", None),
            "withdrawn_reason": getattr(row, "withdrawn_reason", None),
            "reinstated_by": getattr(row, "reinstated_by", None),
            "reinstated_reason": getattr(row, "reinstated_reason", None),
            "deployed_at": row.deployed_at.isoformat(), "process_id": p.process_id,
        })
    return sorted(out, key=lambda r: r["code"])


@dataclass(frozen=True)
class PowerVersion:
    """One deployed version of a power, as the designer's version list shows it."""

    version: int
    definition_id: int
    name: str  # the power's name in this version
    file: str
    content_hash: str
    deployed_at: datetime
    deployed_by: str  # 钱设计（sheji）
    current: bool  # new applications start on it
    open_cases: int  # cases still running on it (they finish on the version they began on)


def power_versions(env: Env, code: str) -> list[PowerVersion]:
    """Every deployed version of a power, the newest first."""
    at = env.now()
    with env.uow() as uow:
        rows = uow.definitions.versions(code)
        if not rows:
            raise NotFound(f"事项 {code} 未部署 (power {code} is not deployed)")
        latest = uow.definitions.latest(code)
        running = {c.definition_id: c.open for c in uow.reads.open_cases_by_definition(at, at)}
        names = uow.users.names({r.deployed_by for r in rows})
    return [PowerVersion(
        version=r.version, definition_id=r.id, name=str(r.power.get("name", "")), file=r.file,
        content_hash=r.content_hash, deployed_at=r.deployed_at,
        deployed_by=(f"{names[r.deployed_by]}（{r.deployed_by}）" if r.deployed_by in names
                     else r.deployed_by),
        current=latest is not None and r.id == latest.id, open_cases=running.get(r.id, 0))
        for r in rows]


def version_source(env: Env, code: str, version: int) -> tuple[Power, bytes]:
    """One deployed version of a power: its catalogue entry and its BPMN bytes."""
    with env.uow() as uow:
        row = next((r for r in uow.definitions.versions(code) if r.version == version), None)
        if row is None:
            raise NotFound(f"事项 {code} 没有第 {version} 版 (no such version)")
        return Power.from_dict(row.power), uow.definitions.xml(row.id)


def power_source(env: Env, code: str) -> tuple[Power, bytes]:
    """The latest deployed definition of a power: its catalogue entry and its BPMN bytes."""
    with env.uow() as uow:
        row = uow.definitions.latest(code)
        if row is None:
            raise NotFound(f"power {code} is not deployed — see `sunshine powers list`")
        return Power.from_dict(row.power), uow.definitions.xml(row.id)


def all_sources(env: Env) -> list[tuple[Power, bytes]]:
    with env.uow() as uow:
        return [(Power.from_dict(r.power), uow.definitions.xml(r.id))
                for r in uow.definitions.current() if r.status == "active"]


def publication(env: Env, actor: Actor, code: str | None = None) -> list[tuple[Power, bytes]]:
    """What a publisher exports: the powers in service with their BPMN (the public outputs drop
    the non-public ones themselves; the filing list keeps only those); one power with
    ``code``. A publisher's act."""
    require(env, actor, Action.PUBLISH, target=code or "", now=None)
    if code is not None:
        return [power_source(env, code)]
    return all_sources(env)
