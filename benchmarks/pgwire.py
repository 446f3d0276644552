"""Count PostgreSQL round trips and write commits from the wire, between a client and the
server: a TCP proxy that reads the frontend/backend protocol (version 3) as it passes.

- a **round trip** is one ReadyForQuery message from the server, less the one that ends
  each connection's start-up: the server sends it when it has answered a simple query or
  reached a Sync, which is where a client waits for its answers (psycopg waits at each,
  pipeline mode included); LISTEN's notifications are not counted;
- a **commit** is a transaction that executed a writing statement (INSERT, UPDATE,
  DELETE, MERGE, COPY, or a SELECT of a function whose name says ``insert``) and ended
  committed: a COMMIT answered ``COMMIT``, or a statement run outside a transaction block
  (autocommit) that raised no error. Read-only transactions are not commits here.

The proxy sees every process that connects through it (a server's workers too) and adds
a little latency of its own, so it is for counting, not timing. Connections must not use
TLS (``sslmode=disable``), or the messages cannot be read.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
from dataclasses import dataclass

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|COPY)\b|^\s*WITH\b.*\b(INSERT|UPDATE|"
                   r"DELETE)\b|^\s*SELECT\b.*\w*insert\w*\"?\s*\(", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Counts:
    round_trips: int
    commits: int

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.round_trips - other.round_trips, self.commits - other.commits)


class _Connection:
    """What one client connection has done since its last ReadyForQuery."""

    def __init__(self) -> None:
        self.statements: dict[str, str] = {}
        self.bound = ""
        self.wrote = False
        self.failed = False
        self.last_tag = ""
        self.in_transaction = False
        self.started = False


class CountingProxy:
    """Forward connections on a local port to ``upstream`` and count what passes."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._round_trips = 0
        self._commits = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._closing = False
        threading.Thread(target=self._accept, name="pgwire-accept", daemon=True).start()

    def counts(self) -> Counts:
        with self._lock:
            return Counts(self._round_trips, self._commits)

    def close(self) -> None:
        self._closing = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            state = _Connection()
            threading.Thread(target=self._pump, args=(client, server, state, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, state, False),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, state: _Connection,
              from_client: bool) -> None:
        buffer = b""
        startup = from_client  # the client's first message has no type byte
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                buffer += data
                buffer, startup = self._read(buffer, startup, state, from_client)
                sink.sendall(data)  # after reading: counted before the answer can come
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _read(self, buffer: bytes, startup: bool, state: _Connection, from_client: bool
              ) -> tuple[bytes, bool]:
        while True:
            if startup:
                if len(buffer) < 4:
                    return buffer, startup
                (length,) = struct.unpack("!I", buffer[:4])
                if len(buffer) < length:
                    return buffer, startup
                buffer, startup = buffer[length:], False
                continue
            if len(buffer) < 5:
                return buffer, startup
            kind = buffer[:1]
            (length,) = struct.unpack("!I", buffer[1:5])
            if len(buffer) < 1 + length:
                return buffer, startup
            body, buffer = buffer[5:1 + length], buffer[1 + length:]
            if from_client:
                self._client_message(kind, body, state)
            else:
                self._server_message(kind, body, state)

    @staticmethod
    def _client_message(kind: bytes, body: bytes, state: _Connection) -> None:
        if kind == b"Q":
            if WRITE.search(body.rstrip(b"\0").decode(errors="replace")):
                state.wrote = True
        elif kind == b"P":
            name, rest = body.split(b"\0", 1)
            state.statements[name.decode()] = rest.split(b"\0", 1)[0].decode(errors="replace")
        elif kind == b"B":
            _portal, rest = body.split(b"\0", 1)
            state.bound = state.statements.get(rest.split(b"\0", 1)[0].decode(), "")
        elif kind == b"E" and WRITE.search(state.bound):
            state.wrote = True

    def _server_message(self, kind: bytes, body: bytes, state: _Connection) -> None:
        if kind == b"E":
            state.failed = True
        elif kind == b"C":
            state.last_tag = body.rstrip(b"\0").decode(errors="replace")
        elif kind == b"Z":
            status = body[:1]
            committed = False
            if status == b"I":
                if state.in_transaction:
                    committed = state.wrote and state.last_tag == "COMMIT"
                else:
                    committed = state.wrote and not state.failed
            with self._lock:
                if state.started:
                    self._round_trips += 1
                self._commits += committed
            state.started = True
            state.in_transaction = status in (b"T", b"E")
            if status == b"I":
                state.wrote = False
            state.failed = False
