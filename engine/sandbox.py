"""A small pool of sandbox processes in which BPMN conditions and scripts run.

The guards of engine/scripting.py stop a script between Python lines; one C call (``pow(3,
1 << N, m)``, a quadratic ``sum`` of lists, a set of colliding hashes, a format width) runs past
them, and a value can grow past any size check made after the call returns. So every condition
and script is evaluated in a separate process whose resources the operating system bounds:

* ``RLIMIT_AS`` caps its memory (MEMORY_LIMIT_BYTES): a huge allocation fails with MemoryError
  inside the worker, never in the server;
* ``RLIMIT_CPU`` is reset before each evaluation to the CPU time used so far plus a margin, so a
  worker whose parent is gone still dies of SIGXCPU;
* the parent waits at most WALL_LIMIT_SECONDS for the answer, then SIGKILLs the worker and
  starts another; ``RLIMIT_FSIZE`` 0, ``RLIMIT_NPROC`` 0 and ``RLIMIT_CORE`` 0 keep it from
  writing files or starting processes, and it inherits no environment variables (no database
  address or password).

The protocol is a 4-byte length and a JSON document each way on the worker's stdin and stdout
(the worker points its own fd 1 at /dev/null first). Only JSON values cross: task data goes in,
the changed data (or the condition's value) comes out, and anything else is refused with the
variable named. Errors come back as text and become ScriptError in the caller.

The pool is stdlib only (``subprocess``, ``resource``, ``select``), so it lives in the core: the
script engine is built by SpiffWorkflow glue that every workflow load calls, and a port would
have to be threaded through each of them for no second implementation. Nothing starts at
import time: a worker is started on first use, per server process (a fork gets its own pool).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import ScriptError

TIME_LIMIT_SECONDS = 1.0  # the line tracer inside the worker stops Python loops at this
WALL_LIMIT_SECONDS = TIME_LIMIT_SECONDS + 1.0  # the parent kills a worker still busy after this
CPU_MARGIN_SECONDS = 3  # RLIMIT_CPU: the worker's own backstop if the parent is gone
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # task data in or out, as JSON
POOL_SIZE = 4  # at most this many evaluations at once; more wait for a free worker
_ROOT = str(Path(__file__).resolve().parent.parent)
_HEADER = struct.Struct(">I")


class WorkerLost(Exception):
    """The worker died or overran; the reason is a designer-readable sentence."""


def _read_exact(fd: int, size: int, until: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if until is not None:
            wait = until - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, until: float | None = None) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, until))
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message of {size:,} bytes")
    return json.loads(_read_exact(fd, size, until))


def write_message(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


class _Worker:
    def __init__(self) -> None:
        code = (f"import sys; sys.path.insert(0, {_ROOT!r}); "
                "from engine.sandbox import serve; serve()")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={"LANG": "C.UTF-8"}, cwd="/", bufsize=0)
        assert self.process.stdin and self.process.stdout
        self.to_fd = self.process.stdin.fileno()
        self.from_fd = self.process.stdout.fileno()

    def call(self, payload: bytes) -> dict[str, Any]:
        try:
            write_message(self.to_fd, payload)
            reply = read_message(self.from_fd, time.monotonic() + WALL_LIMIT_SECONDS)
        except TimeoutError:
            self.kill()
            raise WorkerLost(f"ran longer than {TIME_LIMIT_SECONDS:g} s and was stopped") from None
        except (EOFError, OSError, ValueError):
            self.kill()
            raise WorkerLost(self._death()) from None
        if reply.get("retire"):
            self.kill()
        return dict(reply)

    def _death(self) -> str:
        code = self.process.returncode
        if code == -signal.SIGXCPU:
            return f"used more than {TIME_LIMIT_SECONDS:g} s of processor time and was stopped"
        if code in (-signal.SIGSEGV, -signal.SIGABRT):
            return "nested or recursed too deeply and was stopped"
        return (f"stopped its sandbox process (exit {code}); it may have needed more than "
                f"{MEMORY_LIMIT_BYTES // 2**20} MB")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()


class Pool:
    """Up to POOL_SIZE workers, each running one evaluation at a time."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self.size = size
        self.idle: list[_Worker] = []
        self.busy = 0
        self.free = threading.Condition()
        self.started = 0  # workers started, replacements included (tests read it)
        self.retired = 0  # workers killed after a request (time, memory, death; tests read it)

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request to a free worker; its reply, or WorkerLost."""
        payload = json.dumps(request, ensure_ascii=False).encode()
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ScriptError(f"the case data given to a BPMN script is {len(payload):,} bytes "
                              f"as JSON; at most {MAX_MESSAGE_BYTES:,} may be given")
        worker = self._take()
        try:
            return worker.call(payload)
        finally:
            self._give_back(worker)

    def _take(self) -> _Worker:
        with self.free:
            while not self.idle and self.busy >= self.size:
                self.free.wait()
            self.busy += 1
            worker = self.idle.pop() if self.idle else None
        if worker is None or not worker.alive:
            try:
                worker = _Worker()
            except BaseException:
                self._give_back(None)
                raise
            self.started += 1
        return worker

    def _give_back(self, worker: _Worker | None) -> None:
        with self.free:
            self.busy -= 1
            if worker is not None and worker.alive:
                self.idle.append(worker)
            elif worker is not None:
                self.retired += 1
            self.free.notify()

    def close(self) -> None:
        with self.free:
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.kill()


_pool: Pool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool, started on first use (a forked child starts its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = Pool(), os.getpid()
            atexit.register(_pool.close)
        return _pool


# -- the worker side ---------------------------------------------------------------------------


def _limit_self() -> None:
    import resource

    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT_BYTES), (resource.RLIMIT_FSIZE, 0),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 0)):
        resource.setrlimit(limit, (value, value))


def _limit_cpu() -> None:
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = spent + CPU_MARGIN_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard < 0 else min(soft, hard), hard))


def serve() -> None:
    """The worker: answer requests on fd 0 until it closes."""
    to_parent = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    from engine.scripting import answer  # before the limits: imports need memory

    sys.setrecursionlimit(400)
    _limit_self()
    while True:
        try:
            request = read_message(0)
        except (EOFError, OSError, ValueError):
            return
        _limit_cpu()
        reply = answer(request)
        try:
            payload = json.dumps(reply, ensure_ascii=False).encode()
        except MemoryError:
            payload = b'{"ok": false, "retire": true, "error": "ran out of memory"}'
        if len(payload) > MAX_MESSAGE_BYTES:
            payload = json.dumps({"ok": False, "error": (
                f"left case data of {len(payload):,} bytes as JSON; at most "
                f"{MAX_MESSAGE_BYTES:,} may be kept")}).encode()
        write_message(to_parent, payload)
        if reply.get("retire"):
            return
