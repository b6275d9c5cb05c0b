"""The dashboard's reader: a thread that folds the live topics into the view state.

It subscribes from the beginning of each topic, so a dashboard started (or restarted) mid-match
rebuilds the current state from the log, and de-duplication by message id in the view makes
at-least-once delivery harmless. Messages that fail their schema are counted and skipped:
dead-lettering is the twin's job, and a second copy from every dashboard would only add noise.
"""

from __future__ import annotations

import logging
import threading

from streams.bus import Bus
from streams.dashboard.view import DashboardView
from streams.errors import MessageError
from streams.messages import OPS_ALERT, TWIN_FORECAST, ZONE_COUNT, ZONE_DENSITY, decode

TOPICS = (ZONE_COUNT, ZONE_DENSITY, TWIN_FORECAST, OPS_ALERT)
log = logging.getLogger(__name__)


class DashboardFeed:
    """Reads ``TOPICS`` from ``bus`` into ``view`` on a daemon thread until ``stop``."""

    def __init__(self, bus: Bus, view: DashboardView, *, poll_s: float = 0.2) -> None:
        self.view = view
        self.refused = 0
        self.folded = 0
        self._poll_s = poll_s
        bus.create_topics(TOPICS)
        self._subscription = bus.subscribe(TOPICS, from_beginning=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dashboard-feed", daemon=True)

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
        new = 0
        for record in self._subscription.poll(0.0, max_records=5000):
            new += self._fold(record.topic, record.value)
        return new

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._subscription.poll(self._poll_s):
                self._fold(record.topic, record.value)

    def _fold(self, topic: str, value: bytes) -> int:
        try:
            message = decode(value, expected=topic)
        except MessageError as exc:
            self.refused += 1
            log.warning("dashboard skipped a message on %s: %s", topic, exc)
            return 0
        if self.view.apply(message):
            self.folded += 1
            return 1
        return 0

    def stop(self) -> None:
        """Stop reading (bounded: the reader wakes at least every ``poll_s``)."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._subscription.close()
