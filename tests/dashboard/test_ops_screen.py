"""The ops room's main view on one 1920x1080 screen, in headless Chromium, for the largest venue.

Prince Moulay Abdellah (70 places, 98 links, 23 gates) with 83 cameras, a dozen alerts and twin
forecasts everywhere: the page must not scroll, map, alert queue and trend must be on screen,
the map's names must not overlap as the browser draws them, and cameras must show as problems
only (offline, stale, drifting) with the full list one click away. The view gets a controllable
clock so that some cameras are minutes silent without the test waiting for minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import load_scenario
from simulator.venue.elements import venue_elements
from simulator.venue.los import LEVELS, density_at_level
from streams.bus import InProcessBus
from streams.dashboard import DashboardServer, DashboardView, create_app, operators_from
from streams.messages import from_dict

from .conftest import alert, count, forecast
from .test_browser import ARGS, _chromium

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
VENUE = ROOT / "scenarios" / "prince_moulay_abdellah.yaml"
T = 20 * 3600.0
CAMERAS = 83
OFFLINE, STALE, DRIFTING = {"cam_003", "cam_040"}, {"cam_011"}, {"cam_077"}
ESTIMATES = [  # learnt (band below the plan), unsure (band holds the plan), near the plan
    {"parameter": "cap", "element": e, "p10": lo, "p50": mid, "p90": hi, "text": f"{e}: {text}"}
    for e, lo, mid, hi, text in (
        ("gate_05", 0.91, 1.2, 1.29, "screening at about 120% of plan (91%-129%)"),
        ("gate_10", 0.24, 0.3, 0.37, "screening at about 30% of plan (24%-37%)"),
        ("gate_14", 1.01, 1.05, 1.1, "screening at about 105% of plan (101%-110%)"),
    )
]

LABEL_OVERLAPS_JS = """() => {
  const boxes = [...document.querySelectorAll('#map text.vm-label')]
    .map((t) => t.getBoundingClientRect());
  const hits = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) hits.push(i);
  }));
  return {count: boxes.length, hits};
}"""
PAGE_SIZE_JS = """() => ({
  height: document.documentElement.scrollHeight,
  width: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
    .slice(0, 5).map((e) => e.outerHTML.slice(0, 80)),
})"""


class Clock:
    """Wall clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def _fill(view: DashboardView, clock: Clock, scenario) -> None:
    """Forecasts on every graded zone, 83 cameras (four with problems), twelve alerts."""

    def put(message: dict) -> None:  # the typed value, as the dashboard's reader passes it
        assert view.apply(from_dict(message, validated=True))

    graded = [e for e in venue_elements(scenario.venue) if e.floor_m2 > 0]
    rows = []
    for i, e in enumerate(graded):
        level = LEVELS[i % 6]
        now = density_at_level(level, e.los_scale) * 1.02 + 0.01
        later = density_at_level(LEVELS[min(5, i % 6 + 1)], e.los_scale) * 1.02 + 0.01
        kind = e.kind if e.kind != "exit" else "area"
        row = dict(zone=e.id, element_type=kind, now=now, plus10=later, los_now=level)
        row["los_10"] = LEVELS[min(5, i % 6 + 1)]
        if e.kind == "checkpoint":
            row["wait"] = 60.0 * (i % 17)
        rows.append(row)
    zones = [e.id for e in graded]
    cameras = [f"cam_{i:03d}" for i in range(CAMERAS)]
    for cam in sorted(OFFLINE):  # silent for five minutes by the time the page looks
        put(count(zones[int(cam[-3:])], T, 40, camera=cam))
    clock.now += 260
    for cam in sorted(STALE):  # silent for 40 s
        put(count(zones[int(cam[-3:])], T + 240, 40, camera=cam))
    clock.now += 40
    for step in range(3):
        for cam in cameras:
            if cam in OFFLINE | STALE:
                continue
            behind = 600 if cam in DRIFTING else 0  # its clock runs ten minutes behind
            put(count(zones[int(cam[-3:])], T + 300 + 15 * step - behind, 50, camera=cam))
        put(forecast(T + 300 + 15 * step, rows) | {"members": 8, "estimates": ESTIMATES})
    for i in range(12):
        severity = ("Extreme", "Severe", "Moderate", "Minor")[i % 4]
        put(alert(zones[i * 5], T + 300, severity=severity))


def _check_screen(page) -> None:
    """No page scroll; map, alerts, trend and cameras on screen; the map gets most of it."""
    size = page.evaluate(PAGE_SIZE_JS)
    assert size["height"] <= 1080 and size["width"] <= 1920, f"page scrolls: {size}"
    for panel in ("#map-panel", "#alerts-panel", "#trend-panel", "#cameras-panel"):
        box = page.locator(panel).bounding_box()
        assert box and box["y"] + box["height"] <= 1080 and box["height"] > 150, panel
    map_box = page.locator("#map").bounding_box()
    assert map_box and map_box["height"] >= 800, "the map gets most of the screen"
    assert page.locator("#alerts li").count() == 12


def _check_map(page) -> None:
    """Names as drawn by the browser do not overlap; names, not ids; the +10 min ring shows."""
    labels = page.evaluate(LABEL_OVERLAPS_JS)
    assert labels["count"] >= 70 and labels["hits"] == []
    names = page.locator("#map text.vm-label").all_text_contents()
    assert "North forecourt" in names and "Footbridge 1" in names
    assert "forecourt_n" not in names
    assert page.locator("#map [data-forecast-los]").count() > 50


def _check_cameras(page) -> None:
    """Only the four cameras with a problem on the main view; all 83 one click away."""
    health = page.locator("#cameras tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.health)"
    )
    assert health == ["offline", "offline", "stale", "drifting"]
    assert "drifting: clock 10 min behind" in page.inner_text("#cameras")
    assert "83 cameras: 79 ok" in page.inner_text("#camera-summary")
    page.click("#all-cameras")
    rows = page.locator("#all-cameras-table tbody tr")
    rows.first.wait_for(timeout=5_000)
    assert rows.count() == CAMERAS


def _check_estimates(page) -> None:
    """What the twin has learnt: only what the members agree is off the plan."""
    assert page.locator("#estimates li").all_text_contents() == [
        "gate_10: screening at about 30% of plan (24%-37%)"
    ]


def test_main_view_fits_1920x1080_with_readable_map_and_camera_problems_only(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    scenario = load_scenario(VENUE)
    clock = Clock()
    view = DashboardView(scenario, clock=clock)
    _fill(view, clock, scenario)
    operators = operators_from({"amina": "screen-test-token-1"})
    server = DashboardServer(create_app(view, InProcessBus(), operators), port=0).start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(server.url)
            page.wait_for_selector("body[data-connected=yes]", timeout=10_000)
            page.wait_for_selector("#map text.vm-label", timeout=10_000)
            page.wait_for_selector("#cameras tbody tr", timeout=10_000)
            page.wait_for_timeout(400)
            page.screenshot(path=str(tmp_path / "ops-1920x1080.png"))
            _check_screen(page)
            _check_map(page)
            _check_cameras(page)
            _check_estimates(page)
            page.screenshot(path=str(tmp_path / "ops-all-cameras.png"))
            browser.close()
    finally:
        server.stop()
