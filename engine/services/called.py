"""Called processes already deployed (engine/calls.py): where a call activity of a file deployed
now finds a process that is not in the files given, and the powers to rebuild when a library
file they call is deployed again.

A called file is stored with each version of the power that calls it (the ``called`` entries
of the version's spec), never on its own: a running case keeps the called spec it began with.
Deploying a library file again therefore makes a new version of every power in the catalogue
whose current version bundles it; new applications start on that version.
"""

from __future__ import annotations

from typing import Any

from engine.calls import CallGraph, SourceFile, stored_files, stored_process_ids
from engine.catalogue import read_power
from engine.definitions import Definition, load_definitions
from engine.errors import DefinitionError, LintFailed
from engine.findings import from_error
from engine.ports import UnitOfWork


def _label(row: Any) -> str:
    return f"deployed with power {row.power_code} v{row.version}"


class DeployedProcesses:
    """engine.calls.StoredProcesses over the current version of every deployed power (the
    newest deployment first)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows: list[Any] | None = None

    def _current(self) -> list[Any]:
        if self._rows is None:
            self._rows = sorted(self._uow.definitions.current(),
                                key=lambda r: (r.deployed_at, r.id), reverse=True)
        return self._rows

    def defining(self, process_id: str) -> list[SourceFile]:
        for row in self._current():
            if process_id in stored_process_ids(row.spec):
                files = stored_files(row.spec, _label(row))
                first = next(f for f in files if process_id in f.processes)
                return [first, *(f for f in files if f is not first)]
            if process_id == row.process_id or process_id in row.spec.get("subprocess_specs", {}):
                own = SourceFile.read(row.file, self._uow.definitions.xml(row.id), _label(row))
                if process_id in own.processes:
                    return [own, *stored_files(row.spec, _label(row))]
        return []

    def callers(self, process_id: str) -> list[str]:
        return [row.power_code for row in self._current()
                if process_id in stored_process_ids(row.spec)]


def rebuilt_callers(uow: UnitOfWork, stored: DeployedProcesses, given: list[SourceFile],
                    skip: set[str]) -> list[Definition]:
    """New definitions of the deployed powers (other than ``skip``, deployed now from their
    own files) whose current version bundles a process with no catalogue entry that a file
    given now defines: the caller's own file, with the given files in place of the ones it
    bundled before. Raises LintFailed if a caller cannot run with them."""
    # library processes: no catalogue entry of their own (a power's file deployed again does
    # not change the callers that bundled its process: they keep their copy until redeployed)
    library = {pid for s in given for pid, p in s.processes.items()
               if read_power(p) is None and stored.callers(pid)}
    libraries = [s for s in given if library & set(s.processes)]
    codes = sorted({code for pid in library for code in stored.callers(pid)} - skip)
    replaced = {pid for s in libraries for pid in s.processes}
    found = []
    for code in codes:
        row = uow.definitions.latest(code)
        caller = SourceFile.read(row.file, uow.definitions.xml(row.id))
        kept = [f for f in stored_files(row.spec, _label(row)) if not set(f.processes) & replaced]
        calls = CallGraph([caller, *libraries], bundled=kept, stored=stored)
        if calls.findings:
            raise LintFailed(calls.findings)
        try:
            definitions = load_definitions(caller.data, caller.file, calls)
        except DefinitionError as err:
            raise LintFailed([from_error(caller.file, err, "spiff")]) from None
        found.extend(d for d in definitions if d.power.code == code)
    return found
