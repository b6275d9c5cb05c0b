"""The alert queue as the ops room sees it: incidents folded from ops.alert.v1 threads.

An incident is a thread of messages sharing ``incident``: an Alert, Updates, a Cancel, and
operators' Acks. The queue shows one row per incident with its latest content, ordered so the
thing to look at first is on top: open before closed, escalated first, then severity, urgency
and onset. Severe and extreme incidents nobody has acknowledged are escalated after a while,
so a missed alert gets louder instead of scrolling away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITY_RANK = {"Extreme": 0, "Severe": 1, "Moderate": 2, "Minor": 3, "Unknown": 4}
URGENCY_RANK = {"Immediate": 0, "Expected": 1, "Future": 2, "Past": 3, "Unknown": 4}
ASSIGN_PREFIX = "assigned to "  # an Ack whose note starts so assigns the incident
CONTENT_FIELDS = (
    "event",
    "rule",
    "urgency",
    "severity",
    "certainty",
    "onset",
    "expires",
    "headline",
    "instruction",
    "zone",
    "areaDesc",
    "value",
    "threshold",
)


@dataclass(frozen=True)
class EscalationPolicy:
    """Escalate open incidents of these severities left unacknowledged for ``after_s`` seconds."""

    after_s: float = 120.0
    severities: tuple[str, ...] = ("Extreme", "Severe")

    def __post_init__(self) -> None:
        if self.after_s <= 0:
            raise ValueError(f"escalation after_s must be > 0 seconds, got {self.after_s}")
        unknown = [s for s in self.severities if s not in SEVERITY_RANK]
        if unknown:
            raise ValueError(f"escalation severities must be CAP severities, got {unknown}")


def new_incident(message: dict[str, Any], *, received: float) -> dict[str, Any]:
    """An empty incident row for the thread ``message`` belongs to."""
    return {
        "incident": message["incident"],
        "state": "new",
        "msgType": message["msgType"],
        "sender": message["sender"],
        "status": message["status"],
        "sent": message["sent"],
        "first_seen": received,
        "updated": received,
        "acked_by": None,
        "acked_at": None,
        "assignee": None,
        "escalated": False,
        "escalated_at": None,
        "onset_clock_s": None,
        **{name: None for name in CONTENT_FIELDS},
    }


def fold_content(incident: dict[str, Any], message: dict[str, Any], *, received: float) -> None:
    """Apply an Alert, Update or Cancel to its incident row (latest message wins)."""
    for name in CONTENT_FIELDS:
        if name in message:
            incident[name] = message[name]
    incident["msgType"] = message["msgType"]
    incident["sent"] = message["sent"]
    incident["status"] = message["status"]
    incident["updated"] = received
    state = "closed" if message["msgType"] == "Cancel" else message.get("state", "new")
    if incident["acked_by"] is not None and state == "new":
        state = "acked"  # an Update re-sent before the twin saw the Ack must not un-ack it
    incident["state"] = state
    if state == "escalated" and not incident["escalated"]:
        incident["escalated"], incident["escalated_at"] = True, received


def fold_ack(incident: dict[str, Any], message: dict[str, Any], *, received: float) -> str:
    """Apply an operator's Ack; returns the audit action ("acknowledged" or "assigned ...")."""
    note = message.get("note", "")
    incident["acked_by"] = message["sender"]
    incident["acked_at"] = message["sent"]
    incident["updated"] = received
    if incident["state"] in ("new", "escalated"):
        incident["state"] = "acked"
    if note.startswith(ASSIGN_PREFIX):
        incident["assignee"] = note[len(ASSIGN_PREFIX) :].strip()
        return f"assigned to {incident['assignee']}"
    return "acknowledged"


def due_for_escalation(incident: dict[str, Any], policy: EscalationPolicy, now: float) -> bool:
    """True when an open, unacknowledged incident of an escalating severity has waited too long."""
    return (
        incident["state"] == "new"
        and not incident["escalated"]
        and incident["severity"] in policy.severities
        and now - incident["first_seen"] >= policy.after_s
    )


def queue_order(incident: dict[str, Any]) -> tuple[int, int, int, int, float, str]:
    """Sort key of the alert queue: open, escalated, severity, urgency, onset, id."""
    onset = incident["onset_clock_s"]
    return (
        1 if incident["state"] == "closed" else 0,
        0 if incident["escalated"] and incident["state"] != "acked" else 1,
        SEVERITY_RANK.get(incident["severity"] or "Unknown", 4),
        URGENCY_RANK.get(incident["urgency"] or "Unknown", 4),
        onset if onset is not None else float("inf"),
        incident["incident"],
    )
