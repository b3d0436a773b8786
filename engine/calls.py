"""Call activities across files (调用其他文件中的流程): which file defines each called process,
what a power needs from other files, and the calls that cannot run.

A call activity names a process by its id (``calledElement``). The engine looks for it in the
caller's own file, then in the files linted or deployed with it, then among the processes
already deployed (``StoredProcesses``, read from the definitions by engine/services/called.py).
A process found in another file is *bundled* with its caller's definition version: the called
file's bytes are stored with the version (``stored_entries``) and its spec goes into the
version's ``subprocess_specs``, so a running case keeps the exact called process it began with
even when the library file is deployed again; new cases start on the version that bundles the
new library.

``CallGraph`` resolves every call of the files given and records, as lint findings, a call to a
process found nowhere (call-missing), calls that come back to their own process (call-recursion,
across files too) and one process id defined by two files a case would need
(duplicate-process).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from lxml import etree

from engine.catalogue import Power, read_steps, read_timers
from engine.findings import Finding
from engine.xmlsafe import bpmn, parse_bpmn_bytes


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A BPMN file as call activities see it: the processes it defines and what they call.
    ``stored`` is empty for a file given now, else which deployed version it was found in."""

    file: str
    data: bytes
    tree: etree._ElementTree
    stored: str = ""

    @classmethod
    def read(cls, file: str, data: bytes, stored: str = "") -> SourceFile:
        return cls(file, data, parse_bpmn_bytes(data, file), stored)

    @cached_property
    def processes(self) -> dict[str, etree._Element]:
        return {p.get("id") or "": p for p in self.tree.getroot().findall(bpmn("process"))}

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def calls(self, process_id: str) -> list[tuple[str, str]]:
        """(call activity id, called process id) of one process, embedded sub-processes too."""
        return [(c.get("id") or "?", (c.get("calledElement") or "").strip())
                for c in self.processes[process_id].iter(bpmn("callActivity"))]

    @property
    def label(self) -> str:
        return f"{self.file} ({self.stored})" if self.stored else self.file


class StoredProcesses(Protocol):
    """The processes already deployed, as call activities of files deployed now find them."""

    def defining(self, process_id: str) -> list[SourceFile]:
        """The deployed file defining the process (the newest deployment that has it), followed
        by the files it was bundled with; empty if none does."""
        ...

    def callers(self, process_id: str) -> list[str]:
        """Codes of the deployed powers whose current version bundles a file defining it."""
        ...


Node = tuple[SourceFile, str]  # a process of a file
Call = tuple[str, str, SourceFile | None]  # call activity id, called process id, where found


