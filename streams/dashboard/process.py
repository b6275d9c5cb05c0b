"""The dashboard in its own process, so no number of web clients can slow the twin.

Why a process and not a thread: Python runs one thread at a time per process. With the web
server on a thread beside the twin, 256 streaming pages doubled the twin's cycle time (0.75 s
to 1.74 s, measured); 1,000 made the run three times slower. In its own process the web side
can only compete for a CPU core, and it runs at a lower priority (``nice`` +5) so the twin wins
that too.

The live process keeps the bus. A ``Relay`` (two threads there) reads the dashboard's topics
from the beginning and passes the raw records, with the broker's health, down a pipe; it runs
the Acks the page asks for (``deliver``: confirmed by the broker or refused) and answers.
In the dashboard process a ``PipeBus`` offers the same ``Bus`` interface over that pipe, so the
reader (``DashboardFeed``: validation, de-duplication, signatures), the view and the web app
are the very code that runs in a thread. If the dashboard process dies, the live run goes on
without it; if the live process dies, the dashboard process sees the pipe close and exits.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from simulator.scenario.model import Scenario
from streams.alerts import EscalationPolicy
from streams.bus import Bus, BusHealth, Record, health_of
from streams.dashboard.auth import Operators
from streams.dashboard.feed import TOPICS
from streams.errors import BusError
from streams.plausible import CountLimits
from streams.signing import BusKey

log = logging.getLogger(__name__)
START_TIMEOUT_S = 60.0  # a fresh interpreter imports the web stack and the simulator
POLL_S = 0.2
NICE = 5
CHILD = "from streams.dashboard.process import main; main()"


@dataclass(frozen=True)
class BoardConfig:
    """Everything the dashboard process needs, all of it picklable (no closures)."""

    scenario: Scenario
    operators: Operators
    host: str
    port: int
    escalation: EscalationPolicy | None
    day: datetime | None
    limits: CountLimits | None
    key: BusKey | None
    max_streams: int


# -- the live process's side ------------------------------------------------------------------


class Relay:
    """Bus <-> pipe: records and health down, Ack deliveries up and their results back."""

    def __init__(self, bus: Bus, conn: Connection) -> None:
        self.bus = bus
        self.conn = conn
        self.forwarded = 0
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        bus.create_topics(TOPICS)
        self._subscription = bus.subscribe(TOPICS, from_beginning=True)
        self._threads = [
            threading.Thread(target=self._records, name="dashboard-relay", daemon=True),
            threading.Thread(target=self._requests, name="dashboard-acks", daemon=True),
        ]

    def start(self) -> Relay:
        for thread in self._threads:
            thread.start()
        return self

    def _send(self, message: tuple[Any, ...]) -> bool:
        try:
            with self._send_lock:
                self.conn.send(message)
            return True
        except (OSError, ValueError):  # the dashboard process is gone: the live run goes on
            if not self._stop.is_set():
                log.warning("the dashboard process has gone; the live run goes on without it")
            self._stop.set()
            return False

    def _records(self) -> None:
        while not self._stop.is_set():
            try:
                records = self._subscription.poll(POLL_S, 500)
            except Exception:  # a broker error in poll: log, wait, read on
                log.exception("dashboard relay: poll failed; retrying")
                self._stop.wait(POLL_S)
                continue
            if self._send(("records", records, health_of(self.bus))):
                self.forwarded += len(records)

    def _requests(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.conn.poll(POLL_S):
                    continue
                message = self.conn.recv()
            except (OSError, EOFError, ValueError):
                self._stop.set()
                return
            if message[0] == "deliver":
                worker = threading.Thread(target=self._deliver, args=message[1:], daemon=True)
                worker.start()
            elif message[0] == "send":
                self.bus.send(*message[1:])

    def _deliver(self, ident: int, topic: str, key: str | None, value: bytes, wait: float) -> None:
        try:
            ok = self.bus.deliver(topic, key, value, timeout_s=wait)
        except Exception:
            log.exception("dashboard relay: delivery failed")
            ok = False
        self._send(("delivered", ident, ok))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        with contextlib.suppress(Exception):
            self._subscription.close()


class DashboardProcess:
    """The dashboard running in a child process; ``start`` returns once it serves."""

    def __init__(self, bus: Bus, config: BoardConfig) -> None:
        self._bus = bus
        self._config = config
        self._relay: Relay | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.host = config.host
        self.port = 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> DashboardProcess:
        # A fresh interpreter, not multiprocessing: never a fork of a threaded process, and no
        # re-import of the caller's main module (a script without a main guard would rerun).
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])  # the same ``streams`` as ours
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env={**os.environ, "PYTHONPATH": path},
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(self._config)
        if not self._conn.poll(START_TIMEOUT_S):
            self._kill()
            raise BusError(f"the dashboard process did not start within {START_TIMEOUT_S:.0f} s")
        try:
            kind, value = self._conn.recv()
        except EOFError as exc:
            self._kill()
            raise BusError("the dashboard process exited while starting") from exc
        if kind != "started":
            self._kill()
            raise BusError(str(value))
        self.port = int(value)
        self._relay = Relay(self._bus, self._conn).start()
        return self

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._process is not None:
            self._process.wait(timeout=5.0)

    def stop(self) -> None:
        """Ask the dashboard to finish its streams and exit; bounded, then killed."""
        if self._relay is not None:
            self._relay._send(("stop",))
            self._relay.stop()
        if self._process is not None:
            try:
                self._process.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                self._kill()
        if self._conn is not None:
            self._conn.close()


# -- the dashboard process's side -------------------------------------------------------------


class PipeSubscription:
    """Records the relay passed down, in order; ``poll`` waits on a condition."""

    def __init__(self, bus: PipeBus) -> None:
        self._bus = bus

    def poll(self, timeout_s: float = 0.0, max_records: int = 500) -> list[Record]:
        with self._bus.changed:
            if not self._bus.records and timeout_s > 0 and not self._bus.closed:
                self._bus.changed.wait(timeout_s)
            out: list[Record] = []
            while self._bus.records and len(out) < max_records:
                out.append(self._bus.records.popleft())
            return out

    def close(self) -> None:
        pass


class PipeBus:
    """The ``Bus`` a dashboard process sees: the live process's bus, through the relay.

    One reader only (the dashboard's), so records are handed out once; ``deliver`` waits for
    the live process's answer, which waits for the broker's.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.changed = threading.Condition()
        self.records: deque[Record] = deque()
        self.closed = False
        self.stopping = threading.Event()
        self._health = BusHealth(up=True, detail="waiting for the live process")
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._answers: dict[int, tuple[threading.Event, list[bool]]] = {}
        self._receiver = threading.Thread(target=self._receive, name="pipe-bus", daemon=True)
        self._receiver.start()

    def _receive(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):  # the live process is gone: stop serving
                break
            if message[0] == "records":
                with self.changed:
                    self.records.extend(message[1])
                    self._health = message[2]
                    self.changed.notify_all()
            elif message[0] == "delivered":
                waiting = self._answers.get(message[1])
                if waiting is not None:
                    waiting[1].append(bool(message[2]))
                    waiting[0].set()
            elif message[0] == "stop":
                break
        with self.changed:
            self.closed = True
            self._health = BusHealth(up=False, detail="the live process has stopped")
            self.changed.notify_all()
        self.stopping.set()

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            self.conn.send(message)

    def create_topics(self, topics: Sequence[str]) -> None:
        pass  # the relay created them on the real bus

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        self._send(("send", topic, key, value))

    def flush(self, timeout_s: float = 10.0) -> int:
        return 0

    def deliver(self, topic: str, key: str | None, value: bytes, timeout_s: float = 5.0) -> bool:
        ident = next(self._ids)
        done: tuple[threading.Event, list[bool]] = (threading.Event(), [])
        self._answers[ident] = done
        try:
            self._send(("deliver", ident, topic, key, value, timeout_s))
            done[0].wait(timeout_s + 2.0)  # the broker's time-out, plus the pipe's
            return bool(done[1] and done[1][0])
        except OSError:
            return False
        finally:
            self._answers.pop(ident, None)

    def health(self) -> BusHealth:
        return self._health

    def subscribe(
        self, topics: Sequence[str], *, from_beginning: bool = True, group: str | None = None
    ) -> PipeSubscription:
        return PipeSubscription(self)

    def close(self) -> None:
        pass


def _child_main(conn: Connection, config: BoardConfig) -> None:
    """Entry point of the dashboard process: serve until told to stop or the pipe closes."""
    from streams.dashboard.app import create_app
    from streams.dashboard.feed import DashboardFeed
    from streams.dashboard.server import DashboardServer
    from streams.dashboard.view import DashboardView
    from streams.plausible import count_check

    with contextlib.suppress(OSError):
        os.nice(NICE)  # under CPU contention the twin (in the live process) goes first
    # Ctrl-C reaches the whole process group: the live process handles it and stops us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        bus = PipeBus(conn)
        view = DashboardView(config.scenario, escalation=config.escalation, day=config.day)
        check = count_check(config.limits) if config.limits is not None else None
        verify = config.key.problem if config.key is not None else None
        feed = DashboardFeed(bus, view, check=check, verify=verify).start()
        app = create_app(
            view, bus, config.operators, key=config.key, max_streams=config.max_streams
        )
        server = DashboardServer(app, host=config.host, port=config.port).start()
    except Exception as error:
        with contextlib.suppress(OSError):
            conn.send(("failed", str(error)))
        return
    conn.send(("started", server.port))
    bus.stopping.wait()
    server.stop()
    feed.stop()


def main() -> None:
    """The dashboard process's ``main``; its argument is the pipe's file descriptor."""
    conn = Connection(int(sys.argv[1]))
    config = conn.recv()
    _child_main(conn, config)
