"""Make the README's ops-room screenshot, ``docs/dashboard-live.png``, from a real live demo.

Runs ``matchday live`` as a user would (bundled scenario, ``--fast`` counts, in-process bus, twin
forecasts, alert rules, dashboard), opens the page at 1920x1080 in Debian's headless chromium
(Playwright), waits for the twin's alerts, acknowledges the first one and saves the screen.
Run by hand, never by the tests (no test writes tracked files)::

    python scripts/screenshot_dashboard.py                       # Rabat egress, the default
    python scripts/screenshot_dashboard.py --scenario scenarios/stade_mohammed_v.yaml \\
        --start 20:10 --out /tmp/ops.png
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console

from streams.app import LiveOptions, start_live
from streams.dashboard.probe import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TOKEN = "readme-screenshot-operator-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", type=Path, default=ROOT / "scenarios/prince_moulay_abdellah.yaml"
    )
    parser.add_argument("--start", default="22:55", help="match clock to start the demo at")
    parser.add_argument("--minutes", type=float, default=14.0)
    parser.add_argument("--wait", type=float, default=20.0, help="wall seconds to let it run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/dashboard-live.png")
    args = parser.parse_args()
    os.environ["MATCHDAY_OPERATOR_TOKEN"], os.environ["MATCHDAY_OPERATOR"] = TOKEN, "youssef"
    port = free_port()
    options = LiveOptions(
        scenario=args.scenario,
        fast=True,
        start=args.start,
        minutes=args.minutes,
        speed=24,
        port=port,
    )
    demo = threading.Thread(target=start_live, args=(options, Console(quiet=True)), daemon=True)
    demo.start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, 90)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{url}/#token={TOKEN}")
        page.wait_for_selector("body[data-connected=yes]", timeout=15_000)
        card = page.locator("#alerts li[data-state=new]").first
        card.wait_for(timeout=60_000)
        card.locator("button.ack").click()
        page.wait_for_timeout(args.wait * 1000)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
