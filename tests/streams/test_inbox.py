"""The in-process bus behind Publisher/Inbox: dead-lettering, de-duplication, groups."""

from __future__ import annotations

import json
import threading

import pytest
from live_helpers import count

from streams.bus import InProcessBus
from streams.errors import MessageError
from streams.inbox import Inbox, Publisher, SeenIds
from streams.messages import DEAD_LETTER, MAX_MESSAGE_BYTES, ZONE_COUNT, decode


def test_bad_messages_go_to_dead_letter_and_the_pipeline_keeps_going() -> None:
    bus = InProcessBus()
    inbox = Inbox(bus, [ZONE_COUNT])
    publisher = Publisher(bus)
    publisher.publish(count("cam1", "plaza", 1, 75_600), key="cam1")
    bus.send(ZONE_COUNT, "cam1", b"{broken")
    bus.send(ZONE_COUNT, "cam1", b"x" * (MAX_MESSAGE_BYTES + 10))
    bus.send(ZONE_COUNT, "cam1", json.dumps(count("cam1", "plaza", -5, 75_600)).encode())
    publisher.publish(count("cam1", "plaza", 2, 75_615), key="cam1")
    got = inbox.poll()
    assert [m.count for m in got] == [1, 2]
    assert inbox.stats.dead_lettered == 3
    letters = [decode(r.value, expected=DEAD_LETTER) for r in bus.topic(DEAD_LETTER)]
    reasons = [letter["reason"] for letter in letters]
    assert "not valid UTF-8 JSON" in reasons[0]
    assert f"the limit is {MAX_MESSAGE_BYTES}" in reasons[1]
    assert "field 'count'" in reasons[2]
    assert letters[1]["size_bytes"] == MAX_MESSAGE_BYTES + 10


def test_duplicates_are_dropped_by_id() -> None:
    bus = InProcessBus()
    inbox = Inbox(bus, [ZONE_COUNT])
    message = count("cam1", "plaza", 1, 75_600)
    for _ in range(3):
        Publisher(bus).publish(message, key="cam1")
    assert len(inbox.poll()) == 1
    assert inbox.stats.duplicates == 2


def test_publisher_refuses_invalid_messages_and_sends_nothing() -> None:
    bus = InProcessBus()
    with pytest.raises(MessageError, match="count"):
        Publisher(bus).publish(count("cam1", "plaza", 1, 75_600) | {"count": "many"}, key="c")
    assert bus.topic(ZONE_COUNT) == []


def test_group_members_share_records_and_plain_readers_see_all() -> None:
    bus = InProcessBus()
    a = bus.subscribe([ZONE_COUNT], group="workers")
    b = bus.subscribe([ZONE_COUNT], group="workers")
    everyone = bus.subscribe([ZONE_COUNT])
    for i in range(10):
        bus.send(ZONE_COUNT, None, str(i).encode())
    first = a.poll(max_records=4)
    second = b.poll()
    assert len(first) == 4 and len(second) == 6
    assert len(everyone.poll()) == 10


def test_poll_waits_for_a_record_from_another_thread() -> None:
    bus = InProcessBus()
    sub = bus.subscribe([ZONE_COUNT], from_beginning=False)
    timer = threading.Timer(0.05, bus.send, args=(ZONE_COUNT, None, b"late"))
    timer.start()
    records = sub.poll(timeout_s=5.0)
    timer.join()
    assert [r.value for r in records] == [b"late"]


def test_seen_ids_forget_the_oldest_beyond_capacity() -> None:
    seen = SeenIds(capacity=2)
    assert seen.add("a") and seen.add("b") and not seen.add("a")
    assert seen.add("c")  # "a" forgotten
    assert seen.add("a")
