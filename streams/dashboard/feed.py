"""The dashboard's reader: a thread that folds the live topics into the view state.

It subscribes from the beginning of each topic, so a dashboard started (or restarted) mid-match
rebuilds the current state from the log. It reads through an ``Inbox``, the same trust boundary
as the twin: typed values, one store of seen ids (at-least-once delivery is harmless), and a
record that cannot be used (null, undecodable, schema-valid but impossible) is counted and
skipped, never fatal, so a bad record read again after a restart cannot stop the page either.
Dead-lettering is the twin's job: a second copy from every dashboard would only add noise.
Each pass also records the broker's health in the view (``/healthz``, the page's bus banner).
"""

from __future__ import annotations

import logging
import threading

from streams.bus import Bus, health_of
from streams.dashboard.view import DashboardView
from streams.inbox import Check, Inbox, Verify
from streams.messages import OPS_ALERT, TWIN_FORECAST, ZONE_COUNT, ZONE_DENSITY

TOPICS = (ZONE_COUNT, ZONE_DENSITY, TWIN_FORECAST, OPS_ALERT)
log = logging.getLogger(__name__)


class DashboardFeed:
    """Reads ``TOPICS`` from ``bus`` into ``view`` on a daemon thread until ``stop``."""

    def __init__(
        self,
        bus: Bus,
        view: DashboardView,
        *,
        poll_s: float = 0.2,
        check: Check | None = None,
        verify: Verify | None = None,
    ) -> None:
        self.view = view
        self.bus = bus
        self.folded = 0
        self._poll_s = poll_s
        bus.create_topics(TOPICS)
        self.inbox = Inbox(
            bus, TOPICS, from_beginning=True, check=check, verify=verify, dead_letters=False
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dashboard-feed", daemon=True)

    @property
    def refused(self) -> int:
        """Records skipped because they could not be used."""
        return self.inbox.stats.dead_lettered

    def start(self) -> DashboardFeed:
        self._thread.start()
        return self

    def drain(self) -> int:
        """Fold everything waiting now, without blocking; returns how many messages were new.

        Only for a feed that was not started (tests, one-shot tools): a Kafka consumer must
        not be polled from two threads.
        """
        if self._thread.is_alive():
            raise RuntimeError("drain() is for a feed that is not running; it reads by itself")
        return self._pass(0.0, 5000)

    def _pass(self, timeout_s: float, max_records: int) -> int:
        new = 0
        for message in self.inbox.poll(timeout_s, max_records):
            try:
                new += self.view.apply(message)
            except Exception:  # the page must outlive any message: skip it, say so
                self.inbox.stats.dead_lettered += 1
                log.exception("dashboard could not fold %s %s", type(message).__name__, message.id)
        self.folded += new
        health = health_of(self.bus)
        self.view.set_bus(health.up, health.detail, health.pending)
        return new

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._pass(self._poll_s, 500)
            except Exception:  # a broker error in poll: log, wait, read on
                log.exception("dashboard reader: poll failed; retrying")
                self._stop.wait(self._poll_s)

    def stop(self) -> None:
        """Stop reading (bounded: the reader wakes at least every ``poll_s``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        self.inbox.close()
