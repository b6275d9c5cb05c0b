"""``KafkaBus``: the ``Bus`` on Apache Kafka (or any Kafka-protocol broker) via kafka-python.

Delivery is at-least-once: the producer waits for all in-sync replicas (``acks=all``) and retries;
a record whose delivery fails (broker away past the producer's own retries) is kept in a bounded
buffer and sent again on the next ``send``/``flush``, after rebuilding the producer, so one broker
outage does not lose what was queued. Consumers are idempotent by message id (``Inbox``), which
absorbs the duplicates this can cause.

Readers without a group are assigned every partition of their topics and re-check the partition
list every few seconds (a topic re-created with more partitions is picked up). Groups are only
for identical workers and use short session/heartbeat timeouts so a join takes seconds.

Broker quirks are settings, never detected: ``KafkaSettings(enable_idempotence=False)`` for brokers
whose idempotent producer does not survive a restart, ``use_highwater=True`` where
``end_offsets()`` under-reports.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.bus import BusHealth, Record
from streams.errors import BusError, ConfigError

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
PASSWORD_ENV = "MATCHDAY_KAFKA_SASL_PASSWORD"
DELIVER_RETRY_S = 0.25  # pause before a confirmed delivery tries again on a fresh producer


@dataclass(frozen=True)
class KafkaSettings:
    """How to talk to the broker; defaults suit Apache Kafka, the comments say when to change."""

    bootstrap: str = "127.0.0.1:9092"
    client_id: str = "matchday"
    partitions: int = 4
    replication_factor: int = 1
    enable_idempotence: bool = True  # False where idempotent producers break on broker restart
    producer_retries: int | None = None  # None = kafka-python's (unbounded); 0 = only matchday's
    # own re-send, which re-creates the topics first (for brokers that forget topics on restart)
    use_highwater: bool = False  # True where end_offsets() under-reports after batched produce
    linger_ms: int = 5
    max_block_ms: int = 1000  # how long send() may block when the buffer is full / no metadata
    bootstrap_timeout_ms: int = 5_000
    delivery_timeout_ms: int = 30_000
    request_timeout_ms: int = 5_000
    max_unsent: int = 100_000  # records queued or kept for re-sending while the broker is away
    session_timeout_ms: int = 6_000
    fetch_max_wait_ms: int = 50  # how long a fetch waits for data: the floor of read latency
    heartbeat_interval_ms: int = 1_000
    partition_refresh_s: float = 3.0
    health_every_s: float = 1.0  # how often health() probes the broker's port
    # security: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; SASL PLAIN or SCRAM-SHA-256/512
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None  # CA bundle that signed the brokers' certificates
    ssl_certfile: str | None = None  # client certificate (mutual TLS)
    ssl_keyfile: str | None = None

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(
                "--kafka-security-protocol",
                "--kafka-security-protocol",
                f"one of {', '.join(SECURITY_PROTOCOLS)}",
                repr(self.security_protocol),
            )
        sasl = self.security_protocol.startswith("SASL")
        if sasl and self.sasl_mechanism not in SASL_MECHANISMS:
            raise ConfigError(
                "--kafka-sasl-mechanism",
                "--kafka-sasl-mechanism",
                f"one of {', '.join(SASL_MECHANISMS)} with {self.security_protocol}",
                repr(self.sasl_mechanism),
            )
        if sasl and not (self.sasl_username and self.sasl_password):
            raise ConfigError(
                "--kafka-sasl-username",
                "SASL credentials",
                f"a username and a password ({PASSWORD_ENV} or --kafka-sasl-password-file)",
                "none",
            )

    def security(self) -> dict[str, Any]:
        """The kafka-python options for TLS/SASL, shared by producer, consumer and admin."""
        out: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            out |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        if self.security_protocol.endswith("SSL"):
            out |= {
                k: v
                for k, v in {
                    "ssl_cafile": self.ssl_cafile,
                    "ssl_certfile": self.ssl_certfile,
                    "ssl_keyfile": self.ssl_keyfile,
                }.items()
                if v is not None
            }
        return out


class KafkaBus:
    """Kafka topics behind the ``Bus`` interface."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._failed: deque[tuple[str, str | None, bytes]] = deque()
        self._in_flight = 0
        self._topics: set[str] = set()
        self._retry_at = 0.0  # while records wait, try the broker again only after this
        self._broken = False  # a delivery failed: abandon the producer and its queued batches
        self._producer: KafkaProducer | None = None
        self._probed_at = 0.0
        self._reachable = True
        self._producer = self._new_producer()

    def _new_producer(self) -> KafkaProducer:
        s = self.settings
        try:
            return KafkaProducer(
                bootstrap_servers=s.bootstrap,
                client_id=s.client_id,
                acks="all",
                enable_idempotence=s.enable_idempotence,
                **({} if s.producer_retries is None else {"retries": s.producer_retries}),
                linger_ms=s.linger_ms,
                max_block_ms=s.max_block_ms,
                bootstrap_timeout_ms=s.bootstrap_timeout_ms,
                delivery_timeout_ms=s.delivery_timeout_ms,
                request_timeout_ms=s.request_timeout_ms,
                reconnect_backoff_max_ms=1000,
                **s.security(),
            )
        except KafkaError as exc:
            raise BusError(f"no Kafka broker answers at {s.bootstrap} (--kafka HOST:PORT)") from exc

    def create_topics(self, topics: Sequence[str]) -> None:
        s = self.settings
        self._topics.update(topics)
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=s.bootstrap,
                client_id=s.client_id,
                request_timeout_ms=s.request_timeout_ms,
                bootstrap_timeout_ms=s.bootstrap_timeout_ms,
                reconnect_backoff_max_ms=1000,
                **s.security(),
            )
        except KafkaError as exc:
            raise BusError(f"no Kafka broker answers at {s.bootstrap}") from exc
        try:
            existing = set(admin.list_topics())
            new = [
                NewTopic(t, num_partitions=s.partitions, replication_factor=s.replication_factor)
                for t in topics
                if t not in existing
            ]
            if new:
                admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            raise BusError(
                f"could not create topics {list(topics)} on {s.bootstrap}: {exc}"
            ) from exc
        finally:
            admin.close()

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        self._abandon_if_broken()
        self._resend_failed()
        if self._failed:  # the broker is away: queue behind the others, keep their order
            self._check_room()
            self._failed.append((topic, key, value))
            return
        self._send_one(topic, key, value)

    def _check_room(self) -> None:
        if self._in_flight + len(self._failed) >= self.settings.max_unsent:
            raise BusError(
                f"{self._in_flight + len(self._failed)} records wait for the broker at"
                f" {self.settings.bootstrap}; the buffer (KafkaSettings.max_unsent) is full"
            )

    def _send_one(self, topic: str, key: str | None, value: bytes) -> None:
        self._check_room()
        try:
            producer = self._producer or self._new_producer()
            self._producer = producer
            future = producer.send(topic, key=key.encode() if key else None, value=value)
        except (KafkaError, BusError):
            self._failed.append((topic, key, value))
            return
        self._in_flight += 1
        future.add_callback(self._delivered)
        future.add_errback(lambda _exc: self._undelivered(topic, key, value))

    def _delivered(self, _metadata: object) -> None:
        self._in_flight -= 1

    def _undelivered(self, topic: str, key: str | None, value: bytes) -> None:
        self._in_flight -= 1
        self._broken = True
        self._failed.append((topic, key, value))

    def _abandon_if_broken(self) -> None:
        """After a failed delivery, fail everything the producer still holds into our buffer.

        Records queued inside kafka-python would otherwise be sent as soon as the broker is
        back, before ``_resend_failed`` has re-created the topics a restarted broker may have
        forgotten. Force-closing aborts them (their errbacks move them to ``_failed``).
        """
        if not self._broken or self._producer is None:
            return
        producer, self._producer, self._broken = self._producer, None, False
        with contextlib.suppress(KafkaError):
            producer.close(timeout=0)

    def _resend_failed(self) -> None:
        if not self._failed or time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + 1.0
        self._abandon_producer()  # a producer that failed may stay broken: start afresh
        try:
            self._producer = self._new_producer()
            self.create_topics(sorted(self._topics))  # a broker back from an outage may lack them
        except BusError:
            return  # still away; keep buffering
        batch, self._failed = self._failed, deque()
        for topic, key, value in batch:
            self._send_one(topic, key, value)

    def flush(self, timeout_s: float = 10.0) -> int:
        deadline = time.monotonic() + timeout_s
        self._abandon_if_broken()
        self._resend_failed()
        while time.monotonic() < deadline:
            self._abandon_if_broken()
            if self._producer is not None:
                with contextlib.suppress(KafkaError):
                    self._producer.flush(timeout=max(0.1, deadline - time.monotonic()))
            if not self._failed and not self._broken and self._in_flight == 0:
                return 0
            time.sleep(0.2)
            self._abandon_if_broken()
            self._resend_failed()
        return self.pending()

    def pending(self) -> int:
        """Records not yet acknowledged by the broker (in flight or waiting to be re-sent)."""
        return self._in_flight + len(self._failed)

    def deliver(self, topic: str, key: str | None, value: bytes, timeout_s: float = 5.0) -> bool:
        """Send one record and wait for the broker's acknowledgement (``acks=all``).

        A refused or failed send is tried again, on a fresh producer, until ``timeout_s`` is
        spent: just after a broker restart the first produce can fail (stale metadata, a topic
        still being re-created) although the broker answers and health says up. False when
        the broker did not confirm in time; the record is then not kept for re-sending (the
        caller, e.g. an operator's Ack, is told to try again). A repeat that reaches the
        broker twice is dropped by consumers by id.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                producer = self._producer or self._new_producer()
                self._producer = producer
                future = producer.send(topic, key=key.encode() if key else None, value=value)
                future.get(timeout=left)
            except (KafkaError, BusError):
                if deadline - time.monotonic() < DELIVER_RETRY_S:
                    return False
                self._abandon_producer()
                time.sleep(DELIVER_RETRY_S)
                continue
            return True

    def _abandon_producer(self) -> None:
        """Drop a producer whose send failed; what it still holds fails into ``_failed``."""
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(KafkaError):
                producer.close(timeout=0)

    def health(self) -> BusHealth:
        """Down while records wait to be re-sent or the broker's port does not answer."""
        now = time.monotonic()
        if now - self._probed_at >= self.settings.health_every_s:
            self._probed_at = now
            self._reachable = _reachable(self.settings.bootstrap)
        pending = self.pending()
        if not self._reachable:
            return BusHealth(False, f"no broker answers at {self.settings.bootstrap}", pending)
        if self._failed:
            return BusHealth(False, f"{len(self._failed)} records wait to be re-sent", pending)
        return BusHealth(True, f"Kafka at {self.settings.bootstrap}", pending)

    def subscribe(
        self, topics: Sequence[str], *, from_beginning: bool = True, group: str | None = None
    ) -> KafkaSubscription:
        return KafkaSubscription(self.settings, tuple(topics), from_beginning, group)

    def close(self) -> None:
        if self._producer is not None:
            self.flush(timeout_s=5.0)
            if self._producer is not None:
                self._producer.close(timeout=1)
            self._producer = None


