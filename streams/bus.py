"""The ``Bus`` interface every stage talks to, and its in-process implementation.

A bus carries raw bytes on named topics with a key (zone or camera). Stages never see bytes:
``Publisher.publish`` validates and encodes, ``Inbox`` decodes, validates, dead-letters and
de-duplicates. Two implementations: ``InProcessBus`` here (the embedded default and the fast
test double: real code, no broker) and ``streams.kafka_bus.KafkaBus`` for Apache Kafka or any
Kafka-protocol broker.

To add a transport, implement the methods of ``Bus`` and the two of ``Subscription``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol


class Record(NamedTuple):
    """One raw message read from a topic (a named tuple: a reader makes one per record)."""

    topic: str
    key: str | None
    value: bytes | None  # None: a Kafka null (tombstone) record, refused by every reader
    partition: int
    offset: int


@dataclass(frozen=True)
class BusHealth:
    """Whether the broker takes records now; ``pending`` records wait for it."""

    up: bool
    detail: str = ""
    pending: int = 0


class Subscription(Protocol):
    """A reader of some topics; each reader sees every record (no group) from the start."""

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Record]:
        """Records that arrived since the last poll, waiting up to ``timeout_s`` for the first."""
        ...

    def close(self) -> None: ...


class Bus(Protocol):
    """Topics of raw bytes with at-least-once delivery."""

    def create_topics(self, topics: Sequence[str]) -> None:
        """Create topics that do not exist yet (explicitly: no reliance on auto-creation)."""
        ...

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        """Queue one record; may buffer (bounded) while the broker is away."""
        ...

    def flush(self, timeout_s: float = 10.0) -> int:
        """Try to deliver everything queued; return how many records are still pending."""
        ...

    def deliver(self, topic: str, key: str | None, value: bytes, timeout_s: float = 5.0) -> bool:
        """Send one record and wait until the broker has it; False (not kept) if it did not."""
        ...

    def health(self) -> BusHealth:
        """The broker's health as this client sees it (cheap: called every pass)."""
        ...

    def subscribe(
        self, topics: Sequence[str], *, from_beginning: bool = True, group: str | None = None
    ) -> Subscription:
        """Read ``topics``; ``group`` shares the records among identical workers."""
        ...

    def close(self) -> None: ...


class _Cursor:
    """A read position per topic, shared by the members of one group."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}


class InProcessBus:
    """Topics as append-only lists in memory, safe across threads; one partition per topic.

    Nothing is ever lost or duplicated, so it is the reference the Kafka bus is compared to.
    """

    def __init__(self) -> None:
        self._logs: dict[str, list[Record]] = {}
        self._changed = threading.Condition()
        self._groups: dict[str, _Cursor] = {}

    def create_topics(self, topics: Sequence[str]) -> None:
        with self._changed:
            for topic in topics:
                self._logs.setdefault(topic, [])

    def send(self, topic: str, key: str | None, value: bytes | None) -> None:
        """Append a record; ``None`` is a null record, as Kafka carries (readers refuse it)."""
        with self._changed:
            log = self._logs.setdefault(topic, [])
            log.append(Record(topic, key, None if value is None else bytes(value), 0, len(log)))
            self._changed.notify_all()

    def flush(self, timeout_s: float = 10.0) -> int:
        return 0

    def deliver(self, topic: str, key: str | None, value: bytes, timeout_s: float = 5.0) -> bool:
        self.send(topic, key, value)
        return True

    def health(self) -> BusHealth:
        return BusHealth(up=True, detail="in-process")

    def subscribe(
        self, topics: Sequence[str], *, from_beginning: bool = True, group: str | None = None
    ) -> InProcessSubscription:
        cursor = self._groups.setdefault(group, _Cursor()) if group else _Cursor()
        with self._changed:
            for topic in topics:
                start = 0 if from_beginning else len(self._logs.get(topic, []))
                cursor.offsets.setdefault(topic, start)
        return InProcessSubscription(self, tuple(topics), cursor)

    def close(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def topic(self, name: str) -> list[Record]:
        """A copy of everything on ``name`` (for tests and the demo's summary)."""
        with self._changed:
            return list(self._logs.get(name, []))


class InProcessSubscription:
    """Reads an ``InProcessBus``; blocks in ``poll`` on a condition, not by sleeping."""

    def __init__(self, bus: InProcessBus, topics: tuple[str, ...], cursor: _Cursor) -> None:
        self._bus = bus
        self._topics = topics
        self._cursor = cursor
        self._closed = False

    def _take(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        for topic in self._topics:
            log = self._bus._logs.get(topic, [])
            start = self._cursor.offsets[topic]
            chunk = log[start : start + max_records - len(out)]
            self._cursor.offsets[topic] = start + len(chunk)
            out.extend(chunk)
        return out

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Record]:
        with self._bus._changed:
            records = self._take(max_records)
            if records or timeout_s <= 0 or self._closed:
                return records
            self._bus._changed.wait(timeout_s)
            return self._take(max_records)

    def close(self) -> None:
        self._closed = True


def health_of(bus: Bus) -> BusHealth:
    """``bus.health()``, or "up" for a transport that cannot tell (never raises)."""
    try:
        return bus.health()
    except Exception as error:  # health must never stop its caller
        return BusHealth(up=False, detail=f"health check failed: {error}")