class CallGraph:
    """Every call of the files given, resolved; ``findings`` says what cannot run.

    ``bundled`` are files to look in before the deployed ones: the files a power's current
    version bundles, when that power is rebuilt on a new library file."""

    def __init__(self, given: Sequence[SourceFile], *, bundled: Sequence[SourceFile] = (),
                 stored: StoredProcesses | None = None) -> None:
        self.given = list(given)
        self._pools = [self.given, list(bundled), []]  # the last: files found among deployed
        self._stored = stored
        self.findings: list[Finding] = []
        self._bad: set[Node] = set()  # processes whose own calls cannot all run
        self._ambiguous_ids: set[str] = set()  # called, but defined by two files given
        self.edges: dict[Node, list[Call]] = {}
        todo: list[Node] = [(s, pid) for s in self.given for pid in s.processes]
        while todo:
            node = todo.pop(0)
            if node in self.edges:
                continue
            calls = self.edges[node] = [(cid, target, self._resolve(node, cid, target))
                                        for cid, target in node[0].calls(node[1])]
            todo.extend((found, target) for _c, target, found in calls if found is not None)
        for node in list(self.edges):
            if not node[0].stored:
                self._cycles(node)
        for node in list(self.edges):
            if not node[0].stored:
                self._duplicates(node)

    def source(self, file: str, data: bytes) -> SourceFile:
        """The given file of that name and content."""
        return next(s for s in self.given if s.file == file and s.data == data)

    # -- resolving -------------------------------------------------------------------------

    def _resolve(self, node: Node, call_id: str, target: str) -> SourceFile | None:
        source, pid = node
        if not target:
            self._error(node, call_id, "call-missing", "the call activity names no process to "
                        "call (calledElement is empty)", "pick the called process in the "
                        "modeler's properties panel, or make the step a sub-process")
            return None
        if target in source.processes:
            return source
        for i, pool in enumerate(self._pools):
            found = [s for s in pool if target in s.processes]
            if len(found) > 1 and i == 0:
                self._ambiguous(node, call_id, target, found)
                return None
            if found:
                return found[0]
        files = self._stored.defining(target) if self._stored is not None else []
        if files:
            self._pools[2].extend(files)
            return files[0]
        given = ", ".join(s.file for s in self.given)
        self._error(node, call_id, "call-missing",
                    f"call activity calls process {target!r}, which none of the files given "
                    f"({given}) defines" + (" and no deployed power includes"
                                            if self._stored is not None else ""),
                    f"lint and deploy this file together with the file that defines process "
                    f"{target!r} (sunshine deploy {source.file} <that file>); a process that is "
                    "only called needs no catalogue entry of its own"
                    + ("" if self._stored is not None else
                       ", and `sunshine lint --deployed` also looks among the deployed powers"))
        return None

    def _error(self, node: Node, element: str | None, rule: str, message: str, fix: str,
               file: SourceFile | None = None) -> None:
        self._bad.add(node)
        where = file or node[0]
        finding = Finding(where.file, element, rule, message, "error", fix)
        if not where.stored and finding not in self.findings:
            self.findings.append(finding)

    def _ambiguous(self, node: Node, call_id: str, target: str,
                   found: list[SourceFile]) -> None:
        self._ambiguous_ids.add(target)
        for s in found:
            others = " and ".join(o.file for o in found if o is not s)
            self._error(node, target, "duplicate-process",
                        f"process {target!r} is defined in this file and in {others}, and call "
                        f"activity {call_id!r} ({node[0].file}) calls it: the engine cannot "
                        "tell which one to run", f"keep process {target!r} in one file only "
                        "(delete it from the other, or give it another id and call that)", s)

    # -- what cannot run -------------------------------------------------------------------

    def _cycles(self, node: Node) -> None:
        """Each call of ``node`` whose called process comes back to it, directly or through
        other processes (of any file): every case would start sub-cases without end."""
        for call_id, target, found in self.edges[node]:
            if found is None:
                continue
            path = self._path((found, target), node, set())
            if path is None:
                continue
            if not path:
                message = (f"call activity calls process {target!r}, which is the process it "
                           "belongs to")
            else:
                back = ", whose ".join(f"call activity {c!r} ({s.label}) calls {t!r}"
                                       for c, t, s in path)
                message = (f"call activity {call_id!r} calls process {target!r} "
                           f"({found.label}), whose {back}, the process this call activity "
                           "belongs to")
            self._error(node, call_id, "call-recursion", message + ": every case would start "
                        "sub-cases without end", "call a different process, or draw the "
                        "repeated work as a loop back through a gateway")

    def _path(self, start: Node, goal: Node, seen: set[Node]
              ) -> list[tuple[str, str, SourceFile]] | None:
        """The calls leading from ``start`` back to ``goal`` (empty if they are the same)."""
        if start == goal:
            return []
        if start in seen:
            return None
        seen.add(start)
        for call_id, target, found in self.edges.get(start, []):
            if found is None:
                continue
            rest = self._path((found, target), goal, seen)
            if rest is not None:
                return [(call_id, target, start[0]), *rest]
        return None

    def _duplicates(self, node: Node) -> None:
        """Two files a case of this process would need that define the same process id:
        SpiffWorkflow refuses the pair ("Duplicate process ID")."""
        files = [node[0], *self.needs(node, strict=False)]
        seen: dict[str, SourceFile] = {}
        for s in files:
            for pid in s.processes:
                first = seen.setdefault(pid, s)
                if first is s:
                    continue
                for here, there in ((first, s), (s, first)):
                    self._error(node, pid, "duplicate-process",
                                f"process {pid!r} is defined in this file and in "
                                f"{there.label}, and process {node[1]!r} ({node[0].file}) needs "
                                "both files: the engine cannot tell which one to run",
                                f"keep process {pid!r} in one file only (delete it from the "
                                "other, or give it another id)", here)

    # -- what a power needs ----------------------------------------------------------------

    def reachable(self, node: Node) -> list[Node]:
        """The processes a case of ``node`` may call, directly or not (not itself)."""
        out: list[Node] = []
        todo = [(found, target) for _c, target, found in self.edges.get(node, [])
                if found is not None]
        while todo:
            current = todo.pop(0)
            if current in out or current == node:
                continue
            out.append(current)
            todo.extend((found, target) for _c, target, found in self.edges.get(current, [])
                        if found is not None)
        return out

    def needs(self, node: Node, *, strict: bool = True) -> list[SourceFile]:
        """The other files a case of ``node`` needs; with ``strict``, raise ValueError if one
        of its calls (or theirs) cannot run."""
        reached = self.reachable(node)
        if strict and any(n in self._bad for n in [node, *reached]):
            raise ValueError(f"process {node[1]} has calls that cannot run")
        files: list[SourceFile] = []
        for s, _pid in reached:
            if s is not node[0] and s not in files:
                files.append(s)
        return files

    def runs(self, node: Node) -> bool:
        """Whether every call of the process (and of what it calls) can run."""
        return not any(n in self._bad for n in [node, *self.reachable(node)])

    def is_called(self, node: Node) -> bool:
        """Whether a process of the files given, or a deployed power, calls ``node``."""
        return (node[1] in self._ambiguous_ids
                or any(node in self.reachable(other) for other in self.edges
                       if not other[0].stored and other != node)
                or bool(self.stored_callers(node[1])))

    def stored_callers(self, process_id: str) -> list[str]:
        return self._stored.callers(process_id) if self._stored is not None else []


