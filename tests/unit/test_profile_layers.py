"""benchmarks/profile_server.py's CPU by layer: each py-spy sample counted in the layer of
its innermost Python frame, by process, and each process's CPU per event shared out by
its samples (issue 17's per-layer breakdown)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.profile_server import OTHER, layer_of, layer_table, samples_by_layer

SERVER = 'process 10:"python -m web.cli serve --port 1"'
WORKER = 'process 11:"python -m web.cli serve --port 1"'
PROJECTIONS = 'process 12:"python -m web.cli projections run --parent 10"'
REQUEST = ("_callback_wrapper.<locals>._runner (granian/wsgi.py:57);"
           "Flask.wsgi_app (flask/app.py:1511)")


def test_a_frame_takes_the_layer_of_its_module() -> None:
    assert layer_of("Flask.wsgi_app (flask/app.py:1511)") == "Flask, werkzeug, flask-smorest"
    assert layer_of("SQLiteConnection.commit (eventsourcing/sqlite.py:86)").startswith(
        "database calls")
    assert layer_of("Mapper.to_stored_event (eventsourcing/persistence.py:392)").startswith(
        "eventsourcing library")
    assert layer_of("summarise (web/logging.py:200)").startswith("log lines")
    assert layer_of("post (web/children.py:66)").startswith("request hooks and views")
    assert layer_of("compute_clocks (domain/clocks.py:355)").startswith("domain")
    assert layer_of("Condition.wait (threading.py:331)") == OTHER


def test_samples_count_by_process_and_innermost_frame(tmp_path: Path) -> None:
    raw = tmp_path / "stacks.txt"
    raw.write_text("\n".join([
        f"{SERVER};{WORKER};thread (21);{REQUEST};compute_clocks (domain/clocks.py:355) 6",
        f"{SERVER};{WORKER};thread (22);{REQUEST} 3",
        f"{SERVER};{WORKER};thread (23) 1",  # no Python frame: granian's own work
        f"{SERVER};{PROJECTIONS};thread (31);fold (domain/state.py:287) 2",
        f"{SERVER};thread (10): MainThread;Event.wait (threading.py:629) 1",
        "not a stack line",
    ]) + "\n")

    counts = samples_by_layer(raw)

    assert dict(counts["worker"]) == {"domain (rules, folds, clocks, hashes)": 6,
                                      "Flask, werkzeug, flask-smorest": 3,
                                      "HTTP server (granian)": 1}
    assert dict(counts["projections"]) == {"domain (rules, folds, clocks, hashes)": 2}
    assert dict(counts["server"]) == {OTHER: 1}


def test_each_process_cpu_is_shared_out_by_its_samples(tmp_path: Path) -> None:
    raw = tmp_path / "stacks.txt"
    raw.write_text(f"{SERVER};{WORKER};thread (21);{REQUEST};"
                   "compute_clocks (domain/clocks.py:355) 3\n"
                   f"{SERVER};{WORKER};thread (22);{REQUEST} 1\n")

    table = layer_table(samples_by_layer(raw), {"worker": 2.0, "server": 0.0})

    rows = {line[:56].strip(): line[56:].split() for line in table.splitlines()[1:]}
    assert rows["domain (rules, folds, clocks, hashes)"] == ["1.500", "(75%)"]
    assert rows["Flask, werkzeug, flask-smorest"] == ["0.500", "(25%)"]
    assert rows["all (from /proc: user + system)"] == ["2.000"]
    assert "server" not in table.splitlines()[0]  # no CPU: no column
