"""A TCP relay that counts round trips between a client and PostgreSQL (for `python -m bench`).

A round trip is counted each time the client starts sending again after the server last spoke
(or for the first time on a connection): one "turn" of the conversation. That is what a round
trip costs in latency whatever the client library does — one statement at a time, BEGIN and
COMMIT as their own messages, a pool pre-ping, or several statements in one psycopg pipeline
(one turn). It only counts; the relay's own latency makes it useless for timing.
"""

from __future__ import annotations

import selectors
import socket
import threading


class TurnCounter:
    """Listen on 127.0.0.1:<port>, relay to (host, port), count client turns."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.turns = 0
        self._lock = threading.Lock()
        self._closed = False
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, server)
        sel.register(server, selectors.EVENT_READ, client)
        last_from_client = False
        try:
            while True:
                for key, _ in sel.select():
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = src.recv(65536)
                    if not data:
                        return
                    if src is client:
                        if not last_from_client:
                            with self._lock:
                                self.turns += 1
                        last_from_client = True
                    else:
                        last_from_client = False
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            client.close()
            server.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
