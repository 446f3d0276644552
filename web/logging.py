"""structlog configuration, request ids, and one summary line per request.

No personal data in any line: the summary names the route rule (not the URL), the
status, the duration, and the actor by the same pseudonym the audit trail shows a reader
without a purpose (``application.access.pseudonym`` under the services' naming key), with
their role and organisation.
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import multiprocessing.util
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson
import structlog
from flask import Flask, Response

from application.access import pseudonym
from web.context import current_request, request_globals
from web.json_words import json_words
from web.services import services_of

logger = structlog.get_logger()
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def configure_logging(log_format: str = "json") -> None:
    """Configure structlog once, before the app exists: JSON lines or a console."""
    renderer = _renderer(log_format)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Tracebacks without local variables: locals hold request bodies, which may
            # carry personal data.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False))
            if log_format == "json" else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        # WriteLogger: the line and its newline in one write, then a flush (PrintLogger's
        # print writes them apart); the same bytes on stderr.
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


class LineBatches:
    """A text stream for the log lines of a serving worker: each line is kept in memory
    and one thread of its own writes what has gathered to ``stream`` every ``interval``
    seconds, in one write.

    A write to stderr releases the GIL, and with several request threads the one that
    wrote waits for it again behind the others: one summary line per request cost a cheap
    answer a third of its CPU (``benchmarks.floor``, ``/livez``, 8 threads: 0.395 ms an
    answer written per line, 0.303 ms with no write at all). The lines keep their order;
    they reach the stream at most ``interval`` seconds late, and all of them when the
    process ends (``close``, at exit). A process killed outright (SIGKILL) loses what it
    had not written, at most ``interval`` seconds of lines. If the stream falls behind,
    a writer past ``most`` waiting lines writes them itself, so memory stays bounded."""

    def __init__(self, stream: Any, interval: float = 0.05, most: int = 10_000) -> None:
        self._stream, self._interval, self._most = stream, interval, most
        self._lines: collections.deque[str] = collections.deque()
        self._writing = threading.Lock()  # one drain at a time, so lines keep their order
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-lines", daemon=True)
        self._thread.start()

    def write(self, text: str) -> int:
        self._lines.append(text)  # deque.append: atomic, no lock on the request's path
        if len(self._lines) > self._most:
            self._drain()
        return len(text)

    def flush(self) -> None:
        """Nothing: the thread writes (structlog's WriteLogger flushes after each line)."""

    def _run(self) -> None:
        while not self._closed.wait(self._interval):
            self._drain()

    def _drain(self) -> None:
        with self._writing:
            lines = self._lines
            gathered = []
            while lines:
                gathered.append(lines.popleft())
            if gathered:
                self._stream.write("".join(gathered))
                self._stream.flush()

    def close(self) -> None:
        """Stop the thread and write every line still kept; idempotent."""
        self._closed.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._drain()


def write_lines_in_batches(interval: float = 0.05) -> LineBatches:
    """Send this process's log lines to stderr through a ``LineBatches`` from now on,
    written out when the process ends, however it ends short of being killed: at exit, or
    when a granian worker (a multiprocessing child, which skips ``atexit``) returns. For a
    serving worker, after its app is built and after any fork."""
    batches = LineBatches(sys.stderr, interval)
    structlog.configure(logger_factory=structlog.WriteLoggerFactory(batches))  # type: ignore[arg-type]
    atexit.register(batches.close)
    multiprocessing.util.Finalize(None, batches.close, exitpriority=0)
    return batches


def granian_log_config(log_format: str = "json") -> dict[str, Any]:
    """granian's own log lines (a worker that exits unexpectedly, a crash loop) as ours:
    JSON lines on stderr with ``level``, ``timestamp`` and ``logger: granian`` (or the
    console's), rather than ``[ERROR] ...`` text on stdout beside the JSON lines. A
    ``logging.config.dictConfig`` for granian's ``log_dictconfig``."""
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                       _renderer(log_format)],
        "foreign_pre_chain": [structlog.stdlib.add_log_level, _from_granian,
                              structlog.processors.TimeStamper(fmt="iso", utc=True),
                              structlog.processors.format_exc_info],
    }
    handler = {"class": "logging.StreamHandler", "formatter": "casetrack",
               "stream": "ext://sys.stderr"}
    return {"formatters": {"casetrack": formatter}, "handlers": {"casetrack": handler},
            "loggers": {"_granian": {"handlers": ["casetrack"], "propagate": False},
                        "granian.access": {"handlers": ["casetrack"], "propagate": False}}}


