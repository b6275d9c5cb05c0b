"""The ops-room page during a real ``matchday live`` demo, in headless Chromium.

The demo runs as a user starts it (bundled scenario, ``--fast`` counts, in-process bus, twin
forecasts, alert rules, dashboard); the test opens the page, waits for an alert raised by the
twin, acknowledges it and sees the state change. The screenshot goes to tmp_path: no test
writes tracked files.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console

from streams.app import LiveOptions, start_live

from .test_browser import ARGS, _chromium

pytestmark = pytest.mark.integration
TOKEN = "live-demo-operator-token-2030"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "stade_mohammed_v.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"dashboard at {url} did not come up within {deadline_s} s")


def test_live_demo_alert_is_shown_and_acknowledged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    monkeypatch.setenv("MATCHDAY_OPERATOR_TOKEN", TOKEN)
    monkeypatch.setenv("MATCHDAY_OPERATOR", "youssef")
    port = _free_port()
    options = LiveOptions(scenario=SCENARIO, fast=True, minutes=12, speed=24, port=port)
    failures: list[BaseException] = []

    def demo() -> None:
        try:
            start_live(options, Console(quiet=True))
        except BaseException as error:  # surfaced to the test below
            failures.append(error)

    runner = threading.Thread(target=demo, daemon=True)
    runner.start()
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, 60)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/#token={TOKEN}")
        page.wait_for_selector("body[data-connected=yes]", timeout=10_000)
        card = page.locator("#alerts li[data-state=new]").first
        card.wait_for(timeout=25_000)
        incident = card.get_attribute("data-incident")
        card.locator("button.ack").click()
        page.wait_for_selector(
            f"#alerts li[data-incident='{incident}'][data-state=acked]", timeout=10_000
        )
        assert "youssef acknowledged" in page.inner_text("#audit")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the demo did not finish its 12 match minutes"
    assert failures == []
