"""The dashboard web app: the page, its JSON API, the server-sent event feed, the Ack buttons.

Reads top to bottom: the page and its files; read-only API over the view state; the event
feed (full state on connect, then numbered changes; a reconnecting page sends Last-Event-ID
and gets what it missed); and the two operator actions, which need a bearer token and publish
an ops.alert.v1 Ack on the bus. The page learns the result the same way every other consumer
does: the Ack comes back on the alerts topic and is folded into the view.

The event feed goes through one ``Fanout`` (``fanout.py``): changes are encoded once per tick
for every page, each page has a bounded queue (a slow page loses old frames and gets the
latest state), and past ``max_streams`` open streams a page gets 503 with ``Retry-After``.
Nothing here waits on a page: the twin and the reader run on their own threads and only ever
take the view's lock for a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streams.bus import Bus, health_of
from streams.dashboard.auth import Operators
from streams.dashboard.fanout import MAX_STREAMS, TICK_S, Fanout
from streams.dashboard.layout import map_script
from streams.dashboard.view import DashboardView
from streams.messages import OPS_ALERT, Ack, Alert
from streams.signing import BusKey

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    # Only our own script and style run: injected markup cannot execute even if it got in.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Live data must never be served from a cache (a stale LoS or alert state misleads); the page's
# own files may be kept but are revalidated, so a new release is picked up at once.
NO_STORE = "no-store"
REVALIDATE = "no-cache"


class SecurityHeaders:
    """ASGI middleware: security and cache headers on every response, streams included.

    Plain ASGI rather than ``@app.middleware``: that one pipes every streamed chunk through an
    extra task and memory stream, a cost paid per page per frame.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._fixed = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        live = path.startswith("/api/") or path == "/healthz"
        cache = (NO_STORE if live else REVALIDATE).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                message["headers"] = [*headers, *self._fixed, (b"cache-control", cache)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AckBody(BaseModel):
    note: str = Field(default="", max_length=900)


class AssignBody(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)


def create_app(
    view: DashboardView,
    bus: Bus,
    operators: Operators,
    *,
    poll_s: float = TICK_S,
    escalate_every_s: float = 1.0,
    key: BusKey | None = None,
    max_streams: int = MAX_STREAMS,
) -> FastAPI:
    """The FastAPI app over ``view``; acknowledgements are published on ``bus``.

    ``poll_s`` is how often the stream hub reads the view's changes; at most ``max_streams``
    event streams are open at once (503 with ``Retry-After`` past that).
    """
    stopping = threading.Event()
    fanout = Fanout(view, max_streams=max_streams, tick_s=poll_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(_escalate_forever(view, escalate_every_s)),
            asyncio.create_task(fanout.run(stopping)),
        ]
        yield
        stopping.set()
        fanout.close()
        for task in tasks:
            task.cancel()

    app = FastAPI(title="matchday ops room", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.stopping = stopping
    app.state.fanout = fanout
    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/venue_map.js", include_in_schema=False)
    def venue_map_js() -> Response:  # the map renderer shared with the report
        return Response(map_script(), media_type="text/javascript")

    _read_routes(app, view, fanout)

    @app.get("/api/events", response_model=None)
    async def events(
        since: int | None = None, last_event_id: str | None = Header(None)
    ) -> StreamingResponse | JSONResponse:
        page = fanout.subscribe()
        if page is None:
            wait = fanout.retry_after_s
            detail = (
                f"too many live pages: {fanout.max_streams} event streams are open, the most "
                f"this server allows; retry in {wait} s (close unused dashboard tabs)"
            )
            return JSONResponse({"detail": detail}, 503, headers={"Retry-After": str(wait)})
        seq = since if since is not None else _as_int(last_event_id)
        headers = {"X-Accel-Buffering": "no"}
        stream = fanout.stream(page, seq)
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

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


def _read_routes(app: FastAPI, view: DashboardView, fanout: Fanout) -> None:
    """The read-only API: anyone who can reach the page may read what it shows."""

    @app.get("/healthz")
    async def health() -> JSONResponse:
        # on the loop, no thread hop and no full state: it must answer while pages stream
        bus = dict(view.bus)  # replaced whole by the reader, never changed in place
        body = {
            "ok": bool(bus["up"]),
            "scenario": view.scenario_name,
            "bus": bus,
            "streams": fanout.stats(),
        }
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
    ack: Ack | Alert = Ack.of(incident_id, sender=who, status=incident["status"], note=note)
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


def _as_int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


async def _escalate_forever(view: DashboardView, every_s: float) -> None:
    while True:
        view.escalate_due()
        await asyncio.sleep(every_s)
