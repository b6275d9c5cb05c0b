"""A bus fit for production: TLS/SASL options reach the Kafka client; alerts and Acks carry
a signature that tells the twin from an operator, and forgeries are dead-lettered."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from live_helpers import DAY, EVENING_S, arena, zone_count

from streams.app import LiveOptions, kafka_settings
from streams.bus import InProcessBus
from streams.cameras import Camera
from streams.errors import ConfigError
from streams.kafka_bus import KafkaSettings
from streams.messages import DEAD_LETTER, OPS_ALERT, ZONE_COUNT, Ack, Alert, DeadLetter
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.signing import BusKey, bus_key
from streams.twin import DigitalTwin, TwinSettings

KEY = BusKey(b"deployment-key-of-stade-mohammed-v")


def test_tls_and_sasl_options_are_valid_kafka_python_options() -> None:
    s = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="twin",
        sasl_password="s3cret",
        ssl_cafile="/etc/ssl/kafka-ca.pem",
    )
    assert s.security() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "twin",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": "/etc/ssl/kafka-ca.pem",
    }
    assert "s3cret" not in repr(s)
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(s.security()) <= set(client.DEFAULT_CONFIG), client.__name__
    with pytest.raises(ConfigError, match="SASL_SSL"):
        KafkaSettings(security_protocol="TLS")
    with pytest.raises(ConfigError, match="SCRAM-SHA-256"):
        KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p")
    with pytest.raises(ConfigError, match="MATCHDAY_KAFKA_SASL_PASSWORD"):
        KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="PLAIN", sasl_username="u")


def test_cli_options_and_secrets_reach_the_kafka_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = tmp_path / "password"
    password.write_text("from-a-file\n")
    monkeypatch.setenv("MATCHDAY_KAFKA_SASL_USERNAME", "ops-room")
    options = LiveOptions(
        scenario=tmp_path / "x.yaml",
        kafka="broker.example:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_password_file=password,
        kafka_ca_file=tmp_path / "ca.pem",
    )
    s = kafka_settings(options)
    assert (s.sasl_username, s.sasl_password, s.ssl_cafile) == (
        "ops-room",
        "from-a-file",
        str(tmp_path / "ca.pem"),
    )
    with pytest.raises(ConfigError, match="--kafka-sasl-password-file"):
        kafka_settings(replace(options, kafka_sasl_password_file=tmp_path / "missing"))


def _alert() -> Alert:
    from streams.messages import at_clock

    t = at_clock(DAY, EVENING_S)
    return Alert(
        "a1", "matchday-twin", t, "Actual", "Alert", "a1", (), "Crowd density", "density_now",
        "Immediate", "Severe", "Observed", t, t, "Plaza full", "Hold inflow", "plaza", "Plaza",
        "new", 1.5, 1.4,
    )  # fmt: skip


def test_signatures_tell_the_twin_from_an_operator_and_catch_forgeries() -> None:
    alert = KEY.signed(_alert())
    assert alert.signature and alert.signature.startswith("hmac-sha256:twin:")
    assert KEY.problem(json.loads(alert.to_json())) is None
    ack = KEY.signed(Ack.of("a1", _alert().reference, sender="amina", status="Actual"))
    assert ack.signature and ack.signature.startswith("hmac-sha256:operator:")
    assert KEY.problem(ack.to_dict()) is None
    forged_sender = ack.to_dict() | {"sender": "chief"}  # altered after signing
    assert "does not match" in str(KEY.problem(forged_sender))
    as_twin = Ack.of("a1", _alert().reference, sender="x", status="Actual").to_dict()
    as_twin["signature"] = KEY.sign(alert.to_dict())  # a twin signature on an Ack
    assert "needs 'operator'" in str(KEY.problem(as_twin))
    other = BusKey(b"somebody-elses-key-0123456789")
    assert "does not match" in str(KEY.problem(other.signed(ack).to_dict()))
    assert "missing" in str(KEY.problem(_alert().to_dict()))
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        bus_key(env={"MATCHDAY_BUS_KEY": "short"})


def test_forged_acks_are_dead_lettered_and_genuine_ones_answered() -> None:
    bus = InProcessBus()
    twin = DigitalTwin(
        arena(),
        (Camera("cam_plaza", "plaza"),),
        RuleSet(),
        day=DAY,
        start_s=EVENING_S,
        settings=TwinSettings(seed=1),
    )
    service = TwinService(bus, twin, key=KEY)
    bus.send(
        ZONE_COUNT, "cam_plaza", zone_count("cam_plaza", "plaza", 3000, EVENING_S + 55).to_json()
    )
    service.pump(EVENING_S + 60)
    alerts = [m for m in service.cycle(EVENING_S + 60).messages if isinstance(m, Alert)]
    surge = next(a for a in alerts if a.rule == "density_now")
    published = [json.loads(r.value) for r in bus.topic(OPS_ALERT)]
    assert all(KEY.problem(m) is None for m in published)  # the twin signs what it sends
    forged = Ack.of(surge.incident, surge.reference, sender="amina", status="Actual")
    bus.send(OPS_ALERT, "plaza", forged.to_json())  # unsigned: anyone could have sent it
    assert service.pump(EVENING_S + 70) == []
    letters = [DeadLetter.from_json(r.value) for r in bus.topic(DEAD_LETTER)]
    assert any("signature" in letter.reason for letter in letters)
    genuine = KEY.signed(Ack.of(surge.incident, surge.reference, sender="amina", status="Actual"))
    bus.send(OPS_ALERT, "plaza", genuine.to_json())
    (answer,) = service.pump(EVENING_S + 80)
    assert answer.state == "acked" and answer.signature