def _from_granian(logger: Any, method: str, event: Any) -> Any:
    event["logger"] = "granian"
    return event


def _renderer(log_format: str) -> structlog.types.Processor:
    """A line's last step: JSON, or the console's (tracebacks without local variables)."""
    if log_format == "console":
        return structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
            if _has_rich() else structlog.dev.plain_traceback)
    return structlog.processors.JSONRenderer(serializer=json_line)


def json_line(event: dict[str, Any], default: Callable[[Any], Any]) -> str:
    """Return a log line's JSON, written by orjson (docs/decisions/0029-orjson.md): a
    request's summary line in 0.44 us against ``json.dumps``'s 3.85, about 1% of a
    write's instructions. Text is UTF-8, dates, moments and ids in their ISO words; what
    orjson refuses (a number past 64 bits) is written by ``json.dumps`` in the same words,
    with structlog's ``default``."""
    try:
        return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(event, default=lambda value: json_words(value, default))


def _has_rich() -> bool:
    import importlib.util

    return importlib.util.find_spec("rich") is not None


class _BoundOnce:
    """The summary line's logger, assembled from structlog's configuration once and again
    only when that changes (``structlog.testing.capture_logs`` reconfigures it): the
    module's lazy logger assembles a new one on every call."""

    def __init__(self) -> None:
        self._made_from: tuple[Any, ...] = ()
        self._logger: Any = None

    def logger(self) -> Any:
        config = structlog.get_config()
        made_from = (config["processors"], config["logger_factory"],
                     config["wrapper_class"], config["context_class"])
        if not (len(made_from) == len(self._made_from)
                and all(a is b for a, b in zip(made_from, self._made_from, strict=True))):
            self._logger, self._made_from = structlog.get_logger().bind(), made_from
        return self._logger


_summary = _BoundOnce()


def init_app(app: Flask) -> None:
    """Bind a request id per request and log one summary line when it ends."""

    @app.before_request
    def bind_request_id() -> None:
        given = current_request().environ.get("HTTP_X_REQUEST_ID", "")  # X-Request-ID
        # 128 random bits as 32 hex digits, like uuid4().hex, from the random module (seeded
        # from the OS, and again in each forked worker) rather than a read of os.urandom per
        # request: an id to find a request by, never a secret (a caller may send its own).
        request_id = given if _REQUEST_ID.match(given) else f"{random.getrandbits(128):032x}"
        here = request_globals()
        here.request_id = request_id
        here.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

    @app.after_request
    def summarise(response: Response) -> Response:
        here, asked = request_globals(), current_request()
        response.headers["X-Request-ID"] = here.get("request_id", "")
        actor = here.get("actor")
        _summary.logger().info(
            "request", method=asked.method,
            route=asked.url_rule.rule if asked.url_rule else None,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - here.get("started", time.perf_counter()))
                              * 1000, 2),
            actor=_pseudonym(actor.user_id, services_of(app).naming_key) if actor else None,
            role=actor.role if actor else None,
            organisation=actor.organisation if actor else None,
        )
        return response


# The summary names the same few actors over and over: each one's pseudonym (an HMAC) is
# computed once per naming key (application.access.pseudonym, the one definition).
_pseudonym = lru_cache(maxsize=4096)(pseudonym)
