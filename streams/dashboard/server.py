"""Running the dashboard: uvicorn on a background thread, bound to 127.0.0.1 unless told.

``matchday live`` and the tests both need the server beside other work (the twin, the demo
feed, a browser), so it runs on its own thread with a clean start (the socket is bound before
``start`` returns, so the URL is known and port 0 picks a free port) and a bounded stop.

Under a crowd of pages: the listen backlog holds a burst of 2,048 connects; past the app's
stream cap pages get the app's 503 with ``Retry-After``; past ``max_streams + SPARE_CONNECTIONS``
open connections uvicorn itself answers 503 (a backstop, so a flood cannot use up file
descriptors, whose soft limit is raised towards the hard one at start).
"""

from __future__ import annotations

import contextlib
import resource
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from streams.errors import BusError

DEFAULT_HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0
BACKLOG = 2048
SPARE_CONNECTIONS = 1024  # beyond the stream cap: page loads, API calls, refused streams
WANTED_FILES = 65536


def raise_open_files_limit() -> None:
    """Best effort: 1,000 pages need 1,000 sockets, more than a default soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = WANTED_FILES if hard == resource.RLIM_INFINITY else min(WANTED_FILES, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class DashboardServer:
    """One uvicorn server for ``app`` on ``host:port``; use as a context manager or start/stop."""

    def __init__(self, app: FastAPI, *, host: str = DEFAULT_HOST, port: int = 8765) -> None:
        self.app = app
        self.host = host
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise BusError(
                f"dashboard cannot listen on {host}:{port}: {exc}; pick another --port"
            ) from exc
        self.port: int = self._socket.getsockname()[1]
        raise_open_files_limit()
        fanout = getattr(app.state, "fanout", None)
        streams = fanout.max_streams if fanout is not None else 0
        config = uvicorn.Config(
            app,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="on",
            backlog=BACKLOG,
            limit_concurrency=streams + SPARE_CONNECTIONS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="dashboard", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> DashboardServer:
        """Serve in the background; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise BusError(f"dashboard did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask the server to finish open streams and exit; waits a bounded time."""
        self.app.state.stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10.0)
        self._socket.close()

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
