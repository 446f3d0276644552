"""Witnesses: copies of every signed checkpoint kept outside the event database.

Someone who can write to the database can delete checkpoint rows or rewrite them
together with the log. A witness holds each checkpoint as it was signed, where that
writer does not reach:

- ``FileWitness``: an append-only JSON-lines file (``checkpoints.jsonl``) in its own
  directory (``CASETRACK_WITNESS_DIR``; ``<data dir>/witness`` by default: put it on
  another volume or host in production). Directory 0700, file 0600, every line
  fsynced, appends serialised with ``flock`` so two checkpointers never interleave.
  ``casetrack verify`` reads it back and compares it with the store.
- ``CommandWitness`` (``CASETRACK_WITNESS_COMMAND``): runs a command with the
  checkpoint's JSON on its standard input (e.g. ``logger -t casetrack`` or a script
  that copies to object storage with write-once retention).
- ``UrlWitness`` (``CASETRACK_WITNESS_URL``): POSTs the checkpoint's JSON.

A command or URL only publishes; verifying against that copy means fetching it back as
a file (``casetrack verify --witness FILE``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import stat
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

WITNESS_FILE = "checkpoints.jsonl"
LOCK_FILE = ".lock"
PUBLISH_TIMEOUT_SECONDS = 10
logger = structlog.get_logger()


class WitnessError(Exception):
    """Raised when a checkpoint cannot be published to, or read from, a witness."""


class FileWitness:
    """An append-only JSON-lines file of signed checkpoints, in its own directory."""

    def __init__(self, directory: Path, path: Path | None = None) -> None:
        self.directory = Path(directory)
        self.path = Path(path) if path is not None else self.directory / WITNESS_FILE

    def _prepare(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the witness's lock: one checkpointer at a time, across processes."""
        self._prepare()
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT,
                     stat.S_IRUSR | stat.S_IWUSR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def publish(self, checkpoint: dict[str, Any]) -> None:
        line = json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n"
        self._prepare()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         stat.S_IRUSR | stat.S_IWUSR)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise WitnessError(f"witness file {str(self.path)!r}: {error.strerror}") from None

    def read(self) -> list[dict[str, Any]]:
        """Return every checkpoint the witness holds, in the order they were written."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as error:
            raise WitnessError(f"witness file {str(self.path)!r}: {error.strerror}") from None
        entries = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                raise WitnessError(f"witness file {str(self.path)!r} line {number} is not a "
                                   "checkpoint")
            entries.append(entry)
        return entries

    def describe(self) -> str:
        return str(self.path)


class CommandWitness:
    """Run a command with each checkpoint's JSON on its standard input."""

    def __init__(self, command: str) -> None:
        self.command = command

    def publish(self, checkpoint: dict[str, Any]) -> None:
        try:
            done = subprocess.run(shlex.split(self.command), input=json.dumps(
                checkpoint, sort_keys=True).encode(), capture_output=True,
                timeout=PUBLISH_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise WitnessError(f"CASETRACK_WITNESS_COMMAND failed: {error}") from None
        if done.returncode != 0:
            raise WitnessError(f"CASETRACK_WITNESS_COMMAND exited {done.returncode}")

    def describe(self) -> str:
        return f"command {self.command.split()[0] if self.command.split() else ''!r}"


class UrlWitness:
    """POST each checkpoint's JSON to a URL (a transparency log or a collector)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def publish(self, checkpoint: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps(checkpoint, sort_keys=True).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=PUBLISH_TIMEOUT_SECONDS) as answer:
                status = answer.status
        except (urllib.error.URLError, OSError) as error:
            raise WitnessError(f"CASETRACK_WITNESS_URL: {error}") from None
        if not 200 <= status < 300:
            raise WitnessError(f"CASETRACK_WITNESS_URL answered {status}")

    def describe(self) -> str:
        return self.url


class Witnesses:
    """The file witness (always) and the optional command and URL witnesses."""

    def __init__(self, file: FileWitness, others: list[CommandWitness | UrlWitness]
                 ) -> None:
        self.file = file
        self.others = others

    @classmethod
    def configured(cls, directory: Path, command: str | None = None,
                   url: str | None = None) -> Witnesses:
        others: list[CommandWitness | UrlWitness] = []
        if command:
            others.append(CommandWitness(command))
        if url:
            others.append(UrlWitness(url))
        return cls(FileWitness(directory), others)

    def publish(self, checkpoint: dict[str, Any]) -> list[str]:
        """Publish to the file, then to the others; return the failures, one line each.

        The file's failure raises: a checkpoint the file does not hold would read as a
        deleted one. The others are best effort, and their failures are reported.
        """
        self.file.publish(checkpoint)
        failures = []
        for witness in self.others:
            try:
                witness.publish(checkpoint)
            except WitnessError as error:
                failures.append(str(error))
                logger.warning("witness_publish_failed", witness=witness.describe(),
                               seq=checkpoint.get("seq"), error=str(error))
        return failures
