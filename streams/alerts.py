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

The clock is the match clock (the twin's ``clock_s``), for the twin and the dashboard alike:
``EscalationPolicy`` is the one escalation rule both apply, and ``SEVERITIES`` (in
``streams.messages``) the one severity order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from streams.messages import SEVERITIES, Ack, Alert, at_clock, new_id
from streams.rules import Finding

ESCALATING = ("Severe", "Extreme")


@dataclass(frozen=True)
class EscalationPolicy:
    """Escalate incidents of ``severities`` nobody acknowledged ``after_s`` match seconds in."""

    after_s: float = 180.0
    severities: tuple[str, ...] = ESCALATING

    def __post_init__(self) -> None:
        if not self.after_s >= 0:
            raise ValueError(f"escalation after_s must be >= 0 seconds, got {self.after_s}")
        unknown = [s for s in self.severities if s not in SEVERITIES]
        if unknown:
            raise ValueError(f"escalation severities must be CAP severities, got {unknown}")

    def due(self, *, state: str, severity: str | None, opened_s: float, now_s: float) -> bool:
        """True when an open, unacknowledged incident has waited too long at this severity."""
        return state == "new" and severity in self.severities and now_s - opened_s >= self.after_s


@dataclass(frozen=True)
class Lifecycle:
    """Hysteresis and escalation settings (``lifecycle:`` in the rules YAML)."""

    band: float = 0.85  # findings down to band x threshold keep an incident open
    clear_after_s: float = 60.0
    escalate_after_s: float = 180.0
    expires_s: float = 900.0
    sender: str = "matchday-twin"
    status: str = "Actual"

    @property
    def escalation(self) -> EscalationPolicy:
        """The escalation rule of this lifecycle (shared with the dashboard)."""
        return EscalationPolicy(after_s=self.escalate_after_s)


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

    def update(self, findings: Sequence[Finding], clock_s: float) -> list[Alert]:
        """Apply one evaluation's findings at ``clock_s``."""
        out: list[Alert] = []
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

    def acknowledge(self, ack: Ack, clock_s: float) -> list[Alert]:
        """Handle an operator's Ack; unknown or closed incidents are ignored (already over)."""
        refs = set(ack.references) | {ack.incident}
        for incident in self.open.values():
            if incident.incident in refs or refs & set(incident.ids):
                if incident.state == "acked":
                    return []
                return [self._message(incident, "Update", clock_s, state="acked")]
        return []

    def _open(self, f: Finding, clock_s: float) -> Alert:
        ident = self.new_id()
        incident = Incident(ident, ident, f, clock_s, clock_s)
        self.open[(f.rule, f.zone)] = incident
        return self._message(incident, "Alert", clock_s, state="new", first=True)

    def _maybe_change_severity(self, inc: Incident, f: Finding, clock_s: float) -> list[Alert]:
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
        return self.lifecycle.escalation.due(
            state=inc.state, severity=inc.finding.severity, opened_s=inc.opened_s, now_s=clock_s
        )

    def _escalate(self, clock_s: float) -> list[Alert]:
        return [
            self._message(inc, "Update", clock_s, state="escalated")
            for inc in self.open.values()
            if self._escalation_due(inc, clock_s)
        ]

    def _message(
        self, inc: Incident, msg_type: str, clock_s: float, *, state: str = "", first: bool = False
    ) -> Alert:
        """Build the CAP message for ``inc`` and advance the thread."""
        f, lc = inc.finding, self.lifecycle
        ident = inc.incident if first else self.new_id()
        references = () if first else (inc.last_id,)
        inc.state = state or inc.state
        inc.last_id = ident
        inc.ids.append(ident)
        onset = f.onset_s if f.onset_s is not None else clock_s
        return Alert(
            id=ident,
            sender=lc.sender,
            sent=at_clock(self.day, clock_s),
            status=lc.status,
            msg_type=msg_type,
            incident=inc.incident,
            references=references,
            event=f.event,
            rule=f.rule,
            urgency="Immediate" if inc.state == "escalated" else f.urgency,
            severity=f.severity,
            certainty=f.certainty,
            onset=at_clock(self.day, onset),
            # CAP: an alert expires after its onset (a forecast's onset can be 20 min ahead)
            expires=at_clock(self.day, max(clock_s, onset) + lc.expires_s),
            headline=f.headline[:256],
            instruction=f.instruction[:1000],
            zone=f.zone,
            area_desc=self.labels.get(f.zone, f.zone)[:256],
            state=inc.state,
            value=round(float(f.value), 4),
            threshold=round(float(f.threshold), 4),
        )
