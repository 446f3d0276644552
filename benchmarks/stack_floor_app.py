"""The least a server on casetrack's stack does to record an event over HTTP, for
``benchmarks.stack_floor``: granian, a Flask app with no hooks, and the bare eventsourcing
library's save (``write_path.BareJourneys``, the aims' baseline, with the library's own
recorder). No authentication, validation, rules, idempotency, clocks, audit, log line or
read models: whatever casetrack spends above this is its own.

It answers the requests ``write_path.journey_writer`` sends (``POST /children``, ``POST
/children/<id>/events`` of the two types it writes) and ``GET /livez``. Served as
``granian --interface wsgi benchmarks.stack_floor_app:app`` with the store named by
``STACK_FLOOR_DATA_DIR`` and, for PostgreSQL, ``STACK_FLOOR_DATABASE_URL``; with
``STACK_FLOOR_RECORDER=casetrack`` it saves through casetrack's application recorders
(group commit; on PostgreSQL the one-round-trip insert, ADR 0022) instead of the
library's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from uuid import UUID

from flask import Flask, jsonify, request

from benchmarks.write_path import BareJourneys, library_recorder
from infrastructure.persistence import event_store_env

_store = event_store_env(os.environ.get("STACK_FLOOR_DATABASE_URL") or None,
                         Path(os.environ["STACK_FLOOR_DATA_DIR"]))
journeys = BareJourneys(env=_store if os.environ.get("STACK_FLOOR_RECORDER") == "casetrack"
                        else library_recorder(_store))
app = Flask(__name__)


@app.get("/livez")
def live() -> Any:
    return jsonify(status="live")


@app.post("/children")
def register() -> Any:
    body = request.get_json()
    return jsonify(child_id=str(journeys.register(body["case_ref"]))), 201


@app.post("/children/<uuid:child_id>/events")
def record(child_id: UUID) -> Any:
    kind = request.get_json()["type"]
    if kind == "EHCNeedsAssessmentRequested":
        journeys.request_assessment(child_id)
    elif kind == "DecisionToAssessMade":
        journeys.decide_to_assess(child_id)
    else:
        return jsonify(error=f"unknown type {kind!r}"), 422
    return jsonify(child_id=str(child_id), type=kind), 201
