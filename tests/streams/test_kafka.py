"""The live path on a real Kafka-protocol broker (Tansu on 127.0.0.1, see tests/conftest.py).

The broker is shared by the session and its topics outlive a test, so every test recognises its
own messages by id. Settings for this broker are configuration (``TANSU``), not detection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, TopicPartition
from live_helpers import DAY, EVENING_S, arena, count

from streams.bus import Record
from streams.cameras import Camera
from streams.inbox import Inbox, Publisher
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.messages import (
    DEAD_LETTER,
    MAX_MESSAGE_BYTES,
    OPS_ALERT,
    TOPICS,
    ZONE_COUNT,
    Alert,
    Message,
    decode,
    iso,
    new_id,
)
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

pytestmark = pytest.mark.integration

TANSU = dict(enable_idempotence=False, use_highwater=True, producer_retries=0)


def kafka_bus(address: str) -> KafkaBus:
    bus = KafkaBus(KafkaSettings(bootstrap=address, **TANSU))  # type: ignore[arg-type]
    bus.create_topics(TOPICS)
    return bus


def read_until(
    poll: Callable[[], list[Record]], done: Callable[[list[Record]], bool], seconds: float
) -> list[Record]:
    """Poll (bounded by ``seconds``) until ``done(records so far)``."""
    got: list[Record] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done(got):
        got += poll()
    return got


def plain_consumer(address: str, topic: str) -> KafkaConsumer:
    """What another system would run: kafka-python, no matchday code."""
    consumer = KafkaConsumer(bootstrap_servers=address, auto_offset_reset="earliest")
    partitions = consumer.partitions_for_topic(topic) or {0}
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    return consumer


def test_malformed_and_oversized_go_to_dead_letter_and_the_pipeline_keeps_going(
    kafka_broker: str,
) -> None:
    bus = kafka_bus(kafka_broker)
    inbox = Inbox(bus, [ZONE_COUNT])
    tag = new_id()
    before = count(f"cam_{tag}", "plaza", 1, EVENING_S)
    after = count(f"cam_{tag}", "plaza", 2, EVENING_S + 15)
    Publisher(bus).publish(before, key=tag)
    bus.send(ZONE_COUNT, tag, b'{"schema": "zone.count.v1", "id": "' + tag.encode() + b'"')
    bus.send(ZONE_COUNT, tag, b"x" * (MAX_MESSAGE_BYTES + 1000))
    Publisher(bus).publish(after, key=tag)
    assert bus.flush(10) == 0
    mine: list[Message] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(mine) < 2:
        mine += [m for m in inbox.poll(0.5) if m.camera == f"cam_{tag}"]
    assert [m.count for m in mine] == [1, 2]
    bus.flush(10)
    letters = plain_consumer(kafka_broker, DEAD_LETTER)
    found: list[dict] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(found) < 2:
        for records in letters.poll(500).values():
            found += [json.loads(r.value) for r in records if r.key == ZONE_COUNT.encode()]
        found = [f for f in found if tag in f["payload"] or f["size_bytes"] > MAX_MESSAGE_BYTES]
    letters.close()
    reasons = sorted(f["reason"] for f in found)
    assert any("not valid UTF-8 JSON" in r for r in reasons)
    assert any(f"the limit is {MAX_MESSAGE_BYTES}" in r for r in reasons)
    inbox.close()
    bus.close()


def make_service(address: str, tag: str, seed: int = 5) -> tuple[KafkaBus, TwinService]:
    """A twin service whose cameras are named after ``tag`` (earlier tests' counts are ignored)."""
    bus = kafka_bus(address)
    cameras = (Camera(f"plaza_{tag}", "plaza"), Camera(f"tram_{tag}", "l_tram"))
    twin = DigitalTwin(
        arena(),
        cameras,
        RuleSet(),
        day=DAY,
        start_s=EVENING_S,
        settings=TwinSettings(stale_after_s=30, seed=seed),
    )
    return bus, TwinService(bus, twin, confirm_after_s=3.0)


def test_duplicate_deliveries_do_not_duplicate_alerts(kafka_broker: str) -> None:
    tag = new_id()
    bus, service = make_service(kafka_broker, tag)
    publisher = Publisher(bus)
    sent: list[Message] = []
    for k in range(1, 4):
        t = EVENING_S + 60 * k
        surge = count(f"plaza_{tag}", "plaza", 3000, t - 5)
        for _ in range(3):  # at-least-once: the same count delivered three times
            publisher.publish(surge, key=tag)
        publisher.publish(count(f"tram_{tag}", "l_tram", 5, t - 5), key=tag)
        bus.flush(10)
        read_until(lambda: [], lambda _: False, 0.3)
        service.pump(t, timeout_s=1.0)
        sent += [m for m in service.cycle(t).messages if isinstance(m, Alert)]
    assert service.counts.stats.duplicates >= 6
    opened = [m for m in sent if m.msg_type == "Alert" and m.zone == "plaza"]
    assert len(opened) == 1
    first = opened[0]
    ack = {
        "schema": OPS_ALERT,
        "id": new_id(),
        "identifier": "",
        "sender": "operator 7",
        "sent": iso(first.sent),
        "status": "Actual",
        "msgType": "Ack",
        "scope": "Restricted",
        "incident": first.incident,
        "references": [first.reference.cap()],
    }
    ack["identifier"] = ack["id"]
    for _ in range(2):  # the Ack delivered twice
        publisher.publish(ack, key="plaza")
    bus.flush(10)
    answers: list[Message] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not answers:
        answers += service.pump(EVENING_S + 200, timeout_s=0.5)
    read_until(lambda: [], lambda _: False, 1.0)
    answers += service.pump(EVENING_S + 200, timeout_s=0.5)
    assert [(m.msg_type, m.state, m.incident) for m in answers] == [
        ("Update", "acked", first.incident)
    ]
    service.close()
    bus.close()


def test_end_to_end_counts_to_alert_read_by_a_plain_kafka_consumer(kafka_broker: str) -> None:
    tag = new_id()
    bus, service = make_service(kafka_broker, tag, seed=9)
    t = EVENING_S + 60
    Publisher(bus).publish(count(f"plaza_{tag}", "plaza", 4200, t - 1), key=tag)
    bus.flush(10)
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and getattr(service.twin.latest.get(f"plaza_{tag}"), "count", None) != 4200
    ):  # earlier tests' counts are on the topic too
        service.pump(t, timeout_s=0.5)
    alerts = [m for m in service.cycle(t).messages if isinstance(m, Alert)]
    bus.flush(10)
    ids = {m.id for m in alerts}
    assert any(m.rule == "density_now" and m.severity == "Extreme" for m in alerts)
    consumer = plain_consumer(kafka_broker, OPS_ALERT)
    seen: dict[str, dict] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not ids <= set(seen):
        for records in consumer.poll(500).values():
            for r in records:
                message = json.loads(r.value)
                if message["id"] in ids:  # the topic holds earlier tests' alerts too
                    seen[message["id"]] = message
                    assert r.key == message["zone"].encode()
    consumer.close()
    assert ids <= set(seen)
    plaza = next(seen[i] for i in ids if seen[i]["zone"] == "plaza")
    assert plaza["msgType"] == "Alert" and decode(json.dumps(plaza).encode())["headline"]
    service.close()
    bus.close()


