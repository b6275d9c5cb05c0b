"""The page when the broker goes away (real Tansu broker, real dashboard process, Chromium).

With the broker stopped, the page must say so (a banner naming the problem, the pill no longer
"live"), and an Ack, which the server now answers with 503 because the broker cannot confirm
it, must show that refusal and its reason on the page instead of failing silently. When the
broker is back the banner goes and an Ack is recorded again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streams.dashboard import serve
from streams.dashboard.feed import TOPICS
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.messages import encode

from .conftest import alert
from .test_browser import ARGS, _chromium

pytestmark = pytest.mark.integration
TOKEN = "bus-down-browser-token-77"
T = 20 * 3600.0


def _bus(address: str) -> KafkaBus:
    return KafkaBus(
        KafkaSettings(
            bootstrap=address,
            enable_idempotence=False,
            use_highwater=True,
            producer_retries=0,
            health_every_s=0.2,
        )
    )


def test_the_page_shows_the_bus_down_and_a_refused_ack(broker_control, scenario, tmp_path: Path):  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    bus = _bus(broker_control.address)
    bus.create_topics(TOPICS)
    raised = alert("plaza_n", T)
    bus.send(raised["schema"], "plaza_n", encode(raised))
    assert bus.flush(10) == 0
    board = serve(bus, scenario, port=0, tokens={"amina": TOKEN})
    card = f"#alerts li[data-incident='{raised['incident']}']"
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{board.url}#token={TOKEN}")
            page.wait_for_selector("body[data-connected=yes][data-bus=up]", timeout=20_000)
            page.wait_for_selector(card, timeout=20_000)
            assert page.is_hidden("#bus-banner") and page.inner_text("#connection") == "live"
            broker_control.stop()
            page.wait_for_selector("body[data-bus=down]", timeout=20_000)
            banner = page.inner_text("#bus-banner")
            assert "Message bus DOWN" in banner and "acknowledgements cannot be recorded" in banner
            assert page.inner_text("#connection") == "bus down"
            page.locator(f"{card} button.ack").click()
            # selectors, not wait_for_function: the page's CSP refuses eval, test code included
            page.wait_for_selector("#action-error:has-text('HTTP 503')", timeout=20_000)
            shown = page.inner_text("#action-error")
            assert "acknowledgement failed (HTTP 503)" in shown and "NOT recorded" in shown
            assert "did not confirm the Ack" in shown  # the server's reason, word for word
            assert page.get_attribute(card, "data-state") == "new"
            page.screenshot(path=str(tmp_path / "bus-down.png"), full_page=True)
            broker_control.start()
            bus.create_topics(TOPICS)  # the restarted (memory) broker forgot its topics
            page.wait_for_selector("body[data-bus=up]", timeout=30_000)
            assert page.is_hidden("#bus-banner")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the producer may need a moment to reconnect
                page.locator(f"{card} button.ack").click()
                page.wait_for_selector(
                    "#action-error:not(.pending)", state="attached", timeout=20_000
                )
                if page.is_hidden("#action-error"):
                    break
                time.sleep(1)
            assert page.is_hidden("#action-error"), page.inner_text("#action-error")
            browser.close()
    finally:
        board.stop()
        bus.close()
