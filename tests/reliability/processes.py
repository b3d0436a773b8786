"""The real processes a fault test starts, kills and restarts, and a TCP relay to cut the
database off with.

``Served`` runs ``sunshine web --no-worker`` (uvicorn serving the app) or ``sunshine worker``
(the deadline sweep and the notices' delivery) as a child process at a fixed ``--now`` (SUNSHINE_MODE=test), its output in a
log file, and knows when it is ready (the web answers, the worker has started). ``Relay`` listens
on a local port and forwards to PostgreSQL; ``stop()`` closes the port and every connection
through it (the database gone, as a restart or a network cut looks to a client), ``start()``
opens it again on the same port.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sunshine_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of every child process: test mode (time travel), the data key, the
    notices and the seals in the work directory, unbuffered output."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
            "SUNSHINE_MODE": "test", "SUNSHINE_PRINT_DIR": str(workdir / "notices"),
            "SUNSHINE_SMS_GATEWAY": "log", "SUNSHINE_SMS_LOG": str(workdir / "sms.log"),
            "SUNSHINE_SEAL_DIR": str(workdir / "seals"), "SUNSHINE_SWEEP_INTERVAL": "1",
            "SUNSHINE_DATA_KEY": str(workdir / "data.key"), **extra}


class Served:
    """One `sunshine web` or `sunshine worker` process at a fixed time."""

    def __init__(self, kind: str, url: str, workdir: Path, *, port: int = 0,
                 env: dict[str, str] | None = None) -> None:
        assert kind in ("web", "worker")
        self.kind, self.url, self.workdir, self.port = kind, url, workdir, port
        self.env = env or sunshine_env(workdir)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{kind}.log"
        self.starts = 0

    def start(self, now: datetime) -> None:
        verb = (["web", "--host", "127.0.0.1", "--port", str(self.port), "--no-worker"]
                if self.kind == "web" else ["worker", "--interval", "0.5"])
        self.starts += 1
        out = open(self.log, "ab")  # noqa: SIM115 - the child holds it
        out.write(f"\n=== start {self.starts} at --now {now.isoformat()}\n".encode())
        out.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "--db", self.url, "--now", now.isoformat(),
             *verb], cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self._mark = self.log.stat().st_size

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until the web answers (or the worker said it started)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if not self.alive():
                raise RuntimeError(f"{self.kind} exited: {self.tail()}")
            if self.kind == "web":
                try:
                    with urllib.request.urlopen(f"{self.base}/api/catalogue", timeout=5) as r:
                        if r.status == 200:
                            return time.monotonic() - t0
                except (urllib.error.URLError, OSError):
                    pass
            elif b"worker started" in self.log.read_bytes()[self._mark:]:
                return time.monotonic() - t0
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} not ready after {timeout} s: {self.tail()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or rolled back by the process."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if self.kind == "web" else signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, size: int = 3000) -> str:
        return self.log.read_bytes()[-size:].decode("utf-8", "replace")

    def output_since_start(self) -> str:
        return self.log.read_bytes()[self._mark:].decode("utf-8", "replace")


class Relay:
    """A TCP relay 127.0.0.1:<port> → (host, port) that can be cut and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and every connection through it, at once."""
        if self._listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone would not on Linux
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            socks, self._open = list(self._open), set()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, server)
        sel.register(server, selectors.EVENT_READ, client)
        try:
            while True:
                for key, _ in sel.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            sel.close()
            with self._lock:
                self._open.discard(client)
                self._open.discard(server)
            client.close()
            server.close()
