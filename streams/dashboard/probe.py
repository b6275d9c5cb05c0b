"""Loopback helpers for the scripts and tests that start a dashboard: a free port, a health wait.

One copy, used by ``scripts/screenshot_dashboard.py``, the browser tests and the load tests,
so they all agree on what "the dashboard is up" means: ``/healthz`` answers 200.
"""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, deadline_s: float) -> None:
    """Return once ``url``/healthz answers 200; TimeoutError after ``deadline_s``."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"dashboard at {url} did not come up within {deadline_s} s")
