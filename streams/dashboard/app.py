"""The dashboard web app: the page, its JSON API, the server-sent event feed, the Ack buttons.

Reads top to bottom: the page and its files; read-only API over the view state; the event
feed (full state on connect, then numbered changes; a reconnecting page sends Last-Event-ID
and gets what it missed); and the two operator actions, which need a bearer token and publish
an ops.alert.v1 Ack on the bus. The page learns the result the same way every other consumer
does: the Ack comes back on the alerts topic and is folded into the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from streams.bus import Bus, health_of
from streams.dashboard.auth import Operators
from streams.dashboard.layout import map_script
from streams.dashboard.view import DashboardView
from streams.messages import OPS_ALERT, Ack, Alert, Reference
from streams.signing import BusKey

STATIC = Path(__file__).with_name("static")
HEARTBEAT_S = 15.0
SECURITY_HEADERS = {
    # Only our own script and style run: injected markup cannot execute even if it got in.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class AckBody(BaseModel):
    note: str = Field(default="", max_length=900)


class AssignBody(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)


def create_app(
    view: DashboardView,
    bus: Bus,
    operators: Operators,
    *,
    poll_s: float = 0.2,
    escalate_every_s: float = 1.0,
    key: BusKey | None = None,
) -> FastAPI:
    """The FastAPI app over ``view``; acknowledgements are published on ``bus``."""
    stopping = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_escalate_forever(view, escalate_every_s))
        yield
        stopping.set()
        task.cancel()

    app = FastAPI(title="matchday ops room", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.stopping = stopping

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/venue_map.js", include_in_schema=False)
    def venue_map_js() -> Response:  # the map renderer shared with the report
        return Response(map_script(), media_type="text/javascript")

    _read_routes(app, view)

    @app.get("/api/events")
    async def events(
        request: Request, since: int | None = None, last_event_id: str | None = Header(None)
    ) -> StreamingResponse:
        seq = since if since is not None else _as_int(last_event_id)
        feed = _feed(request, view, seq, stopping, poll_s)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(feed, media_type="text/event-stream", headers=headers)

    @app.post("/api/alerts/{incident}/ack", status_code=202)
    def ack(
        incident: str, body: AckBody, authorization: str | None = Header(None)
    ) -> dict[str, str]:
        who = _operator(operators, authorization)
        return _publish_ack(view, bus, incident, who, body.note, key)

    @app.post("/api/alerts/{incident}/assign", status_code=202)
    def assign(
        incident: str, body: AssignBody, authorization: str | None = Header(None)
    ) -> dict[str, str]:
        who = _operator(operators, authorization)
        note = f"assigned to {body.assignee.strip()}"
        return _publish_ack(view, bus, incident, who, note, key)

    return app


def _read_routes(app: FastAPI, view: DashboardView) -> None:
    """The read-only API: anyone who can reach the page may read what it shows."""

    @app.get("/healthz")
    def health() -> JSONResponse:
        bus = view.state()["bus"]
        body = {"ok": bool(bus["up"]), "scenario": view.scenario_name, "bus": bus}
        return JSONResponse(body, status_code=200 if bus["up"] else 503)

    @app.get("/api/venue")
    def venue() -> dict[str, Any]:
        return view.map.to_dict()

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return view.state()

    @app.get("/api/audit")
    def audit() -> list[dict[str, Any]]:
        return view.state()["audit"]

    @app.get("/api/trends/{zone}")
    def trend(zone: str) -> dict[str, Any]:
        trends = view.state()["trends"]
        if zone not in trends:
            raise HTTPException(404, f"no trend for zone {zone!r}: no message has named it yet")
        return {"zone": zone, **trends[zone]}


def _operator(operators: Operators, authorization: str | None) -> str:
    """The operator behind an ``Authorization: Bearer <token>`` header, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    who = operators.who(token.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise HTTPException(
            401,
            "operator token missing or wrong: send 'Authorization: Bearer <token>' "
            "with the token the server was started with",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who


def _publish_ack(
    view: DashboardView, bus: Bus, incident_id: str, who: str, note: str, key: BusKey | None
) -> dict[str, str]:
    incident = view.incident(incident_id)
    if incident is None:
        raise HTTPException(404, f"no alert with incident id {incident_id!r}")
    if incident["state"] == "closed":
        raise HTTPException(409, f"alert {incident_id!r} is closed; nothing to acknowledge")
    acked = Reference.parse(incident["last_message"])  # CAP: an Ack references what it acks
    ack: Ack | Alert = Ack.of(incident_id, acked, sender=who, status=incident["status"], note=note)
    if key is not None:  # signed as an operator: consumers can tell it from a forgery
        ack = key.signed(ack)
    data = ack.to_json()  # validates: never publish what consumers would refuse
    if not bus.deliver(OPS_ALERT, incident["zone"], data, timeout_s=5.0):
        health = health_of(bus)
        raise HTTPException(
            503,
            "the broker did not confirm the Ack within 5 s, so it is NOT recorded"
            f" ({health.detail or 'broker unreachable'}); acknowledge again once the bus is back",
        )
    return {"id": ack.id, "incident": incident_id, "by": who}


async def _feed(
    request: Request,
    view: DashboardView,
    seq: int | None,
    stopping: threading.Event,
    poll_s: float,
) -> AsyncIterator[str]:
    """SSE stream: the full state unless the page can catch up, then changes as they happen."""
    yield "retry: 1000\n\n"
    missed = view.events_since(seq) if seq is not None else None
    last, quiet = seq if seq is not None else -1, 0.0
    if missed is None:
        state = view.state()
        last = state["seq"]
        yield _sse("state", last, state)
    while not stopping.is_set() and not await request.is_disconnected():
        batch = missed if missed is not None else view.events_since(last)
        missed = None
        if batch is None:
            state = view.state()
            last = state["seq"]
            yield _sse("state", last, state)
        for number, event in batch or []:
            last = number
            yield _sse("delta", number, event)
        quiet = 0.0 if batch else quiet + poll_s
        if quiet >= HEARTBEAT_S:
            quiet = 0.0
            yield ": heartbeat\n\n"
        await asyncio.sleep(poll_s)


def _sse(kind: str, number: int, data: dict[str, Any]) -> str:
    return f"id: {number}\nevent: {kind}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


def _as_int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


async def _escalate_forever(view: DashboardView, every_s: float) -> None:
    while True:
        view.escalate_due()
        await asyncio.sleep(every_s)