def _reachable(bootstrap: str, timeout_s: float = 0.3) -> bool:
    """True when some bootstrap server accepts a TCP connection (a cheap liveness probe)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


class KafkaSubscription:
    """Reads topics by assigned partitions (no group) or as a member of a consumer group."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: tuple[str, ...],
        from_beginning: bool,
        group: str | None,
    ) -> None:
        self.settings = settings
        self.topics = topics
        self.group = group
        self.from_beginning = from_beginning
        config: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap,
            "client_id": settings.client_id,
            "group_id": group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest" if from_beginning else "latest",
            "session_timeout_ms": settings.session_timeout_ms,
            "heartbeat_interval_ms": settings.heartbeat_interval_ms,
            "request_timeout_ms": max(
                settings.request_timeout_ms, settings.session_timeout_ms + 1000
            ),
            "reconnect_backoff_max_ms": 1000,
            "bootstrap_timeout_ms": settings.bootstrap_timeout_ms,
            "fetch_max_wait_ms": settings.fetch_max_wait_ms,
            **settings.security(),
        }
        try:
            self.consumer = KafkaConsumer(**config)
        except KafkaError as exc:
            raise BusError(f"no Kafka broker answers at {settings.bootstrap}") from exc
        self._assigned: set[TopicPartition] = set()
        self._checked = 0.0
        if group:
            self.consumer.subscribe(list(topics))
        else:
            self._refresh_assignment()

    def _refresh_assignment(self) -> None:
        """Assign every partition of our topics, keeping positions of those already held."""
        self._checked = time.monotonic()
        wanted: set[TopicPartition] = set()
        for topic in self.topics:
            for partition in self.consumer.partitions_for_topic(topic) or ():
                wanted.add(TopicPartition(topic, partition))
        if wanted and wanted != self._assigned:
            added = wanted - self._assigned
            self.consumer.assign(sorted(wanted))
            self._assigned = wanted
            if not self.from_beginning:  # fix "the end" now, not at the first fetch
                self.consumer.seek_to_end(*sorted(added))
                for tp in added:
                    self.consumer.position(tp)
        self._rewind_truncated()

    def _log_ends(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int | None]:
        if self.settings.use_highwater:
            return {tp: self.consumer.highwater(tp) for tp in partitions}
        try:
            return dict(self.consumer.end_offsets(partitions))
        except KafkaError:
            return {}

    def _rewind_truncated(self) -> None:
        """Read a partition again from its start when its log now ends before our position.

        That happens when the broker lost the log (a restart without persistent storage, or
        the topic deleted and re-created); Kafka answers OffsetOutOfRange, which
        ``auto_offset_reset`` handles, but a broker that answers with an empty fetch instead
        would leave us waiting for offsets that will never come.
        """
        held = sorted(self.consumer.assignment())
        for tp, end in self._log_ends(held).items():
            if end is None:
                continue
            try:
                position = self.consumer.position(tp, timeout_ms=1000)
            except KafkaError:
                continue
            if position is not None and end < position:
                self.consumer.seek_to_beginning(tp)

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Record]:
        if self.group is None and (
            not self._assigned
            or time.monotonic() - self._checked > self.settings.partition_refresh_s
        ):
            self._refresh_assignment()
        if self.group is not None:
            self._commit()
        if not self._assigned and self.group is None:
            time.sleep(min(timeout_s, 0.2))
            return []
        batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        out: list[Record] = []
        for tp, records in batches.items():
            for r in records:
                key = r.key.decode("utf-8", errors="replace") if r.key is not None else None
                out.append(Record(tp.topic, key, r.value, tp.partition, r.offset))
        return out

    def _commit(self) -> None:
        """Commit what the previous poll returned (at-least-once: after it was handled)."""
        # a failed commit means re-delivery, which the Inbox's id check absorbs
        with contextlib.suppress(KafkaError):
            self.consumer.commit()

    def close(self) -> None:
        self.consumer.close(autocommit=False)
