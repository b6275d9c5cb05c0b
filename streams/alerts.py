"""The alert book: turns rule findings into CAP-style alert threads without flapping.

Lifecycle of one incident (one rule on one zone), in twin clock seconds:

* a *raised* finding with no open incident opens one: ``Alert``, state ``new``;
* while the rule keeps returning findings (raised, or near: inside the hysteresis band) the
  incident stays open; a severity increase is an ``Update`` at once, a decrease only once the
  lower severity has held for ``clear_after_s``;
* no finding at all for ``clear_after_s``: ``Cancel``, state ``closed``;
* a Severe or Extreme incident still ``new`` (nobody acknowledged) ``escalate_after_s`` after it
  opened: ``Update``, state ``escalated``, urgency Immediate;
* an operator's ``Ack`` (msgType Ack, references = [incident]): ``Update``, state ``acked``.

Every message of a thread carries the incident id and references the previous message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.messages import OPS_ALERT, Message, at_clock, iso, new_id
from streams.rules import SEVERITIES, Finding


@dataclass(frozen=True)
class Lifecycle:
    """Hysteresis and escalation settings (``lifecycle:`` in the rules YAML)."""

    band: float = 0.85  # findings down to band x threshold keep an incident open
    clear_after_s: float = 60.0
    escalate_after_s: float = 180.0
    expires_s: float = 900.0
    sender: str = "matchday-twin"
    status: str = "Actual"


@dataclass
class Incident:
    """An open alert thread (mutable bookkeeping inside the book, never sent as is)."""

    incident: str
    last_id: str
    finding: Finding
    opened_s: float
    last_seen_s: float
    state: str = "new"
    lower_since_s: float | None = None
    ids: list[str] = field(default_factory=list)


class AlertBook:
    """Open incidents by (rule, zone); ``update`` and ``acknowledge`` return messages to send."""

    def __init__(
        self, lifecycle: Lifecycle, day: datetime, labels: Mapping[str, str] | None = None
    ) -> None:
        self.lifecycle = lifecycle
        self.day = day
        self.labels = dict(labels or {})
        self.open: dict[tuple[str, str], Incident] = {}
        self.new_id: Callable[[], str] = new_id

    def update(self, findings: Sequence[Finding], clock_s: float) -> list[Message]:
        """Apply one evaluation's findings at ``clock_s``."""
        out: list[Message] = []
        seen = set()
        for f in findings:
            key = (f.rule, f.zone)
            seen.add(key)
            incident = self.open.get(key)
            if incident is None:
                if f.raised:
                    out.append(self._open(f, clock_s))
                continue
            incident.last_seen_s = clock_s
            out.extend(self._maybe_change_severity(incident, f, clock_s))
        for key, incident in list(self.open.items()):
            if key not in seen and clock_s - incident.last_seen_s >= self.lifecycle.clear_after_s:
                out.append(self._message(incident, "Cancel", clock_s, state="closed"))
                del self.open[key]
        out.extend(self._escalate(clock_s))
        return out

    def acknowledge(self, ack: Message, clock_s: float) -> list[Message]:
        """Handle an operator's Ack; unknown or closed incidents are ignored (already over)."""
        refs = set(ack.get("references", []))
        for incident in self.open.values():
            if incident.incident in refs or refs & set(incident.ids):
                if incident.state == "acked":
                    return []
                return [self._message(incident, "Update", clock_s, state="acked")]
        return []

    def _open(self, f: Finding, clock_s: float) -> Message:
        ident = self.new_id()
        incident = Incident(ident, ident, f, clock_s, clock_s)
        self.open[(f.rule, f.zone)] = incident
        return self._message(incident, "Alert", clock_s, state="new", first=True)

    def _maybe_change_severity(self, inc: Incident, f: Finding, clock_s: float) -> list[Message]:
        old = SEVERITIES.index(inc.finding.severity)
        new = SEVERITIES.index(f.severity)
        if new > old:
            inc.finding, inc.lower_since_s = f, None
            state = "escalated" if self._escalation_due(inc, clock_s) else ""
            return [self._message(inc, "Update", clock_s, state=state)]
        if new == old:
            inc.finding, inc.lower_since_s = f, None
            return []
        if inc.lower_since_s is None:
            inc.lower_since_s = clock_s
        if clock_s - inc.lower_since_s >= self.lifecycle.clear_after_s:
            inc.finding, inc.lower_since_s = f, None
            return [self._message(inc, "Update", clock_s)]
        return []

    def _escalation_due(self, inc: Incident, clock_s: float) -> bool:
        severe = inc.finding.severity in ("Severe", "Extreme")
        late = clock_s - inc.opened_s >= self.lifecycle.escalate_after_s
        return inc.state == "new" and severe and late

    def _escalate(self, clock_s: float) -> list[Message]:
        return [
            self._message(inc, "Update", clock_s, state="escalated")
            for inc in self.open.values()
            if self._escalation_due(inc, clock_s)
        ]

    def _message(
        self, inc: Incident, msg_type: str, clock_s: float, *, state: str = "", first: bool = False
    ) -> Message:
        """Build the CAP message for ``inc`` and advance the thread."""
        f, lc = inc.finding, self.lifecycle
        ident = inc.incident if first else self.new_id()
        references = [] if first else [inc.last_id]
        inc.state = state or inc.state
        inc.last_id = ident
        inc.ids.append(ident)
        onset = f.onset_s if f.onset_s is not None else clock_s
        message: dict[str, Any] = {
            "schema": OPS_ALERT,
            "id": ident,
            "identifier": ident,
            "sender": lc.sender,
            "sent": iso(at_clock(self.day, clock_s)),
            "status": lc.status,
            "msgType": msg_type,
            "incident": inc.incident,
            "references": references,
            "event": f.event,
            "rule": f.rule,
            "urgency": "Immediate" if inc.state == "escalated" else f.urgency,
            "severity": f.severity,
            "certainty": f.certainty,
            "onset": iso(at_clock(self.day, onset)),
            "expires": iso(at_clock(self.day, clock_s + lc.expires_s)),
            "headline": f.headline[:256],
            "instruction": f.instruction[:1000],
            "zone": f.zone,
            "areaDesc": self.labels.get(f.zone, f.zone)[:256],
            "state": inc.state,
            "value": round(float(f.value), 4),
            "threshold": round(float(f.threshold), 4),
        }
        return message
