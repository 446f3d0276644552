"""How ``casetrack serve`` runs: granian, a WSGI server written in Rust (ADR 0026).

- granian's main process binds the port, forks the worker processes (one on the embedded
  store, ``--workers N`` on PostgreSQL) and watches them: a worker that dies is replaced,
  SIGHUP replaces them all in turn, SIGTERM/SIGINT stop them (each finishes what it is
  answering) and then the server. Each worker builds its own app after the fork
  (``worker_app``: no connection pool or thread crosses a fork) and answers on
  ``--threads`` Python threads; HTTP itself (parsing, keep-alive, writing) is granian's
  Rust, outside the GIL.
- The main process also runs the projection process beside the workers (always on the
  embedded store; with ``--projections`` on PostgreSQL) and restarts it if it stops.
- With more than one worker, counters are added up across them for ``/metrics``
  (``PROMETHEUS_MULTIPROC_DIR``).
- A worker stops when the main process is gone (killed, not stopped), as the projection
  process does, so nothing outlives the server.
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import signal
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
    """Raise ``PortTakenError`` now if ``host:port`` cannot be bound (the server would end
    with a traceback)."""
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
        # Held while a process is started, and by ``stop`` while it reads which process
        # to stop: a stop that comes as a process starts either prevents it or stops it.
        self._starting = threading.Lock()
        self._thread = threading.Thread(target=self._supervise, name="projections",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _supervise(self) -> None:
        delay = self.backoff
        while True:
            with self._starting:
                if self.stopping.is_set():
                    return
                process = self.process = subprocess.Popen(
                    self.argv, stdout=None if self.ready_line is None else subprocess.PIPE)
            if self.ready_line is not None:
                self._pass_on(process, self.ready_line)
            code = process.wait()
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
        with self._starting:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self._thread.join(timeout=5)


def watch_parent(parent: int, gone: Callable[[], None],
                 stopping: threading.Event | None = None) -> threading.Thread:
    """Call ``gone`` once process ``parent`` is no longer this process's parent (it was
    killed: stopped, it would have stopped this process itself); checked every second
    until ``stopping`` is set."""
    stopping = stopping or threading.Event()

    def watch() -> None:
        while not stopping.wait(1.0):
            if os.getppid() != parent:
                gone()
                return

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


# What a worker takes out of its environment once its app is built: granian gives every
# request's WSGI environ a copy of the worker's environment, and the settings (keys,
# tokens, the database's password) are read once at start-up.
SECRET_ENVIRONMENT = ("CASETRACK_", "PGPASSWORD")


def forget_secret_environment() -> None:
    for name in [name for name in os.environ if name.startswith(SECRET_ENVIRONMENT)]:
        del os.environ[name]


class WorkersReady:
    """How many workers have built their app, counted in memory the main process shares
    with the workers it forks. A worker starts accepting connections only once every
    worker has (``worker_app``), so the first burst of keep-alive connections is not all
    taken, and kept, by the worker that was ready first; a worker forked later (one
    replaced) finds the count reached and serves at once."""

    def __init__(self, workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self.count = multiprocessing.Value("i", 0)

    def one_more(self) -> None:
        with self.count.get_lock():
            self.count.value += 1

    def wait(self, timeout: float) -> bool:
        """Wait until every worker has built its app; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.count.value < self.workers:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def wait_unless_stopped(ready: Callable[[float], bool], stopping: threading.Event,
                        timeout: float) -> bool:
    """``ready(timeout)`` (a wait such as ``Event.wait``) taken in slices of at most 0.1 s
    and given up once ``stopping`` is set: True once ready, False after ``timeout`` or
    when told to stop."""
    deadline = time.monotonic() + timeout
    while not stopping.is_set():
        left = deadline - time.monotonic()
        if ready(max(0.0, min(0.1, left))):
            return True
        if left <= 0:
            return False
    return False


def worker_app(settings: Settings, embedded_projections: bool, parent: int,
               ready: WorkersReady) -> Any:
    """The app one worker serves, built in the worker after the fork, once every worker
    has built its own (``ready``). Until it serves, SIGTERM/SIGINT stop the worker at once
    (the handlers inherited from the main process would ignore them); then granian's own
    handlers let it finish what it is answering. It stops itself (SIGTERM) if ``parent``,
    the main process, dies. Its log lines go to stderr in batches
    (``web.logging.write_lines_in_batches``)."""
    from web import create_app
    from web.logging import write_lines_in_batches

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = create_app(settings, embedded_projections=embedded_projections)
    write_lines_in_batches()
    forget_secret_environment()
    watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
    freeze_start_up_heap()  # once the app is built, before serving
    ready.one_more()
    ready.wait(WORKERS_START)
    return app


def run_granian(settings: Settings, host: str, port: int, workers: int, threads: int, *,
                embedded_projections: bool, started: Callable[[threading.Event], None],
                stopped: Callable[[], None]) -> int:
    """Serve with ``workers`` granian worker processes until stopped; 0 on a clean stop.

    ``started`` runs in the main process once the port is bound and every worker has
    built its app (so no thread it starts is running at a fork), given an event set once
    the server is told to stop (SIGTERM/SIGINT), so that nothing it waits for delays the
    stop; ``stopped`` once the workers have stopped."""
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server.mp import MPServer

    from web.logging import granian_log_config

    check_port(host, port)
    if workers > 1:
        enable_multiprocess_metrics()
    ready = WorkersReady(workers)
    stopping = threading.Event()

    class CasetrackServer(MPServer):
        def signal_handler_interrupt(self, *args: Any, **kwargs: Any) -> None:
            stopping.set()  # the startup's waits end at once; granian stops after them
            super().signal_handler_interrupt(*args, **kwargs)

        def startup(self, spawn_target: Any, target_loader: Any) -> None:
            super().startup(spawn_target, target_loader)
            if not wait_unless_stopped(ready.wait, stopping, WORKERS_START) \
                    and not stopping.is_set():
                print(f"casetrack: not every worker started in {WORKERS_START:.0f}s",
                      file=sys.stderr, flush=True)
            started(stopping)

    server = CasetrackServer(
        "casetrack", address=host, port=port, interface=Interfaces.WSGI, http=HTTPModes.http1,
        workers=workers, blocking_threads=threads, respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_SECONDS, log_level=LogLevels.error,
        log_dictconfig=granian_log_config(settings.log_format))
    server.on_shutdown(stopped)
    # A partial, not a closure: picklable where processes are spawned rather than forked.
    server.serve(target_loader=functools.partial(
        worker_app, settings, embedded_projections, os.getpid(), ready), wrap_loader=False)
    return 0


# How long the workers may take to build their apps before serving begins regardless.
WORKERS_START = 60.0
# How long a worker has to finish what it is answering once told to stop.
GRACEFUL_SECONDS = 20
