"""The alert queue as the ops room sees it: incidents folded from ops.alert.v1 threads.

An incident is a thread of messages sharing ``incident``: an Alert, Updates, a Cancel, and
operators' Acks. The queue shows one row per incident with its latest content, ordered so the
thing to look at first is on top: open before closed, escalated first, then severity, urgency
and onset. Severe and extreme incidents nobody has acknowledged are escalated by the same rule
and on the same clock (match time) as the twin's (``streams.alerts.EscalationPolicy``), so the
page never disagrees with the alert thread; it only shows the escalation before the twin's
Update arrives.
"""

from __future__ import annotations

from typing import Any

from streams.alerts import EscalationPolicy
from streams.messages import SEVERITIES, URGENCIES, Ack, Alert

__all__ = ["EscalationPolicy", "due_for_escalation", "fold_ack", "fold_content", "queue_order"]

# most severe / urgent first: the reverse of the one CAP order in streams.messages
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}
URGENCY_RANK = {name: rank for rank, name in enumerate(reversed(URGENCIES))}
ASSIGN_PREFIX = "assigned to "  # an Ack whose note starts so assigns the incident


def new_incident(message: Alert | Ack, *, received: float, clock_s: float) -> dict[str, Any]:
    """An empty incident row for the thread ``message`` belongs to, opened at match ``clock_s``."""
    return {
        "incident": message.incident,
        "state": "new",
        "msgType": message.msg_type,
        "sender": message.sender,
        "status": message.status,
        "sent": message.sent.isoformat(),
        "first_seen": received,
        "opened_clock_s": clock_s,
        "updated": received,
        "acked_by": None,
        "acked_at": None,
        "assignee": None,
        "escalated": False,
        "escalated_at": None,
        "onset_clock_s": None,
        "event": None,
        "rule": None,
        "urgency": None,
        "severity": None,
        "certainty": None,
        "onset": None,
        "expires": None,
        "headline": None,
        "instruction": None,
        "zone": message.zone,
        "areaDesc": None,
        "value": None,
        "threshold": None,
        "scope": message.scope,
        "category": [],
        "messages": 0,
        "last_message": message.reference.cap(),  # CAP sender,identifier,sent of the newest
    }


def fold_content(incident: dict[str, Any], message: Alert, *, received: float) -> None:
    """Apply an Alert, Update or Cancel to its incident row (latest message wins).

    The row is the incident, not the message: an Update (a forecast come true, a severity
    change, a re-issue before expiry) changes this row in place.
    """
    incident.update(
        event=message.event,
        rule=message.rule,
        urgency=message.urgency,
        severity=message.severity,
        certainty=message.certainty,
        onset=message.onset.isoformat(),
        expires=message.expires.isoformat(),
        headline=message.headline,
        instruction=message.instruction,
        zone=message.zone,
        areaDesc=message.area_desc,
        value=message.value,
        threshold=message.threshold,
        msgType=message.msg_type,
        sent=message.sent.isoformat(),
        status=message.status,
        scope=message.scope,
        category=list(message.category),
        updated=received,
        messages=incident.get("messages", 0) + 1,  # an Update changes this row, never adds one
        last_message=message.reference.cap(),
    )
    state = "closed" if message.msg_type == "Cancel" else message.state
    if incident["acked_by"] is not None and state == "new":
        state = "acked"  # an Update re-sent before the twin saw the Ack must not un-ack it
    incident["state"] = state
    if state == "escalated" and not incident["escalated"]:
        incident["escalated"], incident["escalated_at"] = True, received


def fold_ack(incident: dict[str, Any], message: Ack, *, received: float) -> str:
    """Apply an operator's Ack; returns the audit action ("acknowledged" or "assigned ...")."""
    incident["acked_by"] = message.sender
    incident["acked_at"] = message.sent.isoformat()
    incident["updated"] = received
    if incident["state"] in ("new", "escalated"):
        incident["state"] = "acked"
    if message.note.startswith(ASSIGN_PREFIX):
        incident["assignee"] = message.note[len(ASSIGN_PREFIX) :].strip()
        return f"assigned to {incident['assignee']}"
    return "acknowledged"


def due_for_escalation(incident: dict[str, Any], policy: EscalationPolicy, now_s: float) -> bool:
    """The twin's escalation rule on the dashboard's row, at match clock ``now_s``."""
    return not incident["escalated"] and policy.due(
        state=incident["state"],
        severity=incident["severity"],
        opened_s=incident["opened_clock_s"],
        now_s=now_s,
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
