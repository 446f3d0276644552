"""How ``casetrack serve`` runs: one waitress process, or gunicorn workers on PostgreSQL.

- One process (the default, and the only way on the embedded store, whose projection
  runners live in the server): waitress binds the port first, then says it is serving.
- ``--workers N`` on PostgreSQL: gunicorn's arbiter forks N worker processes (threaded),
  each building its own app after the fork (no connection pool or thread crosses a
  fork); counters are added up across them for ``/metrics`` (``PROMETHEUS_MULTIPROC_DIR``).
  With ``--projections`` the arbiter's process also runs ``casetrack projections run``
  beside them and restarts it if it stops, until the server stops.
- The workers share one listening socket, and a keep-alive connection stays with the
  worker that accepted it; left alone, whichever worker wakes first accepts a burst of
  connections (measured: 8 clients, all on one of two workers, the other idle). So a
  worker accepts only while it holds no more connections than the worker holding fewest
  (``AcceptBalance``: counts in memory the arbiter shares with the workers it forks).
"""

from __future__ import annotations

import errno
import gc
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from web.config import Settings


class PortTakenError(Exception):
    """Raised when the port to serve on is taken; its message is one line naming --port."""


def port_taken(host: str, port: int) -> PortTakenError:
    return PortTakenError(f"casetrack: {host}:{port} is already in use; stop what holds it or "
                          f"choose another port with --port (or CASETRACK_PORT)")


def bind_waitress(app: Any, host: str, port: int, threads: int) -> Any:
    """Return a waitress server already listening on ``host:port`` (run it with .run())."""
    import waitress.server

    try:
        return waitress.server.create_server(app, host=host, port=port, threads=threads,
                                             ident="casetrack")
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise port_taken(host, port) from None
        raise


def freeze_start_up_heap() -> None:
    """Collect once, then move every object alive after start-up (modules, the app, its
    schemas and caches) out of the collector's reach (``gc.freeze``), before serving.

    Every full collection walked the ~225k start-up objects again, holding the GIL
    (issue 17, SQLite server, 8 HTTP writers, 4,500 events: the full collections while
    serving took 133 + 193 ms, after the freeze 22 + 44 + 72 ms). Nothing else changes:
    later objects are collected as before; the frozen ones are those start-up made."""
    gc.collect()
    gc.freeze()


def check_port(host: str, port: int) -> None:
    """Raise ``PortTakenError`` now if ``host:port`` cannot be bound (gunicorn would retry
    for five seconds and end with a traceback)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise port_taken(host, port) from None
            raise


def enable_multiprocess_metrics() -> str:
    """Point prometheus-client at a fresh directory the workers all write their counters
    to (before any worker makes one); return it."""
    from prometheus_client import values

    directory = tempfile.mkdtemp(prefix="casetrack-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.MultiProcessValue()
    return directory


class ProjectionSupervisor:
    """``casetrack projections run`` as a child process, restarted when it stops."""

    def __init__(self, argv: list[str], backoff: float = 1.0, max_backoff: float = 30.0,
                 *, ready_line: str | None = None) -> None:
        self.argv, self.backoff, self.max_backoff = argv, backoff, max_backoff
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        # With ``ready_line``, the worker's output is passed on line by line and ``ready``
        # is set once a line starts with it (the worker says its runners are running).
        self.ready_line = ready_line
        self.ready = threading.Event()
        self.restarts = 0
        self._thread = threading.Thread(target=self._supervise, name="projections",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _supervise(self) -> None:
        delay = self.backoff
        while not self.stopping.is_set():
            if self.ready_line is None:
                self.process = subprocess.Popen(self.argv)
            else:
                self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE)
                self._pass_on(self.process, self.ready_line)
            code = self.process.wait()
            if self.stopping.wait(0.5):  # stopped with the server (it may be signalled first)
                return
            self.restarts += 1
            print(f"casetrack: the projection worker stopped (exit {code}); restarting in "
                  f"{delay:.0f}s", file=sys.stderr, flush=True)
            if self.stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_backoff)

    def _pass_on(self, process: subprocess.Popen[bytes], ready_line: str) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
            if line.decode(errors="replace").startswith(ready_line):
                self.ready.set()

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._thread.join(timeout=5)


ABSENT = -1  # a slot no live worker holds


class AcceptBalance:
    """How many connections each gunicorn worker holds, in shared memory made before the
    workers are forked; one slot per worker, written only by the worker holding it (and by
    the arbiter as it hands the slot out or takes it back)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing

        self.counts = multiprocessing.RawArray("i", [ABSENT] * workers)

    def take_slot(self, busy: set[int | None]) -> int | None:
        """Return a slot for a worker about to be forked (in the arbiter); None when all
        are held (workers added by signal: those accept as gunicorn's own do)."""
        slot = next((i for i in range(len(self.counts)) if i not in busy), None)
        if slot is not None:
            self.counts[slot] = 0
        return slot

    def free(self, slot: int | None) -> None:
        if slot is not None:
            self.counts[slot] = ABSENT

    def may_accept(self, slot: int | None, holding: int, limit: int) -> bool:
        """Publish what the worker in ``slot`` holds; may it accept another connection?
        Yes when no live worker able to accept (below ``limit``) holds fewer."""
        if slot is None:
            return True
        self.counts[slot] = holding
        return all(not 0 <= count < min(holding, limit) for count in self.counts)


