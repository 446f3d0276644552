"""A serving worker's log lines, written in batches by a thread of their own
(``web.logging.LineBatches``): every line, in order, in fewer writes than lines."""

from __future__ import annotations

import threading
import time

from web.logging import LineBatches


class Stream:
    """A stream that keeps each write apart, as stderr would receive them."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.flushes = 0

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        self.flushes += 1

    def lines(self) -> list[str]:
        return "".join(self.writes).splitlines()


def test_lines_from_many_threads_all_arrive_each_thread_s_in_order_in_few_writes() -> None:
    stream = Stream()
    batches = LineBatches(stream, interval=0.01)

    def write(thread: int) -> None:
        for n in range(2000):
            batches.write(f"{thread}:{n}\n")

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for each in threads:
        each.start()
    for each in threads:
        each.join()
    batches.close()
    lines = stream.lines()
    assert len(lines) == 8 * 2000
    for thread in range(8):
        assert [line for line in lines if line.startswith(f"{thread}:")] == [
            f"{thread}:{n}" for n in range(2000)]
    assert len(stream.writes) < len(lines) / 10
    assert stream.flushes == len(stream.writes)


def test_a_line_reaches_the_stream_within_the_interval_without_a_close() -> None:
    stream = Stream()
    batches = LineBatches(stream, interval=0.02)
    try:
        batches.write("one\n")
        assert stream.writes == []  # not on the writer's thread
        deadline = time.monotonic() + 2
        while not stream.writes and time.monotonic() < deadline:
            time.sleep(0.005)
        assert stream.lines() == ["one"]
    finally:
        batches.close()


def test_a_writer_past_the_most_waiting_lines_writes_them_itself() -> None:
    stream = Stream()
    batches = LineBatches(stream, interval=60, most=5)  # the thread would wait a minute
    try:
        for n in range(6):
            batches.write(f"{n}\n")
        assert stream.lines() == [str(n) for n in range(6)]
    finally:
        batches.close()
    assert stream.lines() == [str(n) for n in range(6)]


def test_close_writes_what_is_left_stops_the_thread_and_may_be_called_again() -> None:
    stream = Stream()
    batches = LineBatches(stream, interval=60)
    batches.write("last\n")
    batches.close()
    batches.close()
    assert stream.lines() == ["last"]
    assert not any(t.name == "log-lines" and t.is_alive() for t in threading.enumerate()
                   if t is batches._thread)
