"""Against a real broker (Tansu on 127.0.0.1): broker health on /healthz and the page, Acks
confirmed only when the broker has them, and bad records dead-lettered on the real topics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from live_helpers import DAY, EVENING_S, arena, count

from streams.inbox import Inbox
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.messages import DEAD_LETTER, TOPICS, ZONE_COUNT, Alert, DeadLetter, at_clock, new_id

pytestmark = [pytest.mark.integration]
TOKEN = "health-test-token-0123456789"


def _settings(address: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap=address,
        enable_idempotence=False,
        use_highwater=True,
        producer_retries=0,
        health_every_s=0.2,
    )


def _until(what: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return what()


def _alert(zone: str) -> Alert:
    t = at_clock(DAY, EVENING_S)
    ident = new_id()
    return Alert(
        ident, "matchday-twin", t, "Actual", "Alert", ident, (), "Crowd density", "density_now",
        "Immediate", "Severe", "Observed", t, t, "Plaza full", "Hold inflow", zone, zone, "new",
        1.5, 1.4,
    )  # fmt: skip


def test_ack_is_confirmed_only_when_the_broker_has_it_and_health_says_so(broker_control) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from streams.dashboard import DashboardFeed, DashboardView, create_app, operators_from

    bus = KafkaBus(_settings(broker_control.address))
    bus.create_topics(TOPICS)
    view = DashboardView(arena(), day=DAY)
    feed = DashboardFeed(bus, view)
    raised = _alert("plaza")
    bus.send(raised.schema, "plaza", raised.to_json())
    assert bus.flush(10) == 0
    assert _until(lambda: feed.drain() > 0 or view.incident(raised.id) is not None, 20)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(view, bus, operators_from({"amina": TOKEN}))) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz").json()["bus"]["up"] is True
        broker_control.stop()
        try:
            assert _until(lambda: (feed.drain(), client.get("/healthz").status_code)[1] == 503, 15)
            body = client.get("/healthz").json()
            assert body["ok"] is False and "no broker answers" in body["bus"]["detail"]
            assert view.state()["bus"]["up"] is False  # what the page's SSE state carries
            refused = client.post(f"/api/alerts/{raised.id}/ack", json={}, headers=auth)
            assert refused.status_code == 503
            assert "NOT recorded" in refused.json()["detail"]
        finally:
            broker_control.start()
        bus.create_topics(TOPICS)  # the restarted (memory) broker forgot its topics
        assert _until(lambda: (feed.drain(), client.get("/healthz").status_code)[1] == 200, 20)
        taken = client.post(f"/api/alerts/{raised.id}/ack", json={}, headers=auth)
        assert taken.status_code == 202, taken.text
    feed.stop()
    bus.close()


def test_bad_records_on_a_real_topic_are_dead_lettered_and_reading_goes_on(
    kafka_broker: str,
) -> None:
    bus = KafkaBus(_settings(kafka_broker))
    bus.create_topics(TOPICS)
    inbox = Inbox(bus, [ZONE_COUNT])
    tag = new_id()
    good = count(f"cam_{tag}", "plaza", 7, EVENING_S)
    bus.send(ZONE_COUNT, tag, None)  # type: ignore[arg-type]  # a null (tombstone) record
    impossible = good | {"id": new_id(), "event_time": "2030-02-30T20:30:00+01:00"}
    bus.send(ZONE_COUNT, tag, json.dumps(impossible).encode())
    bus.send(ZONE_COUNT, tag, b'{"a":' * 40_000 + b"1" + b"}" * 40_000)
    bus.send(ZONE_COUNT, tag, json.dumps(good).encode())
    assert bus.flush(10) == 0
    got: list[object] = []
    assert _until(lambda: bool(got.extend(inbox.poll(0.5))) or bool(got), 20)
    assert [getattr(m, "count", None) for m in got] == [7]
    assert inbox.stats.dead_lettered == 3
    bus.flush(10)
    letters: list[DeadLetter] = []
    reader = bus.subscribe([DEAD_LETTER])

    wanted = ("no value", "real date-time", "nested too deep")

    def read() -> bool:
        for r in reader.poll(0.5):
            letter = DeadLetter.from_json(r.value)
            if letter.key == tag:  # earlier tests' letters are on the topic too
                letters.append(letter)
        reasons = " | ".join(letter.reason for letter in letters)
        return all(w in reasons for w in wanted)

    assert _until(read, 20), [letter.reason for letter in letters]
    reader.close()
    inbox.close()
    bus.close()
