"""Designer rules: everything that keeps a BPMN file from running as a Sunshine power.

``lint_bytes`` reports every problem of a file, not only the first: a process with no catalogue
entry is still checked for what else would stop it (structure, conditions, scripts, multi-
instance, the SpiffWorkflow spec), and the no-power finding says either that it would run once
the catalogue entry is added or how many other findings stand in the way. ``lint_files`` adds
the rules across files (one power code used by two processes). ``sunshine lint`` prints the
findings; ``sunshine deploy`` runs exactly these rules and refuses a file with any error.

The rules live in engine/lint_run.py (can it run at all) and engine/lint_catalogue.py (is its
catalogue entry complete); every finding has a rule id, an element id, a message and a fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.catalogue import Power, read_power
from engine.definitions import parse_specs
from engine.errors import DefinitionError
from engine.findings import Collector, Finding, from_error
from engine.foreign import is_executable
from engine.lint_catalogue import catalogue_needs, field_rules, power_rules, step_rules
from engine.lint_run import engine_rules, name_rules, structure_rules
from engine.xmlsafe import bpmn, parse_bpmn_bytes, read_bpmn_file

__all__ = ["Finding", "lint_bytes", "lint_files", "duplicate_codes"]


def lint_bytes(data: bytes, file: str) -> tuple[list[Finding], list[Power]]:
    """Findings for one file, and the powers it declares (for cross-file rules)."""
    out = Collector(file)
    try:
        tree = parse_bpmn_bytes(data, file)
    except DefinitionError as err:
        out.findings.append(from_error(file, err, "xml"))
        return out.findings, []
    root = tree.getroot()
    processes = root.findall(bpmn("process"))
    runnable = [p for p in processes if is_executable(p)]
    if not processes:
        out.error(root.get("id"), "no-process", "the file has no <bpmn:process> (a "
                  "collaboration alone cannot run)", "draw the process in a pool, or add one")
    bad_names = name_rules(out, root)
    mark = len(out.findings)
    broken = structure_rules(out, root, bool(runnable))
    structural = out.errors_since(mark)
    for process in processes:
        if process not in runnable and (read_power(process) is not None or not runnable):
            out.error(process.get("id"), "not-executable",
                      "the process is marked isExecutable=\"false\" (as Camunda Modeler and "
                      "Signavio write it by default), so it can be drawn but not run",
                      "tick “Executable” in the modeler's properties panel (or remove the "
                      "attribute)")
    powers: list[Power] = []
    for process in runnable:
        pid = process.get("id") or "?"
        mark = len(out.findings)
        power = read_power(process)
        engine_rules(out, process)
        if power is not None:
            powers.append(power)
            power_rules(out, power)
            step_rules(out, process, power)
            field_rules(out, process, power)
        # SpiffWorkflow would stumble on broken references (naming the wrong element) or
        # recurse without end on a self-loop: the findings above say it; long names are cheap
        # to fix first.
        if not broken and not bad_names:
            try:
                parse_specs(tree, file, pid)
            except DefinitionError as err:
                out.findings.append(from_error(file, err, "spiff", pid))
        if power is None:
            _no_power(out, process, structural + out.errors_since(mark))
    return out.findings, powers


def _no_power(out: Collector, process: object, blockers: list[Finding]) -> None:
    pid = process.get("id")  # type: ignore[attr-defined]
    if blockers:
        rules = ", ".join(dict.fromkeys(f.rule for f in blockers))
        message = (f"the process has no catalogue entry, and {len(blockers)} other finding(s) "
                   f"of this file also keep it from running ({rules})")
    else:
        message = ("the process has no catalogue entry; nothing else keeps it from running: it "
                   "would run once the catalogue entry is added")
    out.error(pid, "no-power", message, catalogue_needs(process))  # type: ignore[arg-type]


def duplicate_codes(powers_by_file: Iterable[tuple[str, Power]]) -> list[Finding]:
    """A power code used by two different processes."""
    seen: dict[str, tuple[str, str]] = {}
    findings = []
    for file, power in powers_by_file:
        if not power.code:
            continue
        if power.code in seen and seen[power.code][1] != power.process_id:
            other_file, other_pid = seen[power.code]
            findings.append(Finding(
                file, power.process_id, "duplicate-code",
                f"power code {power.code} is already used by process {other_pid} in {other_file}",
                fix="each power needs its own code: change code=\"…\" of one of them"))
        else:
            seen.setdefault(power.code, (file, power.process_id))
    return findings


def lint_files(paths: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    declared: list[tuple[str, Power]] = []
    for path in paths:
        try:
            data, _tree = read_bpmn_file(path)
        except DefinitionError as err:
            findings.append(from_error(path, err, "xml"))
            continue
        found, powers = lint_bytes(data, path)
        findings.extend(found)
        declared.extend((path, p) for p in powers)
    findings.extend(duplicate_codes(declared))
    return findings
