"""The twin as a pipeline stage: counts and Acks in; densities, forecasts and alerts out.

Reads ``zone.count.v1`` (feeding the twin; implausible counts are dead-lettered by the rule in
``streams.plausible``) and ``ops.alert.v1`` (operators' Acks, and the twin's own alerts coming
back). An alert the twin sent but has not seen on the alerts topic within
``confirm_after_s`` is sent again with the same id, after making sure the topic exists: end-to-end
at-least-once for alerts, whatever the broker lost (consumers drop the duplicate by id).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from streams.bus import Bus, BusHealth, health_of
from streams.errors import BusError
from streams.inbox import Inbox, Publisher
from streams.messages import OPS_ALERT, TOPICS, ZONE_COUNT, Ack, Alert, Message, ZoneCount
from streams.plausible import count_check, count_limits
from streams.signing import BusKey
from streams.twin import CycleReport, DigitalTwin


@dataclass
class ServiceStats:
    """Counters for the terminal summary and the tests."""

    counts: int = 0
    acks: int = 0
    alerts_sent: int = 0
    alerts_resent: int = 0
    cycles: int = 0
    coalesced: int = 0  # counts superseded by a newer count of the same camera, never applied
    warm_start_s: list[float] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)  # count_lag_s of each forecast
    camera_dropped: int = 0  # demo counts not sent: the bus buffer was full


class TwinService:
    """Pumps the bus through a DigitalTwin; call ``pump`` often and ``cycle`` every N seconds."""

    def __init__(
        self,
        bus: Bus,
        twin: DigitalTwin,
        *,
        confirm_after_s: float = 5.0,
        counts_from_beginning: bool = False,
        drain_budget_s: float = 0.25,
        key: BusKey | None = None,
    ) -> None:
        self.bus = bus
        self.twin = twin
        self.clock_s: float | None = None  # the match clock of the latest pump
        bus.create_topics(TOPICS)
        limits = count_limits(twin.scenario, twin.day)
        # counts from before the twin started are history, not state: start at the end
        self.counts = Inbox(
            bus,
            [ZONE_COUNT],
            from_beginning=counts_from_beginning,
            check=count_check(limits, lambda: self.clock_s),
        )
        self.key = key  # with a bus key: alerts signed as the twin, Acks must be operators'
        self.alerts = Inbox(bus, [OPS_ALERT], verify=key.problem if key else None)
        self.publisher = Publisher(bus)
        self.confirm_after_s = confirm_after_s
        self.drain_budget_s = drain_budget_s
        self.unconfirmed: dict[str, tuple[Alert, float]] = {}
        self.stats = ServiceStats()
        self.bus_health = BusHealth(up=True)

    def pump(self, clock_s: float, timeout_s: float = 0.0) -> list[Alert]:
        """Feed waiting counts to the twin; answer Acks. Returns the messages published.

        Reads until the counts topic is drained or ``drain_budget_s`` of wall time is spent,
        and applies only the newest count per camera of what it read (latest wins; the rest
        are counted in ``stats.coalesced``): under overload the twin keeps up instead of
        falling further behind.
        """
        self.clock_s = clock_s
        self.watch_bus(clock_s)
        deadline = time.monotonic() + self.drain_budget_s
        wait = timeout_s
        while True:
            batch = self.counts.poll(wait, max_records=2000)
            wait = 0.0
            self._observe(batch)
            if len(batch) < 1000 or time.monotonic() >= deadline:
                break
        out: list[Alert] = []
        for message in self.alerts.poll(0.0):
            self.unconfirmed.pop(message.id, None)
            if isinstance(message, Ack):
                self.stats.acks += 1
                out.extend(self.twin.acknowledge(message, clock_s))
        return [m for m in self._publish(out) if isinstance(m, Alert)]

    def _observe(self, batch: list[Message]) -> None:
        newest: dict[str, ZoneCount] = {}
        for message in batch:
            if isinstance(message, ZoneCount):
                held = newest.get(message.camera)
                if held is None or message.event_time >= held.event_time:
                    newest[message.camera] = message
        counts = sum(isinstance(m, ZoneCount) for m in batch)
        self.stats.coalesced += counts - len(newest)
        self.twin.coalesced = self.stats.coalesced
        for message in newest.values():
            self.twin.observe(message)
        self.stats.counts += len(newest)

    def watch_bus(self, clock_s: float) -> BusHealth:
        """Check the broker; while it is down the twin does not call cameras stale."""
        self.bus_health = health_of(self.bus)
        if not self.bus_health.up:
            self.twin.bus_down_s = clock_s
        return self.bus_health

    def cycle(self, clock_s: float) -> CycleReport:
        """One twin cycle; publishes its messages and re-sends unconfirmed alerts."""
        self.watch_bus(clock_s)
        report = self.twin.cycle(clock_s)
        lag = self.twin.count_lag_s(clock_s)
        if lag is not None:
            self.stats.lag_s.append(lag)
        self._publish(report.messages)
        self.resend_unconfirmed()
        self.bus.flush(timeout_s=0.0)
        self.stats.cycles += 1
        self.stats.warm_start_s.append(report.warm_start_s)
        return report

    def _publish(self, messages: Sequence[Message]) -> list[Message]:
        """Send ``messages`` (alerts signed when there is a bus key); returns what was sent."""
        sent: list[Message] = []
        for message in messages:
            if isinstance(message, Alert) and self.key is not None:
                message = self.key.signed(message)
            self.publisher.publish(message, key=_key(message))
            sent.append(message)
            if isinstance(message, Alert):
                self.unconfirmed[message.id] = (message, time.monotonic())
                self.stats.alerts_sent += 1
        return sent

    def resend_unconfirmed(self) -> None:
        """Send again (same id) alerts not seen back on the alerts topic in time."""
        now = time.monotonic()
        late = [m for m, sent in self.unconfirmed.values() if now - sent >= self.confirm_after_s]
        if not late:
            return
        try:
            self.bus.create_topics([OPS_ALERT])
        except BusError:  # broker still away: try again next cycle
            return
        for message in late:
            self.publisher.publish(message, key=_key(message))
            self.unconfirmed[message.id] = (message, now)
            self.stats.alerts_resent += 1

    def close(self) -> None:
        self.counts.close()
        self.alerts.close()


def _key(message: Message) -> str:
    """The record key: the zone for zone-level messages, "twin" for the forecast."""
    zone = getattr(message, "zone", None)
    return zone if isinstance(zone, str) and zone else "twin"