def with_called_steps(power: Power, processes: Iterable[etree._Element]) -> Power:
    """The power with the steps and timers of the processes its cases call: the case reads a
    called step's post, limit and role from its catalogue entry like any other step's."""
    steps, timers = list(power.steps), list(power.timers)
    known = {s.id for s in steps}
    for process in processes:
        for step in read_steps(process):
            if step.id not in known:
                known.add(step.id)
                steps.append(step)
        timers.extend(t for t in read_timers(process) if t.id not in {x.id for x in timers})
    return dataclasses.replace(power, steps=tuple(steps), timers=tuple(timers))


def bundle_hash(own: str, bundled: Sequence[SourceFile]) -> str:
    """A version's identity: its own file's hash, and the called files' when it bundles any
    (the same caller with a changed library is a new version)."""
    if not bundled:
        return own
    parts = [own, *sorted(s.content_hash for s in bundled)]
    return hashlib.sha256("\n".join(parts).encode("ascii")).hexdigest()


def stored_entries(bundled: Sequence[SourceFile]) -> list[dict[str, Any]]:
    """The called files as kept in a definition version's stored spec (key ``called``)."""
    return [{"file": s.file, "hash": s.content_hash, "processes": sorted(s.processes),
             "data": base64.b64encode(s.data).decode("ascii")} for s in bundled]


def stored_files(spec: dict[str, Any], label: str) -> list[SourceFile]:
    """The called files a definition version bundles (``stored_entries``)."""
    return [SourceFile.read(e["file"], base64.b64decode(e["data"]), label)
            for e in spec.get("called", ())]


def stored_process_ids(spec: dict[str, Any]) -> set[str]:
    """The process ids of the files a version bundles, without reading the files."""
    return {pid for e in spec.get("called", ()) for pid in e.get("processes", ())}
