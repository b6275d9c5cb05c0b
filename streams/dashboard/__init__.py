"""The ops-room dashboard: a live web page of zones, forecasts and alerts.

``serve(bus, scenario)`` is all ``matchday live`` needs: it reads the live topics into a view
state, serves the page and its event feed on 127.0.0.1, and publishes operators' Acks on the
alerts topic. Errors are the live path's (``streams.errors``): ``ConfigError`` for a bad
operator token, ``BusError`` when the port cannot be bound.
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
from streams.dashboard.server import DEFAULT_HOST, DashboardServer
from streams.dashboard.view import DashboardView
from streams.inbox import Check
from streams.signing import BusKey

__all__ = [
    "DEFAULT_HOST",
    "Dashboard",
    "DashboardFeed",
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
    """A running dashboard: its reader thread, its web server and who may acknowledge."""

    feed: DashboardFeed
    server: DashboardServer
    operators: Operators

    @property
    def url(self) -> str:
        return self.server.url

    def banner(self) -> str:
        """What to print for the person who started it (the token only if it was generated)."""
        lines = [f"ops-room dashboard: {self.url}"]
        if self.operators.generated:
            token = next(iter(self.operators.by_token))
            lines.append(f"  operator token for this run: {token}")
            lines.append(f"  open {self.url}#token={token} to acknowledge alerts")
        return "\n".join(lines)

    def stop(self) -> None:
        self.server.stop()
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
    check: Check | None = None,
    key: BusKey | None = None,
    max_streams: int = MAX_STREAMS,
) -> Dashboard:
    """Start the dashboard for ``scenario`` on ``bus`` in the background; returns once it serves.

    ``tokens`` maps operator name -> token; without it ``MATCHDAY_OPERATOR_TOKEN`` (and
    ``MATCHDAY_OPERATOR`` for the name) is used, else a token is generated for this run.
    ``escalation`` should be the twin's (``RuleSet.lifecycle.escalation``), ``day`` the match
    day's midnight and ``check`` the twin's plausibility check, so page and twin agree;
    with ``key`` (the deployment's bus key) Acks are signed and unsigned alerts are refused.
    At most ``max_streams`` pages stream at once; more get 503 with ``Retry-After``.
    """
    operators = operators_from(tokens)
    view = DashboardView(scenario, escalation=escalation, day=day)
    verify = key.problem if key is not None else None
    feed = DashboardFeed(bus, view, check=check, verify=verify).start()
    try:
        app = create_app(view, bus, operators, key=key, max_streams=max_streams)
        server = DashboardServer(app, host=host, port=port).start()
    except Exception:
        feed.stop()
        raise
    return Dashboard(feed=feed, server=server, operators=operators)