def balanced_worker_class(balance: AcceptBalance) -> type:
    """gunicorn's threaded worker, accepting only while it holds the fewest connections."""
    from gunicorn.workers.gthread import ThreadWorker

    class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
        slot: int | None = None

        def accept(self, server: Any, listener: Any) -> None:
            if not balance.may_accept(self.slot, self.nr_conns, self.worker_connections):
                time.sleep(0.002)  # a worker holding fewer takes it (all are woken)
                return
            super().accept(server, listener)
            balance.may_accept(self.slot, self.nr_conns, self.worker_connections)

        def murder_keepalived(self) -> None:  # once per turn of the worker's loop
            super().murder_keepalived()
            balance.may_accept(self.slot, self.nr_conns, self.worker_connections)

    return BalancedThreadWorker


def run_gunicorn(settings: Settings, host: str, port: int, workers: int, threads: int,
                 *, projections: bool, announce: Callable[[], None]) -> int:
    """Serve with ``workers`` gunicorn processes until stopped; 0 on a clean stop."""
    from gunicorn.app.base import BaseApplication
    from prometheus_client import multiprocess

    check_port(host, port)
    metrics_dir = enable_multiprocess_metrics()
    balance = AcceptBalance(workers)
    supervisor = ProjectionSupervisor([sys.executable, "-m", "web.cli", "projections",
                                       "run"]) if projections else None

    def when_ready(_server: Any) -> None:
        if supervisor is not None:
            supervisor.start()
        announce()

    def pre_fork(server: Any, worker: Any) -> None:
        worker.slot = balance.take_slot({w.slot for w in server.WORKERS.values()})

    def post_worker_init(_worker: Any) -> None:
        freeze_start_up_heap()  # each worker, once its app is built (as one process does)

    def child_exit(_server: Any, worker: Any) -> None:
        multiprocess.mark_process_dead(worker.pid, metrics_dir)
        balance.free(worker.slot)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers, "worker_class": balanced_worker_class(balance),
                "threads": threads, "pre_fork": pre_fork,
                "preload_app": False, "proc_name": "casetrack", "accesslog": None,
                "graceful_timeout": 20, "when_ready": when_ready, "child_exit": child_exit,
                "post_worker_init": post_worker_init,
            }.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            from web import create_app

            return create_app(settings)

    try:
        Server().run()
    finally:
        if supervisor is not None:
            supervisor.stop()
    return 0
