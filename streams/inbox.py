"""Validated publishing and reading on top of a ``Bus``: where schemas are enforced.

``Publisher`` refuses to send what does not match its schema. ``Inbox`` hands stages only valid,
first-seen messages: anything that fails to decode or validate goes to the dead-letter topic
with the reason (the pipeline keeps going), and a message id seen before is dropped, so
at-least-once delivery never makes a stage act twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from streams.bus import Bus, Record
from streams.errors import MessageError
from streams.messages import DEAD_LETTER, Message, dead_letter, decode, encode


class Publisher:
    """Sends messages to the topic named by their ``schema`` field."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.sent = 0

    def publish(self, message: Message, *, key: str | None) -> None:
        """Validate, encode and send; raises MessageError (nothing is sent) if invalid."""
        self.bus.send(str(message["schema"]), key, encode(message))
        self.sent += 1


@dataclass
class InboxStats:
    """What an inbox has seen, for the terminal summary and the tests."""

    accepted: int = 0
    dead_lettered: int = 0
    duplicates: int = 0


class SeenIds:
    """The last ``capacity`` message ids, oldest forgotten first (bounded memory)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def add(self, message_id: str) -> bool:
        """Remember ``message_id``; False if it was already there."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


class Inbox:
    """Valid, de-duplicated messages from some topics, in arrival order per partition."""

    def __init__(
        self,
        bus: Bus,
        topics: Sequence[str],
        *,
        group: str | None = None,
        from_beginning: bool = True,
    ) -> None:
        self.bus = bus
        self.subscription = bus.subscribe(topics, from_beginning=from_beginning, group=group)
        self.seen = SeenIds()
        self.stats = InboxStats()

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Message]:
        """Messages that arrived since the last call (waits up to ``timeout_s`` for some)."""
        out: list[Message] = []
        for record in self.subscription.poll(timeout_s, max_records):
            message = self._accept(record)
            if message is not None:
                out.append(message)
        return out

    def _accept(self, record: Record) -> Message | None:
        try:
            message = decode(record.value, expected=record.topic)
        except MessageError as error:
            self.stats.dead_lettered += 1
            letter = dead_letter(record.topic, record.key, record.value, str(error))
            self.bus.send(DEAD_LETTER, record.topic, encode(letter))
            return None
        if not self.seen.add(str(message["id"])):
            self.stats.duplicates += 1
            return None
        self.stats.accepted += 1
        return message

    def close(self) -> None:
        self.subscription.close()
