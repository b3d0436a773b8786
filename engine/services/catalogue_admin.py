"""Designer and administrator use cases: lint, deploy, withdraw, list the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.catalogue import Power
from engine.errors import LintFailed, NotFound
from engine.services.context import Env


@dataclass(frozen=True)
class Deployed:
    code: str
    name: str
    version: int
    file: str
    changed: bool  # False: this content was already the current version
    new: bool = False  # a new version was created


def deploy(env: Env, paths: list[str], *, actor: str = "designer",
           now: datetime | None = None) -> list[Deployed]:
    """Lint and deploy files as one transaction: all of them, or none if any has an error."""
    # Parsing BPMN needs SpiffWorkflow's parser and lxml: loaded only by the verbs that parse
    # (listing the catalogue is a CLI verb that should answer at once).
    from engine.definitions import load_definitions
    from engine.lint import Finding, duplicate_codes, lint_bytes
    from engine.xmlsafe import read_bpmn_file

    at = env.now(now)
    findings: list[Finding] = []
    loaded = []
    for path in paths:
        data, _ = read_bpmn_file(path)
        found, powers = lint_bytes(data, path)
        findings.extend(found)
        loaded.append((path, data, powers))
    findings.extend(duplicate_codes((path, p) for path, _, powers in loaded for p in powers))
    with env.uow() as uow:
        for path, _, powers in loaded:
            for p in powers:
                existing = uow.definitions.process_for_code(p.code)
                if existing is not None and existing != p.process_id:
                    findings.append(Finding(path, p.process_id, "duplicate-code",
                                            f"power code {p.code} is already deployed for process "
                                            f"{existing}; each power needs its own code"))
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise LintFailed(errors)
        result = []
        for path, data, _ in loaded:
            for d in load_definitions(data, path):
                same = uow.definitions.by_hash(d.power.code, d.content_hash)
                if same is not None:
                    current = uow.definitions.latest(d.power.code)
                    was_current = current is not None and current.id == same.id
                    uow.definitions.set_latest(d.power.code, same.id)  # this content runs again
                    uow.definitions.set_status(d.power.code, "active")
                    result.append(Deployed(d.power.code, d.power.name, same.version, path,
                                           changed=not was_current))
                    continue
                row = uow.definitions.add(
                    power_code=d.power.code, process_id=d.process_id, content_hash=d.content_hash,
                    file=path, xml=d.xml, power=d.power.to_dict(), spec=d.spec, deployed_at=at,
                    deployed_by=actor)
                uow.definitions.set_status(d.power.code, "active")
                result.append(Deployed(d.power.code, d.power.name, row.version, path, True, True))
        uow.commit()
    return result


def withdraw_power(env: Env, code: str) -> None:
    with env.uow() as uow:
        if uow.definitions.latest(code) is None:
            raise NotFound(f"power {code} is not deployed")
        uow.definitions.set_status(code, "withdrawn")
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
            "deployed_at": row.deployed_at.isoformat(), "process_id": p.process_id,
        })
    return sorted(out, key=lambda r: r["code"])


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