def test_consumer_group_of_identical_workers_joins_in_seconds(kafka_broker: str) -> None:
    """Two workers of one group: the group settles (every partition owned by one of them) in
    seconds, then every record published is read by exactly the group, none lost.

    Publishing only once the group has settled keeps the check the same under load: a
    rebalance still in progress when records arrive is what made one run in five miss half of
    them (partitions revoked mid-read); how long settling takes is still asserted.
    """
    bus = kafka_bus(kafka_broker)
    bus.create_topics([ZONE_COUNT])
    tag = new_id()
    group = f"workers-{tag}"
    started = time.monotonic()
    workers = [bus.subscribe([ZONE_COUNT], group=group) for _ in range(2)]
    partitions = workers[0].consumer.partitions_for_topic(ZONE_COUNT) or set()
    got: list[Record] = []

    def owned() -> set[int]:
        return {tp.partition for w in workers for tp in w.consumer.assignment()}

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not (partitions and owned() == partitions):
        for w in workers:
            got += w.poll(0.3)
    join_s = time.monotonic() - started
    assert partitions and owned() == partitions, f"group never settled: {owned()}"
    assert all(w.consumer.assignment() for w in workers), "both workers share the partitions"
    assert join_s < 30, f"group join took {join_s:.1f} s"
    for i in range(20):
        Publisher(bus).publish(count(f"cam_{tag}_{i % 4}", "plaza", i, EVENING_S), key=f"c{i % 4}")
    bus.flush(10)
    deadline = time.monotonic() + 40

    def mine() -> list[Record]:  # the shared broker also holds other tests' records, nulls too
        return [r for r in got if r.value is not None and tag.encode() in r.value]

    while time.monotonic() < deadline and len({r.value for r in mine()}) < 20:
        for w in workers:
            got += w.poll(0.3)
    assert len({r.value for r in mine()}) == 20
    for w in workers:
        w.close()
    bus.close()
