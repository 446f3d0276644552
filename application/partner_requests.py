"""The requests addressed to a partner (issue 16): a school, EP service or health provider
lists what is asked of it — advice (reg 6; clock K2) and consultations on naming a
setting (s.39(2); clock K6) — open ones first by due date, so it answers against the
request's id.

Served from the partners' read model (``infrastructure.partner_requests``), which keeps
each request's clock reading as the domain read it; its status and days late on the day
asked are derived again here by the work tray's ``reading_on`` (``domain.clocks.status_on``
and ``days_late``): no date is computed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from application.errors import ForbiddenError
from application.queries import ReadModels, ensure_reached
from application.worktray import reading_on
from domain.actors import Actor

PARTNER_REQUESTS = "partner_requests"
STATES = ("open", "answered")
KINDS = ("advice", "consultation")
MAX_LIMIT = 500
# What a partner records to answer each kind of request, and the field naming it.
ANSWERS = {"advice": ("AdviceReceived", "advice_request_id"),
           "consultation": ("SettingConsultationResponded", "setting_ref")}


@dataclass(frozen=True)
class RequestFilter:
    """Which requests: open or answered (both by default), of one kind, a page of them."""

    state: str | None = None
    kind: str | None = None
    after: int = 0
    limit: int = 100


class RequestStore(ReadModels, Protocol):
    """What the partner's list needs from the read models."""

    def addressed_to(self, organisation: str) -> list[dict[str, Any]]: ...


def request_item(row: dict[str, Any], today: date) -> dict[str, Any]:
    """One request as the partner sees it on ``today``: its clock's due date as the domain
    set it, its status and days late as they stand today, and how to answer it."""
    reading = reading_on(row["reading"], today) if row["reading"] else None
    answer_type, named_by = ANSWERS[row["kind"]]
    return {
        "request_id": row["request_id"], "kind": row["kind"], "child_id": row["child_id"],
        "authority": row["authority"], "case_ref": row["case_ref"],
        "advice_type": row["advice_type"], "requested_on": row["requested_on"],
        "due_on": reading.due_on if reading else None,
        "status": reading.status.value if reading else "not_applicable",
        "days_late": reading.days_late if reading else None,
        "clock": reading.clock if reading else None,
        "answered_on": row["answered_on"],
        "answer_with": {"type": answer_type,
                        named_by: row["request_id"] if named_by == "advice_request_id"
                        else row["organisation"]},
    }


def _order(item: dict[str, Any]) -> tuple[Any, ...]:
    """Open first by due date (no due date last), then answered, latest answered first."""
    if item["answered_on"] is None:
        return (0, item["due_on"] or date.max, item["requested_on"], item["child_id"],
                item["request_id"])
    return (1, -item["answered_on"].toordinal(), item["child_id"], item["request_id"])


def requests_addressed(store: RequestStore, *, actor: Actor, where: RequestFilter,
                       today: date, consistent_after: int | None = None,
                       head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return a page of the requests addressed to the partner's organisation."""
    if actor.role != "partner":
        raise ForbiddenError(f"role {actor.role!r} is asked for nothing: the requests list "
                             "is a partner's (a school, EP service or health provider)")
    position = ensure_reached(store, consistent_after, (PARTNER_REQUESTS,), head)
    rows = [r for r in store.addressed_to(actor.organisation)
            if (where.kind is None or r["kind"] == where.kind)
            and (where.state is None or (r["answered_on"] is None) == (where.state == "open"))]
    items = sorted((request_item(r, today) for r in rows), key=_order)
    limit = max(1, min(where.limit, MAX_LIMIT))
    page = items[where.after:where.after + limit]
    more = len(items) > where.after + limit
    return {"items": page, "open": sum(1 for i in items if i["answered_on"] is None),
            "as_at": today, "next_after": where.after + limit if more else None,
            "position": position}
