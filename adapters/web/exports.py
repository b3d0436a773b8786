"""The publisher's 全部导出 as a job with progress: the export (a graphviz run per picture and a
PDF per power: seconds per power) runs in a thread of its own while the page polls its progress
(htmx, every second) and then offers the zip.

Jobs live in this process only (a restart forgets them; the publisher starts again), belong to
the user who started them, and are bounded: one running job per user, at most ``RUNNING`` at
once, the last ``KEEP`` finished zips kept in memory for download.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.web.errors import WebError
from engine.errors import NotFound

RUNNING = 2  # exports at once in this process (each is a graphviz and PDF loop)
KEEP = 8  # finished jobs kept (their zips are a few megabytes)


@dataclass
class ExportJob:
    id: str
    owner: str  # the publisher's login: nobody else sees the job
    started: float
    total: int = 0  # public powers to export (known once it starts)
    done: int = 0
    current: str = ""  # the power last finished
    error: str | None = None
    data: bytes | None = None  # the zip, once finished
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished else 0)


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class Exports:
    """The process's export jobs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, ExportJob] = OrderedDict()

    def start(self, owner: str, sources: Sequence[Any]) -> ExportJob:
        """Start exporting ``sources`` (the publication's (Power, BPMN) pairs) for ``owner``;
        a job of theirs still running is returned instead of a second one."""
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.running]
            if mine:
                return mine[0]
            if sum(1 for j in self._jobs.values() if j.running) >= RUNNING:
                raise WebError("其他人员的导出正在进行，请稍后再试 (another export is running; "
                               "try again in a minute)", status=429, code="busy")
            job = ExportJob(id=secrets.token_urlsafe(12), owner=owner, started=time.time())
            self._jobs[job.id] = job
            finished = [k for k, j in self._jobs.items() if not j.running]
            for key in finished[:max(0, len(finished) - KEEP)]:
                del self._jobs[key]
        threading.Thread(target=self._run, args=(job, list(sources)), daemon=True,
                         name=f"export-{job.id}").start()
        return job

    def _run(self, job: ExportJob, sources: list[Any]) -> None:
        from adapters.publish.common import public_only
        from adapters.publish.export import export_all

        def progress(i: int, n: int, code: str) -> None:
            job.done, job.total, job.current = i, n, code

        try:
            job.total = len(public_only(sources))
            with tempfile.TemporaryDirectory(prefix="sunshine-export-") as tmp:
                export_all(sources, tmp, progress)
                job.data = zip_folder(Path(tmp))
        except Exception as err:  # noqa: BLE001 - the page says what failed; nothing is half-published
            job.error = f"{type(err).__name__}: {err}"
        finally:
            job.finished = time.time()

    def get(self, job_id: str, owner: str) -> ExportJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound("没有这个导出任务（已过期或不是您发起的），请重新导出 (no such export)")
        return job
