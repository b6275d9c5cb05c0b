"""Rendered frames through the real ONNX counting model into the twin, and out to Kafka."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from live_helpers import DAY, EVENING_S, arena

from simulator.scenario.loader import load_scenario
from streams.errors import ConfigError
from streams.frames import FrameReplay, frame_cameras, load_model
from streams.inbox import Publisher
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.live import default_start
from streams.messages import OPS_ALERT, TOPICS, validate
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

STADIUM = Path(__file__).parents[2] / "scenarios" / "stade_mohammed_v.yaml"


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model(None)


def test_frame_cameras_watch_patches_of_crowded_zones() -> None:
    cams = frame_cameras(arena())
    assert {c.zone for c in cams} == {"plaza", "concourse", "gate_a", "l_east", "l_west"}
    plaza = next(c for c in cams if c.zone == "plaza")
    assert plaza.coverage == pytest.approx(80 / 2000)


def test_frames_are_counted_by_the_model_into_valid_messages(model) -> None:  # type: ignore[no-untyped-def]
    sc = arena()
    cams = frame_cameras(sc)
    replay = FrameReplay(sc, cams, model, day=DAY, start_s=EVENING_S, seed=2)
    messages = replay.counts(EVENING_S + 15)
    assert len(messages) == len(cams) and replay.frames == len(cams)
    for m in messages:
        validate(m.to_dict())
        assert m.model == model.name and m.count >= 0
    replay.silent.add(cams[0].id)
    assert len(replay.counts(EVENING_S + 30)) == len(cams) - 1


def test_unknown_model_is_a_config_error_naming_the_option() -> None:
    with pytest.raises(ConfigError, match="--model: expected an installed counting model"):
        load_model("no_such_model")


@pytest.mark.integration
def test_frames_to_alert_on_kafka_read_by_a_plain_consumer(kafka_broker: str, model) -> None:  # type: ignore[no-untyped-def]
    """Frames -> ONNX -> counts on Kafka -> twin (assimilates them) -> Alert on ops.alert.v1."""
    sc = load_scenario(STADIUM)
    start = default_start(sc)  # 8 min before the final whistle: egress crowding ahead
    cams = frame_cameras(sc)
    bus = KafkaBus(
        KafkaSettings(
            bootstrap=kafka_broker, enable_idempotence=False, use_highwater=True, producer_retries=0
        )
    )
    bus.create_topics(TOPICS)
    twin = DigitalTwin(sc, cams, RuleSet(), day=DAY, start_s=start, settings=TwinSettings(seed=1))
    service = TwinService(bus, twin)
    replay = FrameReplay(sc, cams, model, day=DAY, start_s=start, seed=2)
    publisher = Publisher(bus)
    for m in replay.counts(start + 50):
        publisher.publish(m, key=m.camera)
    assert bus.flush(10) == 0
    deadline = time.monotonic() + 30
    while len(twin.latest) < len(cams) and time.monotonic() < deadline:
        service.pump(start + 60, timeout_s=0.3)
    assert len(twin.latest) == len(cams), "every frame count reached the twin over Kafka"
    report = service.cycle(start + 60)
    assert report.assimilated == len(cams)
    alerts = {m.id: m for m in report.messages if m.schema == OPS_ALERT}
    assert alerts, "the stadium's egress crowding raises alerts at 22:43"
    bus.flush(10)
    consumer = KafkaConsumer(bootstrap_servers=kafka_broker, auto_offset_reset="earliest")
    parts = consumer.partitions_for_topic(OPS_ALERT) or {0}
    consumer.assign([TopicPartition(OPS_ALERT, p) for p in sorted(parts)])
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while not set(alerts) <= seen and time.monotonic() < deadline:
        for records in consumer.poll(500).values():
            seen |= {json.loads(r.value)["id"] for r in records}
    consumer.close()
    assert set(alerts) <= seen
    service.close()
    bus.close()
