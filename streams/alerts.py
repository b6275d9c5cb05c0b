"""The alert book: turns rule findings into CAP 1.2 alert threads an operator can follow.

One incident per condition and zone: the key is the finding's ``thread`` (``density_forecast``
and ``density_now`` at one Fruin level share one) and zone. Its lifecycle, in twin clock
seconds:

* a *raised* finding with no open incident opens one: ``Alert``, state ``new``;
* each cycle the book takes the strongest finding per incident (severity, then urgency: a
  zone that is at the level *now* outranks one predicted to get there); findings inside the
  hysteresis band count, so the incident does not flap at the threshold;
* a stronger finding is an ``Update`` at once: a forecast that comes true escalates its own
  alert (urgency Immediate, onset the moment it was seen), never a Cancel and a new Alert;
  a weaker one only once it has held for ``clear_after_s``;
* an open incident is re-issued (``Update``) ``refresh_before_s`` before its newest message
  expires, and before the predicted onset would outlive it, so no alert an operator holds
  expires while its condition is still open or still ahead; every message expires
  ``expires_s`` after its onset;
* no finding at all for ``clear_after_s``: ``Cancel``, state ``closed``;
* a Severe or Extreme incident still ``new`` (nobody acknowledged) ``escalate_after_s`` after it
  opened: ``Update``, state ``escalated``, urgency Immediate;
* an operator's ``Ack`` (msgType Ack, references the acknowledged message): ``Update``, state
  ``acked``.

Every message of a thread carries the incident id and references (CAP ``sender,identifier,
sent``) the thread's first Alert and the message before it.

The clock is the match clock (the twin's ``clock_s``), for the twin and the dashboard alike:
``EscalationPolicy`` is the one escalation rule both apply, and ``SEVERITIES`` (in
``streams.messages``) the one severity order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from streams.messages import (
    RESTRICTION,
    SEVERITIES,
    URGENCIES,
    Ack,
    Alert,
    Reference,
    at_clock,
    new_id,
)
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
    """Hysteresis, escalation and CAP settings (``lifecycle:`` in the rules YAML)."""

    band: float = 0.85  # findings down to band x threshold keep an incident open
    clear_after_s: float = 60.0
    escalate_after_s: float = 180.0
    expires_s: float = 900.0
    refresh_before_s: float = 120.0  # re-issue an open alert this long before it expires
    sender: str = "matchday-twin"
    status: str = "Actual"  # the live command sets Exercise for a replay or demo
    scope: str = "Restricted"
    restriction: str = RESTRICTION

    def __post_init__(self) -> None:
        if not 0 <= self.refresh_before_s < self.expires_s:
            raise ValueError(
                f"lifecycle refresh_before_s ({self.refresh_before_s}) must be >= 0 and below "
                f"expires_s ({self.expires_s}), or an alert would be re-issued every cycle"
            )

    @property
    def escalation(self) -> EscalationPolicy:
        """The escalation rule of this lifecycle (shared with the dashboard)."""
        return EscalationPolicy(after_s=self.escalate_after_s)


def rank(f: Finding) -> tuple[int, int]:
    """How strong a finding is: severity, then urgency (now beats predicted)."""
    return SEVERITIES.index(f.severity), URGENCIES.index(f.urgency)


@dataclass
class Incident:
    """An open alert thread (mutable bookkeeping inside the book, never sent as is)."""

    incident: str
    first: Reference  # the thread's Alert
    last: Reference  # the thread's newest message
    finding: Finding  # what the newest message says
    opened_s: float
    last_seen_s: float
    state: str = "new"
    lower_since_s: float | None = None
    ids: list[str] = field(default_factory=list)
    expires_s: float = 0.0  # match clock the newest message expires
    now_since_s: float | None = None  # when the condition was first seen holding now

    @property
    def last_id(self) -> str:
        return self.last.identifier


class AlertBook:
    """Open incidents by (thread, zone); ``update`` and ``acknowledge`` return messages to send."""

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
        by_key: dict[tuple[str, str], list[Finding]] = {}
        for f in findings:
            by_key.setdefault(f.key, []).append(f)
        out: list[Alert] = []
        for key, found in by_key.items():
            incident = self.open.get(key)
            if incident is None:
                raised = [f for f in found if f.raised]
                if raised:
                    out.append(self._open(max(raised, key=rank), clock_s))
                continue
            incident.last_seen_s = clock_s
            out.extend(self._follow(incident, self._strongest(incident, found), clock_s))
        for key, incident in list(self.open.items()):
            if key not in by_key and clock_s - incident.last_seen_s >= self.lifecycle.clear_after_s:
                out.append(self._message(incident, "Cancel", clock_s, state="closed"))
                del self.open[key]
        out.extend(self._escalate(clock_s))
        sent = {m.incident for m in out}
        out.extend(
            self._message(inc, "Update", clock_s)
            for inc in self.open.values()
            if inc.incident not in sent and self._expiring(inc, clock_s)
        )
        return out

    def acknowledge(self, ack: Ack, clock_s: float) -> list[Alert]:
        """Handle an operator's Ack; unknown or closed incidents are ignored (already over)."""
        refs = {r.identifier for r in ack.references} | {ack.incident}
        for incident in self.open.values():
            if incident.incident in refs or refs & set(incident.ids):
                if incident.state == "acked":
                    return []
                return [self._message(incident, "Update", clock_s, state="acked")]
        return []

    def _open(self, f: Finding, clock_s: float) -> Alert:
        ident = self.new_id()
        ref = Reference.to(self.lifecycle.sender, ident, at_clock(self.day, clock_s))
        incident = Incident(ident, ref, ref, f, clock_s, clock_s)
        self.open[f.key] = incident
        self._adopt(incident, f, clock_s)
        return self._message(incident, "Alert", clock_s, state="new", first=True)

    @staticmethod
    def _strongest(inc: Incident, found: list[Finding]) -> Finding:
        """The finding an open incident follows this cycle.

        Raised findings compete on rank; a near one (inside the hysteresis band) can hold
        the incident where it is or lower it, never raise it: a zone just under the level
        keeps its "now" alert, but is not declared at the level because it is close.
        """
        current = rank(inc.finding)
        usable = [f for f in found if f.raised or rank(f) <= current]
        if not usable:  # only near findings above the incident's level: it holds as it is
            return inc.finding
        return max(usable, key=lambda f: (rank(f), f.raised))

    def _adopt(self, inc: Incident, f: Finding, clock_s: float) -> None:
        """Make ``f`` what the incident says; note when a condition started holding now."""
        if f.onset_s is None and (inc.now_since_s is None or inc.finding.onset_s is not None):
            inc.now_since_s = clock_s
        elif f.onset_s is not None:
            inc.now_since_s = None
        inc.finding, inc.lower_since_s = f, None

    def _follow(self, inc: Incident, f: Finding, clock_s: float) -> list[Alert]:
        """Update at once on a stronger finding, on a weaker one only once it has held."""
        old, new = rank(inc.finding), rank(f)
        if new > old:
            self._adopt(inc, f, clock_s)
            state = "escalated" if self._escalation_due(inc, clock_s) else ""
            return [self._message(inc, "Update", clock_s, state=state)]
        if new == old:
            self._adopt(inc, f, clock_s)
            return []
        if inc.lower_since_s is None:
            inc.lower_since_s = clock_s
        if clock_s - inc.lower_since_s >= self.lifecycle.clear_after_s:
            self._adopt(inc, f, clock_s)
            return [self._message(inc, "Update", clock_s)]
        return []

    def _onset_s(self, inc: Incident, clock_s: float) -> float:
        f = inc.finding
        if f.onset_s is not None:
            return f.onset_s
        return inc.now_since_s if inc.now_since_s is not None else clock_s

    def _expiring(self, inc: Incident, clock_s: float) -> bool:
        """The newest message would expire before the condition is over or has come."""
        needed = max(clock_s, self._onset_s(inc, clock_s)) + self.lifecycle.refresh_before_s
        return needed >= inc.expires_s

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
        sent = at_clock(self.day, clock_s)
        ident = inc.incident if first else self.new_id()
        references = () if first else tuple(dict.fromkeys((inc.first, inc.last)))
        inc.state = state or inc.state
        inc.last = Reference.to(lc.sender, ident, sent)
        inc.ids.append(ident)
        onset = self._onset_s(inc, clock_s)
        # CAP: an alert expires after its onset (a forecast's onset can be 20 min ahead)
        inc.expires_s = max(clock_s, onset) + lc.expires_s
        return Alert(
            id=ident,
            sender=lc.sender,
            sent=sent,
            status=lc.status,
            msg_type=msg_type,
            incident=inc.incident,
            references=references,
            event=f.event,
            rule=f.rule,
            urgency="Immediate" if inc.state == "escalated" else f.urgency,
            severity=f.severity,
            certainty=f.cap_certainty,
            onset=at_clock(self.day, onset),
            expires=at_clock(self.day, inc.expires_s),
            headline=f.headline[:256],
            instruction=f.instruction[:1000],
            zone=f.zone,
            area_desc=self.labels.get(f.zone, f.zone)[:256],
            state=inc.state,
            value=round(float(f.value), 4),
            threshold=round(float(f.threshold), 4),
            scope=lc.scope,
            restriction=lc.restriction,
            category=f.category,
        )
