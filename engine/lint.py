"""Designer rules: everything that keeps a BPMN file from running as a Sunshine power.

``lint_set`` reports every problem of the files linted together, not only the first: a process
with no catalogue entry is still checked for what else would stop it (structure, conditions,
scripts, multi-instance, the SpiffWorkflow spec), and the no-power finding says either that it
would run once the catalogue entry is added or how many other findings stand in the way. Rules
across files: one power code used by two processes, and call activities calling processes of
other files (engine/calls.py) — a process with no catalogue entry that a power calls is checked
as that power's steps. ``sunshine lint`` prints the findings; ``sunshine deploy`` runs exactly
these rules (finding called processes among the deployed ones too) and refuses any error.

The rules live in engine/lint_run.py (can it run at all), engine/lint_catalogue.py (is its
catalogue entry complete) and engine/calls.py (calls across files); every finding has a rule
id, an element id, a message and a fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.calls import CallGraph, SourceFile, StoredProcesses, with_called_steps
from engine.catalogue import Power, read_power
from engine.definitions import parse_specs
from engine.errors import DefinitionError
from engine.findings import Collector, Finding, from_error
from engine.foreign import is_executable
from engine.lint_catalogue import (
    called_rules,
    catalogue_needs,
    field_rules,
    power_rules,
    step_rules,
)
from engine.lint_run import engine_rules, name_rules, structure_rules
from engine.xmlsafe import bpmn, read_bpmn_file

__all__ = ["Finding", "Linted", "lint_set", "lint_bytes", "lint_files", "duplicate_codes"]


@dataclass(frozen=True)
class Linted:
    """What lint found in files linted together, the powers they declare (with their file) and
    their calls resolved (deploy bundles the called files from it)."""

    findings: list[Finding]
    powers: list[tuple[str, Power]]
    calls: CallGraph


def lint_set(files: Sequence[tuple[str, bytes]],
             stored: StoredProcesses | None = None) -> Linted:
    """Lint files together: a call activity may call a process of any of them, or with
    ``stored`` one already deployed."""
    findings: list[Finding] = []
    sources = []
    for file, data in files:
        try:
            sources.append(SourceFile.read(file, data))
        except DefinitionError as err:
            findings.append(from_error(file, err, "xml"))
    calls = CallGraph(sources, stored=stored)
    checked = [_file_rules(source, calls) for source in sources]
    blocked = {source for source, (_out, bad, _s) in zip(sources, checked, strict=True) if bad}
    powers: list[tuple[str, Power]] = []
    for source, (out, _bad, structural) in zip(sources, checked, strict=True):
        for power in _process_rules(out, source, calls, blocked, structural):
            powers.append((source.file, power))
        findings.extend(out.findings)
    findings.extend(duplicate_codes(powers))
    return Linted(findings, powers, calls)


def lint_bytes(data: bytes, file: str,
               stored: StoredProcesses | None = None) -> tuple[list[Finding], list[Power]]:
    """Findings for one file, and the powers it declares."""
    linted = lint_set([(file, data)], stored)
    return linted.findings, [p for _f, p in linted.powers]


def _file_rules(source: SourceFile, calls: CallGraph) -> tuple[Collector, bool, list[Finding]]:
    """The rules on the file as a whole: (its findings so far, whether SpiffWorkflow must not
    be asked to parse it, the structural errors)."""
    out = Collector(source.file)
    root = source.tree.getroot()
    processes = root.findall(bpmn("process"))
    runnable = [p for p in processes if is_executable(p)]
    if not processes:
        out.error(root.get("id"), "no-process", "the file has no <bpmn:process> (a "
                  "collaboration alone cannot run)", "draw the process in a pool, or add one")
    bad_names = name_rules(out, root)
    mark = len(out.findings)
    broken = structure_rules(out, root, bool(runnable))
    out.findings.extend(f for f in calls.findings
                        if f.file == source.file and f not in out.findings)
    structural = out.errors_since(mark)
    for process in processes:
        if process not in runnable and (read_power(process) is not None or not runnable):
            out.error(process.get("id"), "not-executable",
                      "the process is marked isExecutable=\"false\" (as Camunda Modeler and "
                      "Signavio write it by default), so it can be drawn but not run",
                      "tick “Executable” in the modeler's properties panel (or remove the "
                      "attribute)")
    # SpiffWorkflow would stumble on broken references (naming the wrong element) or recurse
    # without end on a self-loop: the findings say it; long names are cheap to fix first.
    return out, broken or bad_names, structural


def _process_rules(out: Collector, source: SourceFile, calls: CallGraph,
                   blocked: set[SourceFile], structural: list[Finding]) -> list[Power]:
    powers: list[Power] = []
    for process in source.processes.values():
        if not is_executable(process):
            continue
        pid = process.get("id") or "?"
        node = (source, pid)
        mark = len(out.findings)
        power = read_power(process)
        engine_rules(out, process)
        called = power is None and calls.is_called(node)
        if power is not None:
            powers.append(power)
            # the steps of the processes it calls count for the power as a whole (acceptance
            # step, posts); their own rules are checked in their own files
            reached = [s.processes[p] for s, p in calls.reachable(node)]
            power_rules(out, dataclasses.replace(
                power, steps=with_called_steps(power, reached).steps))
            step_rules(out, process, power)
            field_rules(out, process, power)
        elif called:
            called_rules(out, process)
        if calls.runs(node):
            needed = calls.needs(node)
            if not any(s in blocked for s in [source, *needed]):
                try:
                    parse_specs(source.tree, source.file, pid, needed)
                except DefinitionError as err:
                    out.findings.append(from_error(source.file, err, "spiff", pid))
        if power is None and not called:
            _no_power(out, process, structural + out.errors_since(mark))
    return powers


def _no_power(out: Collector, process: object, blockers: list[Finding]) -> None:
    pid = process.get("id")  # type: ignore[attr-defined]
    if blockers:
        rules = ", ".join(dict.fromkeys(f.rule for f in blockers))
        message = (f"the process has no catalogue entry, and {len(blockers)} other finding(s) "
                   f"of this file also keep it from running ({rules})")
    else:
        message = ("the process has no catalogue entry; nothing else keeps it from running: it "
                   "would run once the catalogue entry is added")
    out.error(pid, "no-power", message, catalogue_needs(process)  # type: ignore[arg-type]
              + "; a process that only another file's call activity calls needs no entry of "
              "its own: lint and deploy it together with that file")


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


def lint_files(paths: Sequence[str], stored: StoredProcesses | None = None) -> list[Finding]:
    """Lint files from disk together (``sunshine lint a.bpmn b.bpmn``)."""
    findings: list[Finding] = []
    files = []
    for path in paths:
        try:
            data, _tree = read_bpmn_file(path)
        except DefinitionError as err:
            findings.append(from_error(path, err, "xml"))
            continue
        files.append((path, data))
    return findings + lint_set(files, stored).findings
