"""The ops-room page during a real ``matchday live`` demo, in headless Chromium.

The demo runs as a user starts it (bundled scenario, ``--fast`` counts, in-process bus, twin
forecasts, alert rules, dashboard); the test opens the page, waits for an alert raised by the
twin, acknowledges it and sees the state change. The screenshot goes to the test's tmp_path.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from rich.console import Console

from streams.app import LiveOptions, start_live
from streams.dashboard.probe import free_port, wait_healthy

from .test_browser import ARGS, _chromium

pytestmark = pytest.mark.integration
TOKEN = "live-demo-operator-token-2030"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "stade_mohammed_v.yaml"


def test_live_demo_alert_is_shown_and_acknowledged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    monkeypatch.setenv("MATCHDAY_OPERATOR_TOKEN", TOKEN)
    monkeypatch.setenv("MATCHDAY_OPERATOR", "youssef")
    port = free_port()
    # 24x the match clock: a cycle a minute keeps the twin's work within the wall time a
    # 2-core CI box has (at the 15-s default it falls behind the 24x clock and runs long)
    options = LiveOptions(
        scenario=SCENARIO, fast=True, minutes=12, speed=24, port=port, cycle_s=60.0
    )
    failures: list[BaseException] = []

    def demo() -> None:
        try:
            start_live(options, Console(quiet=True))
        except BaseException as error:  # surfaced to the test below
            failures.append(error)

    runner = threading.Thread(target=demo, daemon=True)
    runner.start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, 60)
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
        page.screenshot(path=str(tmp_path / "dashboard-live.png"), full_page=True)
        browser.close()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the demo did not finish its 12 match minutes"
    assert failures == []
