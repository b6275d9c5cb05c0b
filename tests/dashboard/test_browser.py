"""The dashboard in a real headless Chromium: alerts appear, get acknowledged, text is escaped.

Messages are published by the test on the real in-process bus and read by the real dashboard
server (the full ``matchday live`` demo was not ready to drive this test); the page is driven
by Playwright with Debian's chromium (installed by the README's test command, not by a test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.bus import InProcessBus
from streams.dashboard import EscalationPolicy, serve
from streams.messages import encode

from .conftest import XSS, alert, count, forecast

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "browser-test-token-42"


def _chromium() -> Path:
    """Debian's chromium; its absence is a set-up error, not a reason to skip the page tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            "no /usr/bin/chromium: install Debian's chromium first "
            "(`apt-get install -y chromium`, part of the README's test command)"
        )
    return CHROMIUM


def test_alert_appears_is_acknowledged_and_markup_is_escaped(scenario, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    bus = InProcessBus()
    board = serve(
        bus, scenario, port=0, tokens={"amina": TOKEN}, escalation=EscalationPolicy(after_s=2.0)
    )
    t = 20 * 3600.0

    def send(message):
        bus.send(message["schema"], "k", encode(message))

    for i in range(15):
        send(count("plaza_n", t + 60 * i, 800 + 150 * i))
        send(count("l1", t + 60 * i, 200 + 60 * i, camera="cam_2"))
        send(
            forecast(
                t + 60 * i,
                [
                    dict(
                        zone="plaza_n",
                        element_type="area",
                        now=0.4 + 0.07 * i,
                        plus10=1.6,
                        los_now="C",
                        los_10="E",
                    ),
                    dict(
                        zone="gate_1",
                        element_type="checkpoint",
                        now=0.6,
                        plus10=1.3,
                        los_now="B",
                        los_10="D",
                        wait=90 + 20 * i,
                        occupancy=180,
                    ),
                    dict(
                        zone="tram_t1",
                        element_type="origin",
                        now=0.9,
                        plus10=1.8,
                        los_now="C",
                        los_10="E",
                        occupancy=360,
                    ),
                    dict(zone=XSS, element_type="area", now=0.1, plus10=0.2),
                ],
            )
        )
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{board.url}#token={TOKEN}")
            page.wait_for_selector("body[data-connected=yes]", timeout=10_000)
            raised = alert("plaza_n", t + 14 * 60)
            send(alert(XSS, t + 14 * 60, severity="Moderate", headline=XSS))
            send(raised)
            # escalation runs on the match clock: a later count moves it past the 2 s policy
            send(count("plaza_n", t + 14 * 60 + 10, 2900))
            card = page.locator(f"#alerts li[data-incident='{raised['incident']}']")
            card.wait_for(timeout=10_000)
            assert card.get_attribute("data-state") == "new"
            page.wait_for_selector("#alerts li.escalated", timeout=10_000)
            card.locator("button.ack").click()
            page.wait_for_selector(
                f"#alerts li[data-incident='{raised['incident']}'][data-state=acked]",
                timeout=10_000,
            )
            assert "acknowledged by amina" in card.inner_text()
            assert XSS in page.inner_text("#alerts")  # shown as text ...
            assert page.locator("#alerts img, #map img").count() == 0  # ... never as markup
            assert "amina acknowledged" in page.inner_text("#audit")
            # the forecast comes true: an Update of the same incident changes the same card
            came_true = alert(
                "plaza_n",
                t + 14 * 60 + 20,
                msg_type="Update",
                incident=raised["incident"],
                urgency="Immediate",
                headline="Plaza N: 1.60 persons/m² now",
            )
            send(came_true)
            card.locator(".updates").wait_for(timeout=10_000)
            assert page.locator(f"#alerts li[data-incident='{raised['incident']}']").count() == 1
            assert "1.60 persons/m² now" in card.inner_text()
            assert card.locator(".updates").text_content() == "updated 1×"  # shown upper-case
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            assert dialogs == []
            browser.close()
    finally:
        board.stop()
