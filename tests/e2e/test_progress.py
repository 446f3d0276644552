"""Long command-line work shows its progress on a terminal (counts, rate, time left) and
nothing when stderr is piped, or with --quiet: each command runs as a real process, its
stderr on a pseudo-terminal (the ``pty`` module) or on a pipe; stdout is always a pipe,
so what a script reads is never mixed with the bar."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

from application.demo import DEMO_AUTHORITY
from tests.e2e.test_command_line import casetrack
from tests.e2e.test_server import ROOT

AUTHORITY = "LA-901"
SEN2_YEAR = "2025"


def environment(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "CASETRACK_SECRET_KEY": "a-test-secret-of-at-least-32-bytes-long!",
           "CASETRACK_LOG_FORMAT": "json", "TERM": "xterm",
           "CASETRACK_SEN2_LA_NUMBERS": f"{AUTHORITY}=901,LA-SYN-1=999"}
    for name in ("CASETRACK_DATABASE_URL", "COLUMNS", "LINES", "NO_COLOR"):
        env.pop(name, None)
    return env


def on_a_terminal(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``casetrack args`` with stderr on a 120-column pseudo-terminal; return the exit
    code, stdout and what the terminal showed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "web.cli", *args], cwd=ROOT,
                               env=environment(tmp_path), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    out, _ = process.communicate(timeout=120)
    reader.join(timeout=30)
    os.close(leader)
    return process.returncode, out.decode(), shown.decode(errors="replace")


def piped(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT,
                          env=environment(tmp_path), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def counted(shown: str, what: str) -> tuple[int, int]:
    """Return the last ``done/total`` the terminal showed on the line of ``what``."""
    found = re.findall(re.escape(what) + r"[^\n\r]*?(\d[\d,]*)/(\d[\d,]*)", shown)
    assert found, f"no progress for {what!r} in {shown!r}"
    done, total = found[-1]
    return int(done.replace(",", "")), int(total.replace(",", ""))


def import_file(tmp_path: Path, children: int) -> Path:
    path = tmp_path / "journeys.jsonl"
    path.write_text("".join(json.dumps({
        "case_ref": f"IMP-{n}", "type": "ChildRegistered", "occurred_on": "2024-01-02",
        "date_of_birth": "2015-03-02"}) + "\n" for n in range(children)))
    return path


def test_the_long_commands_show_counts_rate_and_time_left_on_a_terminal(
        tmp_path: Path) -> None:
    code, out, shown = on_a_terminal(tmp_path, "demo")
    assert code == 0 and "loaded 5 demo journeys" in out
    assert counted(shown, "demo journeys") == (5, 5)
    assert re.search(r"(\d[\d,]*|\?)/s", shown) and "left" in shown  # rate, time left
    assert "/s" not in out and "left" not in out  # the bar is on stderr only
    code, out, shown = on_a_terminal(tmp_path, "import", str(import_file(tmp_path, 7)),
                                     "--org", AUTHORITY)
    assert code == 0, out
    assert counted(shown, "children imported") == (7, 7)
    code, out, shown = on_a_terminal(tmp_path, "verify")
    assert code == 0 and "verified: the log is intact" in out
    events = int(re.search(r"checked (\d+) events", out).group(1))  # type: ignore[union-attr]
    assert counted(shown, "log entries verified") == (events, events) and events > 7
    code, out, shown = on_a_terminal(tmp_path, "projections", "rebuild", "case_summaries")
    assert code == 0 and "rebuilt case_summaries" in out
    done, total = counted(shown, "case_summaries log positions")
    assert done == total >= events
    code, out, shown = on_a_terminal(tmp_path, "export", "sen2", "--year", SEN2_YEAR,
                                     "--authority", AUTHORITY, "--format", "json")
    assert code == 0, shown
    demo = 5 if DEMO_AUTHORITY == AUTHORITY else 0
    assert counted(shown, "SEN2 journeys") == (7 + demo, 7 + demo)
    assert "SEN2 journeys" not in out and json.loads(out)


def test_no_progress_when_stderr_is_piped_or_the_command_is_quiet(tmp_path: Path) -> None:
    first = piped(tmp_path, "demo")
    assert first.returncode == 0 and "loaded 5 demo journeys" in first.stdout
    assert "demo journeys" not in first.stderr and "/s" not in first.stderr
    verified = piped(tmp_path, "verify")
    assert verified.returncode == 0 and "log entries" not in verified.stderr
    code, out, shown = on_a_terminal(tmp_path, "verify", "--quiet")
    assert code == 0 and "verified: the log is intact" in out
    assert "log entries" not in shown
    forced = piped(tmp_path, "verify", "--progress")
    assert forced.returncode == 0
    assert re.search(r"log entries verified[^\n]*?(\d+)/\1", forced.stderr), forced.stderr


def test_progress_and_quiet_cannot_both_be_asked(tmp_path: Path) -> None:
    both = casetrack(tmp_path, "verify", "--progress", "--quiet")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_the_bar_shows_a_rate_once_items_take_time() -> None:
    import io
    import time

    from web.progress import TerminalProgress

    screen = io.StringIO()
    bar = TerminalProgress(screen, forced=True)
    bar.start("items", 4)
    for _ in range(4):
        time.sleep(0.15)
        bar.advance()
    bar.close()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # colours off
    assert re.search(r"items[^\r\n]*4/4 +\d+/s", plain), plain


def test_the_progress_module_imports_rich_only_when_a_bar_is_shown() -> None:
    """rich costs a fifth of a second to import: --help and piped runs never pay it."""
    probe = ("import sys, argparse\n"
             "from web.progress import progress_for\n"
             "with progress_for(argparse.Namespace(progress=False)) as progress:\n"
             "    progress.start('items', 1)\n"
             "    progress.advance()\n"
             "print('rich' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
