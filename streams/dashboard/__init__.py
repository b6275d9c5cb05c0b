"""The ops-room dashboard: a live web page of zones, forecasts and alerts.

``serve(bus, scenario)`` is all ``matchday live`` needs: in a process of its own (so web
clients never slow the twin) it reads the live topics into a view state, serves the page and
its event feed on 127.0.0.1, and publishes operators' Acks on the alerts topic. Errors are
the live path's (``streams.errors``): ``ConfigError`` for a bad operator token, ``BusError``
when the port cannot be bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from simulator.scenario.model import Scenario
from streams.alerts import EscalationPolicy
from streams.bus import Bus
from streams.dashboard.app import create_app
from streams.dashboard.auth import Operators, operators_from
from streams.dashboard.fanout import MAX_STREAMS, Fanout
from streams.dashboard.feed import DashboardFeed
from streams.dashboard.layout import VenueMap, venue_map
from streams.dashboard.process import BoardConfig, DashboardProcess
from streams.dashboard.server import DEFAULT_HOST, DashboardServer
from streams.dashboard.view import DashboardView
from streams.inbox import Check
from streams.plausible import CountLimits, count_check
from streams.signing import BusKey

__all__ = [
    "DEFAULT_HOST",
    "Dashboard",
    "DashboardFeed",
    "DashboardProcess",
    "DashboardServer",
    "DashboardView",
    "EscalationPolicy",
    "Fanout",
    "Operators",
    "VenueMap",
    "create_app",
    "operators_from",
    "serve",
    "venue_map",
]


@dataclass
class Dashboard:
    """A running dashboard and who may acknowledge.

    ``process`` is set when it runs in its own process (the default: the twin never shares a
    Python interpreter with web clients); ``feed`` and ``server`` when it runs on threads here.
    """

    operators: Operators
    process: DashboardProcess | None = None
    feed: DashboardFeed | None = None
    server: DashboardServer | None = None

    @property
    def url(self) -> str:
        runner = self.process or self.server
        assert runner is not None
        return runner.url

    def banner(self) -> str:
        """What to print for the person who started it (the token only if it was generated)."""
        lines = [f"ops-room dashboard: {self.url}"]
        if self.operators.generated:
            token = next(iter(self.operators.by_token))
            lines.append(f"  operator token for this run: {token}")
            lines.append(f"  open {self.url}#token={token} to acknowledge alerts")
        return "\n".join(lines)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        if self.server is not None:
            self.server.stop()
        if self.feed is not None:
            self.feed.stop()


def serve(
    bus: Bus,
    scenario: Scenario,
    *,
    host: str = DEFAULT_HOST,
    port: int = 8765,
    tokens: Mapping[str, str] | None = None,
    escalation: EscalationPolicy | None = None,
    day: datetime | None = None,
    limits: CountLimits | None = None,
    check: Check | None = None,
    key: BusKey | None = None,
    max_streams: int = MAX_STREAMS,
    process: bool = True,
) -> Dashboard:
    """Start the dashboard for ``scenario`` on ``bus`` in the background; returns once it serves.

    ``tokens`` maps operator name -> token; without it ``MATCHDAY_OPERATOR_TOKEN`` (and
    ``MATCHDAY_OPERATOR`` for the name) is used, else a token is generated for this run.
    ``escalation`` should be the twin's (``RuleSet.lifecycle.escalation``), ``day`` the match
    day's midnight and ``limits`` the twin's count limits (or, on threads, any ``check``), so
    page and twin agree; with ``key`` (the deployment's bus key) Acks are signed and unsigned
    alerts are refused. At most ``max_streams`` pages stream at once; more get 503 with
    ``Retry-After``. With ``process`` (the default) it runs in its own process, fed through a
    relay (``process.py``); otherwise on threads of this one.
    """
    operators = operators_from(tokens)
    if process:
        if check is not None:
            raise ValueError("a check cannot cross into the dashboard process: pass limits")
        config = BoardConfig(
            scenario, operators, host, port, escalation, day, limits, key, max_streams
        )
        return Dashboard(operators, process=DashboardProcess(bus, config).start())
    if limits is not None and check is None:
        check = count_check(limits)
    view = DashboardView(scenario, escalation=escalation, day=day)
    verify = key.problem if key is not None else None
    feed = DashboardFeed(bus, view, check=check, verify=verify).start()
    try:
        app = create_app(view, bus, operators, key=key, max_streams=max_streams)
        server = DashboardServer(app, host=host, port=port).start()
    except Exception:
        feed.stop()
        raise
    return Dashboard(operators, feed=feed, server=server)
