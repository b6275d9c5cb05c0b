"""What keeps the ops-room page safe, on a real server: security and cache headers on every
response, no cross-origin access, no way out of the static folder, loopback by default."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from streams.bus import InProcessBus
from streams.dashboard import (
    DEFAULT_HOST,
    DashboardFeed,
    DashboardServer,
    DashboardView,
    create_app,
    operators_from,
)
from streams.messages import OPS_ALERT, encode

from .conftest import MATCH_DAY, alert

TOKEN = "headers-test-token-0123"
T = 20 * 3600.0


@pytest.fixture
def server(scenario):
    bus = InProcessBus()
    view = DashboardView(scenario, day=MATCH_DAY)
    raised = alert("plaza_n", T)
    bus.send(raised["schema"], "plaza_n", encode(raised))
    DashboardFeed(bus, view).drain()
    app = create_app(view, bus, operators_from({"amina": TOKEN}), max_streams=1)
    with DashboardServer(app, port=0) as running:
        running.incident = raised["incident"]  # type: ignore[attr-defined]
        running.bus = bus  # type: ignore[attr-defined]
        yield running


def _raw(port: int, request: str) -> tuple[int, dict[str, str], bytes]:
    """One request over a raw socket (no client library normalising paths or headers)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if b"text/event-stream" not in head:  # a stream never ends: the head is enough
            sock.settimeout(2)
            try:
                while chunk := sock.recv(65536):
                    body += chunk
            except TimeoutError:
                pass
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def _get(port: int, path: str, extra: str = "") -> tuple[int, dict[str, str], bytes]:
    return _raw(
        port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n"
    )


def _post(port: int, path: str, body: str, headers: str) -> tuple[int, dict[str, str], bytes]:
    return _raw(
        port,
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n{body}",
    )


def _assert_secure(headers: dict[str, str], what: str) -> None:
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert headers.get("x-frame-options") == "DENY", what


def test_every_response_carries_security_and_cache_headers(server):
    port, incident = server.port, server.incident
    page = {
        "/": "no-cache",
        "/static/app.js": "no-cache",
        "/static/style.css": "no-cache",
        "/venue_map.js": "no-cache",
    }
    live = ["/healthz", "/api/state", "/api/venue", "/api/audit", "/api/trends/none"]
    for path, cache in page.items():
        status, headers, _ = _get(port, path)
        assert status == 200, path
        _assert_secure(headers, path)
        assert headers["cache-control"] == cache, path
    for path in live:
        status, headers, _ = _get(port, path)
        assert status in (200, 404), path
        _assert_secure(headers, path)
        assert headers["cache-control"] == "no-store", path  # never a stale LoS or alert state
    status, headers, _ = _get(port, "/api/events")  # the one stream the cap (1) allows
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    _assert_secure(headers, "/api/events")
    assert headers["cache-control"] == "no-store"
    for status, headers, _ in (
        _post(port, f"/api/alerts/{incident}/ack", "{}", "Content-Type: application/json\r\n"),
        _get(port, "/nowhere"),
    ):
        assert status in (401, 404)
        _assert_secure(headers, str(status))


def test_no_cross_origin_reads_and_no_cross_site_acks(server):
    port, incident = server.port, server.incident
    evil = "Origin: https://evil.example\r\n"
    status, headers, _ = _get(port, "/api/state", evil)
    assert status == 200 and "access-control-allow-origin" not in headers  # browsers block it
    preflight = (
        f"OPTIONS /api/alerts/{incident}/ack HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Connection: close\r\n{evil}Access-Control-Request-Method: POST\r\n"
        "Access-Control-Request-Headers: authorization,content-type\r\n\r\n"
    )
    status, headers, _ = _raw(port, preflight)
    assert status >= 400 and "access-control-allow-origin" not in headers
    # what a cross-site form can send (no custom header, form encoding) is refused
    form = "note=forged"
    status, _, _ = _post(
        port,
        f"/api/alerts/{incident}/ack",
        form,
        f"{evil}Content-Type: application/x-www-form-urlencoded\r\n",
    )
    assert status in (401, 422)
    status, _, _ = _post(
        port,
        f"/api/alerts/{incident}/ack",
        form,
        f"{evil}Authorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n",
    )
    assert status == 422  # the body must be JSON, which a form cannot send
    assert len(server.bus.topic(OPS_ALERT)) == 1  # only the alert itself: no Ack got through


@pytest.mark.parametrize(
    "path",
    [
        "/static/../auth.py",
        "/static/%2e%2e/auth.py",
        "/static/..%2fauth.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
    ],
)
def test_no_path_leaves_the_static_folder(server, path):
    status, _, body = _get(server.port, path)
    assert status == 404, (path, status)
    assert b"hmac" not in body and b"root:" not in body and b"[project]" not in body


def test_the_server_binds_loopback_unless_told(scenario):
    assert DEFAULT_HOST == "127.0.0.1"
    app = create_app(DashboardView(scenario), InProcessBus(), operators_from({"a": TOKEN}))
    with DashboardServer(app, port=0) as running:
        assert running.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{running.url}healthz", timeout=5) as reply:
            assert reply.status == 200
