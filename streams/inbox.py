"""Validated publishing and reading on top of a ``Bus``: the trust boundary of every stage.

``Publisher`` sends typed values as they are and refuses JSON objects that do not match their
schema; each record is validated once, by the ``Inbox`` that reads it, which hands stages only
typed, valid, plausible, first-seen values (``streams.messages``): a record that fails to decode or
validate, or that a stage's ``check`` finds impossible (a count above what its zone can hold,
a time outside the match), goes to the dead-letter topic with the reason, and the pipeline keeps
going: no record, whatever its bytes, stops a reader. A message id seen before is dropped, so
at-least-once delivery never makes a stage act twice.

Under overload an inbox can *coalesce* a topic: of the records read in one poll, only the
newest per key (the camera, for counts) is decoded; the others are counted in
``stats.coalesced`` and dropped unread, so a reader that falls behind catches up at once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streams.bus import Bus, Record
from streams.errors import MessageError
from streams.messages import DEAD_LETTER, DeadLetter, Json, Message, decode, encode, from_dict

log = logging.getLogger(__name__)

Check = Callable[[Message], str | None]  # the reason a valid message is unusable, or None
Verify = Callable[[Json], str | None]  # the reason a message's origin is not trusted, or None


class Publisher:
    """Sends messages to the topic named by their schema."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.sent = 0

    def publish(self, message: Message | Json, *, key: str | None) -> None:
        """Encode and send; raises MessageError (nothing is sent) if it cannot be.

        Typed values are the norm and are trusted: the pipeline built them from typed
        fields, so only their numbers are checked (finite) and the consumers' ``Inbox``
        validates each record once, at its boundary. A JSON object (a producer written
        against the schemas alone) is validated against its schema before it is sent.
        """
        if isinstance(message, dict):
            data, topic = encode(message), str(message["schema"])
        else:
            data, topic = message.to_json(check=False), message.schema
        self.bus.send(topic, key, data)
        self.sent += 1


@dataclass
class InboxStats:
    """What an inbox has seen, for the terminal summary and the tests."""

    accepted: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    coalesced: int = 0


class SeenIds:
    """The last ``capacity`` message ids, oldest forgotten first (bounded memory).

    The one store of seen ids of a reader: the twin's inboxes and the dashboard's reader each
    hold one.
    """

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
    """Valid, de-duplicated typed messages from some topics, in arrival order per partition."""

    def __init__(
        self,
        bus: Bus,
        topics: Sequence[str],
        *,
        group: str | None = None,
        from_beginning: bool = True,
        check: Check | None = None,
        dead_letters: bool = True,
        coalesce: Sequence[str] = (),
        verify: Verify | None = None,
    ) -> None:
        self.bus = bus
        self.subscription = bus.subscribe(topics, from_beginning=from_beginning, group=group)
        self.seen = SeenIds()
        self.stats = InboxStats()
        self.check = check
        self.dead_letters = dead_letters  # False for readers that only watch (the dashboard)
        self.coalesce = frozenset(coalesce)
        self.verify = verify  # e.g. BusKey.problem: signatures checked on the wire form

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Message]:
        """Messages that arrived since the last call (waits up to ``timeout_s`` for some)."""
        records = self.subscription.poll(timeout_s, max_records)
        out: list[Message] = []
        for record in self._coalesced(records):
            message = self._accept(record)
            if message is not None:
                out.append(message)
        return out

    def _coalesced(self, records: list[Record]) -> list[Record]:
        """``records`` with only the newest per key on coalesced topics (order kept)."""
        if not self.coalesce or len(records) < 2:
            return records
        newest: dict[tuple[str, str | None], int] = {}
        for i, r in enumerate(records):
            if r.topic in self.coalesce and r.key is not None:
                newest[(r.topic, r.key)] = i
        kept = [
            r
            for i, r in enumerate(records)
            if r.topic not in self.coalesce or r.key is None or newest[(r.topic, r.key)] == i
        ]
        self.stats.coalesced += len(records) - len(kept)
        return kept

    def _accept(self, record: Record) -> Message | None:
        try:
            data = decode(record.value, expected=record.topic)
            reason = self.verify(data) if self.verify is not None else None
            message = from_dict(data, validated=True)
            if reason is None and self.check is not None:
                reason = self.check(message)
        except MessageError as error:
            reason = str(error)
        except Exception as error:  # a reader must outlive any record: refuse it, say why
            log.exception("refused a record on %s", record.topic)
            reason = f"could not be read: {type(error).__name__}: {error}"
        if reason is not None:
            self._dead_letter(record, reason)
            return None
        if not self.seen.add(message.id):
            self.stats.duplicates += 1
            return None
        self.stats.accepted += 1
        return message

    def _dead_letter(self, record: Record, reason: str) -> None:
        self.stats.dead_lettered += 1
        if not self.dead_letters:
            log.warning("skipped a record on %s: %s", record.topic, reason[:300])
            return
        letter = DeadLetter.of(record.topic, record.key, record.value, reason)
        self.bus.send(DEAD_LETTER, record.topic, letter.to_json())

    def close(self) -> None:
        self.subscription.close()
