"""The dashboard's view state: bus messages folded into what the ops-room page shows.

Messages arrive on bus threads; the web server reads on its event loop. Everything goes
through one lock, and every change is also recorded as a numbered event, so a page that lost
its connection asks for "everything after event N" and gets either those events or, when they
have scrolled out of the buffer, the whole current state again. Messages arrive typed and
de-duplicated from the reader's ``Inbox`` (the one store of seen ids), and times are placed on
the match's full date-time (``seconds_since`` the match day's midnight).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from simulator.scenario.model import Scenario
from simulator.venue.los import fruin_los
from streams.alerts import EscalationPolicy
from streams.dashboard import alerts
from streams.dashboard.layout import VenueMap, venue_map
from streams.dashboard.trends import Trends
from streams.messages import (
    Ack,
    Alert,
    Forecast,
    Message,
    ZoneCount,
    ZoneDensity,
    seconds_since,
)

EVENT_BUFFER = 5000  # events kept for reconnecting pages
AUDIT_KEPT = 1000


class DashboardView:
    """Current zones, forecasts, alerts, cameras, trends and audit log, plus the change feed."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        escalation: EscalationPolicy | None = None,
        day: datetime | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.map: VenueMap = venue_map(scenario.venue)
        self.scenario_name = scenario.name
        self.day = day  # midnight of the match day; None: that of the first message's date
        self._escalation = escalation or EscalationPolicy()
        self._clock = clock
        self._lock = threading.Lock()
        self._seq = 0
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=EVENT_BUFFER)
        places, links = self.map.places, self.map.links  # los_scale None: no floor, not graded
        self._scales = {p.id: p.los_scale for p in places} | {k.id: k.los_scale for k in links}
        self._floors = {p.id: p.floor_m2 or None for p in places}
        self._floors.update({k.id: k.floor_m2 or None for k in links})
        self.clock_s: float | None = None  # latest match-day clock seen in any message
        self.zones: dict[str, dict[str, Any]] = {}
        self.cameras: dict[str, dict[str, Any]] = {}
        self.incidents: dict[str, dict[str, Any]] = {}
        self.audit: deque[dict[str, Any]] = deque(maxlen=AUDIT_KEPT)
        self.trends = Trends()
        self.lag: dict[str, Any] = {"count_lag_s": None, "coalesced": 0}
        self.estimates: list[dict[str, Any]] = []  # the twin's learnt factors of the plan
        self.bus: dict[str, Any] = {"up": True, "detail": "", "pending": 0}

    # -- folding messages -------------------------------------------------------------------

    def apply(self, message: Message) -> bool:
        """Fold one validated, first-seen message in; False when it is of no interest here."""
        with self._lock:
            received = self._clock()
            if isinstance(message, ZoneCount):
                self._on_count(message, received)
            elif isinstance(message, ZoneDensity):
                self._on_density(message, received)
            elif isinstance(message, Forecast):
                self._on_forecast(message, received)
            elif isinstance(message, Alert | Ack):
                self._on_alert(message, received)
            else:
                return False
        return True

    def _clock_of(self, moment: datetime) -> float:
        if self.day is None:
            self.day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        at = seconds_since(self.day, moment)
        self.clock_s = at if self.clock_s is None else max(self.clock_s, at)
        return at

    def _zone(self, zone: str) -> dict[str, Any]:
        if zone not in self.zones:
            self.zones[zone] = {
                "zone": zone,
                "density_per_m2": None,
                "occupancy": None,
                "los": "",
                "source": None,
                "updated_clock_s": None,
                "los_5min": None,
                "los_10min": None,
                "los_20min": None,
                "density_10min_per_m2": None,
                "mean_wait_s": None,
            }
        return self.zones[zone]

    def _los(self, zone: str, density: float | None) -> str:
        scale = self._scales.get(zone)
        if density is None or scale is None:
            return ""
        return fruin_los(density, scale)  # type: ignore[arg-type]

    def _on_count(self, message: ZoneCount, received: float) -> None:
        at = self._clock_of(message.event_time)
        density = message.density_per_m2
        floor = self._floors.get(message.zone)
        if density is None and floor:
            density = message.count / floor
        zone = self._zone(message.zone)
        if _newer(zone, at):
            zone.update(
                density_per_m2=density,
                occupancy=message.count,
                los=self._los(message.zone, density),
                source="camera",
                updated_clock_s=at,
            )
        camera = {
            "camera": message.camera,
            "zone": message.zone,
            "event_time": message.event_time.isoformat(),
            "clock_s": at,  # the camera's own clock: the page flags one far from the others
            "received": received,
            "model": message.model,
            "confidence": message.confidence,
        }
        self.cameras[message.camera] = camera
        self._emit({"kind": "zone", "zone": dict(zone)})
        self._emit({"kind": "camera", "camera": camera})
        if density is not None:
            self._emit_trend(message.zone, "observed", at, density)

    def _on_density(self, message: ZoneDensity, received: float) -> None:
        at = self._clock_of(message.window_end)
        zone = self._zone(message.zone)
        density = message.density_mean_per_m2
        if _newer(zone, at):
            zone.update(
                density_per_m2=density,
                occupancy=round(message.count_mean),
                los=message.los,
                source="cameras",
                updated_clock_s=at,
            )
        self._emit({"kind": "zone", "zone": dict(zone)})
        self._emit_trend(message.zone, "observed", at, density)

    def _on_forecast(self, message: Forecast, received: float) -> None:
        at = self._clock_of(message.issued)
        points: dict[str, dict[str, Any]] = {}
        for row in message.zones:
            zone = self._zone(row.zone)
            if _newer(zone, at):  # the twin's state has assimilated every earlier count
                zone.update(
                    density_per_m2=row.density_now_per_m2,
                    occupancy=row.occupancy_now,
                    los=row.los_now,
                    source="twin",
                    updated_clock_s=at,
                )
            zone.update(
                los_5min=row.los_5min,
                los_10min=row.los_10min,
                los_20min=row.los_20min,
                density_10min_per_m2=row.density_10min_per_m2,
                density_10min_p10_per_m2=row.density_10min_p10_per_m2,
                density_10min_p90_per_m2=row.density_10min_p90_per_m2,
                mean_wait_s=row.mean_wait_s,
                estimated=row.estimated,
            )
            points[row.zone] = self.trends.add_forecast(row.to_dict(), at)
        zones = [dict(self.zones[row.zone]) for row in message.zones]
        self.lag = {"count_lag_s": message.count_lag_s, "coalesced": message.coalesced}
        self.estimates = [e.to_dict() for e in message.estimates]
        self._emit(
            {
                "kind": "forecast",
                "zones": zones,
                "points": points,
                "lag": self.lag,
                "estimates": self.estimates,
            }
        )

    def _on_alert(self, message: Alert | Ack, received: float) -> None:
        incident = self.incidents.get(message.incident)
        if incident is None:
            opened = self._clock_of(message.sent)
            incident = alerts.new_incident(message, received=received, clock_s=opened)
            self.incidents[message.incident] = incident
        if isinstance(message, Ack):
            action = alerts.fold_ack(incident, message, received=received)
            self._audit(message.sender, action, incident, message.note)
        else:
            before = (incident["state"], incident["severity"])
            alerts.fold_content(incident, message, received=received)
            incident["onset_clock_s"] = seconds_since(self._day(message.sent), message.onset)
            self._clock_of(message.sent)
            if before != (incident["state"], incident["severity"]):
                self._audit(message.sender, _content_action(message, incident), incident, "")
        self._emit({"kind": "alert", "alert": dict(incident)})

    def _day(self, moment: datetime) -> datetime:
        if self.day is None:
            self._clock_of(moment)
        assert self.day is not None
        return self.day

    # -- escalation, audit and the change feed ----------------------------------------------

    def escalate_due(self) -> list[str]:
        """Escalate every incident the policy says is overdue at the match clock; their ids."""
        with self._lock:
            now_s = self.clock_s
            if now_s is None:
                return []
            due = [
                incident
                for incident in self.incidents.values()
                if alerts.due_for_escalation(incident, self._escalation, now_s)
            ]
            for incident in due:
                incident["escalated"], incident["escalated_at"] = True, self._clock()
                waited = now_s - incident["opened_clock_s"]
                note = f"unacknowledged for {waited:.0f} s of match time"
                self._audit("dashboard", "escalated", incident, note)
                self._emit({"kind": "alert", "alert": dict(incident)})
            return [incident["incident"] for incident in due]

    def _audit(self, who: str, action: str, incident: dict[str, Any], note: str) -> None:
        entry = {
            "at": self._clock(),
            "clock_s": self.clock_s,
            "who": who,
            "action": action,
            "incident": incident["incident"],
            "zone": incident["zone"],
            "headline": incident["headline"],
            "note": note,
        }
        self.audit.append(entry)
        self._emit({"kind": "audit", "entry": entry})

    def _emit_trend(self, zone: str, series: str, at: float, value: float) -> None:
        self.trends.add(zone, series, at, value)
        self._emit({"kind": "trend", "zone": zone, "series": series, "point": [at, value]})

    def _emit(self, event: dict[str, Any]) -> None:
        self._seq += 1
        event["clock_s"] = self.clock_s
        self._events.append((self._seq, finite(event)))

    def last_seq(self) -> int:
        """The number of the newest change (0 before any): cheap, for the stream fan-out."""
        with self._lock:
            return self._seq

    def events_since(self, seq: int) -> list[tuple[int, dict[str, Any]]] | None:
        """Events after ``seq``, or None when some have been dropped (send the full state)."""
        with self._lock:
            if seq > self._seq:
                return None  # the page saw a different (restarted) server
            if seq == self._seq:
                return []
            if not self._events or self._events[0][0] > seq + 1:
                return None
            return [(n, e) for n, e in self._events if n > seq]

    def state(self) -> dict[str, Any]:
        """The whole current state, as sent to a page on (re)connect and served at /api/state."""
        with self._lock:
            return finite(
                {
                    "seq": self._seq,
                    "scenario": self.scenario_name,
                    "clock_s": self.clock_s,
                    "server_time": self._clock(),
                    "zones": [dict(z) for z in self.zones.values()],
                    "alerts": self.alert_queue(),
                    "cameras": [dict(c) for c in self.cameras.values()],
                    "audit": list(self.audit),
                    "trends": self.trends.payload(),
                    "lag": dict(self.lag),
                    "estimates": [dict(e) for e in self.estimates],
                    "bus": dict(self.bus),
                    "escalation": {
                        "after_s": self._escalation.after_s,
                        "severities": list(self._escalation.severities),
                    },
                }
            )

    def alert_queue(self) -> list[dict[str, Any]]:
        """Incidents in queue order (caller holds the lock or accepts a racy copy)."""
        return [dict(i) for i in sorted(self.incidents.values(), key=alerts.queue_order)]

    def set_bus(self, up: bool, detail: str, pending: int) -> None:
        """Record the broker's health; a change is sent to every page as a ``bus`` event."""
        with self._lock:
            changed = self.bus["up"] != up or self.bus["detail"] != detail
            self.bus = {"up": up, "detail": detail, "pending": pending}
            if changed:
                self._emit({"kind": "bus", "bus": dict(self.bus)})

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.incidents.get(incident_id)
            return dict(found) if found is not None else None


def _newer(zone: dict[str, Any], at: float) -> bool:
    """True when a reading at ``at`` is at least as recent as what the zone shows."""
    return zone["updated_clock_s"] is None or at >= zone["updated_clock_s"]


def _content_action(message: Alert, incident: dict[str, Any]) -> str:
    if message.msg_type == "Alert":
        return f"raised ({incident['severity']})"
    if message.msg_type == "Cancel":
        return "closed"
    return f"updated to {incident['state']} ({incident['severity']})"


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None: JSON (and browsers) have no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
