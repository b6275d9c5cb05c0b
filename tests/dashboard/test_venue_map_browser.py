"""The venue map renderer in headless Chromium: real text boxes apart, LoS colours, the slider.

The block the report embeds (``embed_html``) is opened as a standalone page; the label boxes are
measured with the browser's own fonts (``getBBox``), so the placer's width estimate is checked
against real text, on every bundled venue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.results.venue_map import LOS_COLOURS, MapFrame, embed_html, map_geometry
from simulator.scenario.loader import load_scenario
from simulator.venue.elements import venue_elements
from simulator.venue.los import LEVELS, density_at_level

from .test_browser import ARGS, _chromium

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))

OVERLAPS_JS = """() => {
  const boxes = [...document.querySelectorAll('svg text.vm-label')].map((t) => t.getBBox());
  const hits = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      hits.push([a.x, a.y, b.x, b.y]);
  }));
  return {count: boxes.length, hits};
}"""


def _frames(scenario):
    """Two frames: every graded element at level L (cycling A..F), then all at A."""
    values = {}
    for i, element in enumerate(venue_elements(scenario.venue)):
        level = LEVELS[i % len(LEVELS)]
        density = density_at_level(level, element.los_scale) * 1.05 + 0.01
        values[element.id] = (
            (density, element.los(density), 5) if element.floor_m2 else (None, "", 5)
        )
    calm = {k: ((0.0, "A", 0) if v[0] is not None else v) for k, v in values.items()}
    return [MapFrame(72_000.0, "kick-off", values), MapFrame(72_600.0, "", calm)]


def test_map_labels_do_not_overlap_and_colours_follow_each_frame(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1200})
        for path in BUNDLED:
            scenario = load_scenario(path)
            geometry = map_geometry(scenario)
            frames = _frames(scenario)
            html = tmp_path / f"{path.stem}.html"
            html.write_text(f"<!doctype html><body>{embed_html(geometry, frames)}</body>")
            page.goto(html.as_uri())
            page.wait_for_selector("svg text.vm-label")
            found = page.evaluate(OVERLAPS_JS)
            labelled = sum(1 for p in geometry.places if p.label) + sum(
                1 for lk in geometry.links if lk.label
            )
            assert (
                found["count"]
                == labelled
                == len(geometry.places) + sum(1 for lk in geometry.links if lk.label)
            )
            assert found["hits"] == [], f"{path.stem}: labels overlap in the browser"
            assert "kick-off" in page.inner_text(".vm-caption")
            for element_id, (_, level, _) in list(frames[0].values.items())[:40]:
                fill = page.evaluate(
                    '(id) => { const g = document.querySelector(`[data-id="${id}"]`);'
                    " const s = g.querySelector('circle:not(.vm-forecast), rect, path, polyline');"
                    " return [g.dataset.los, s.getAttribute('fill') === 'none' ?"
                    " s.getAttribute('stroke') : s.getAttribute('fill')]; }",
                    element_id,
                )
                assert fill[0] == level
                if level:
                    assert fill[1] == LOS_COLOURS[level]
            page.eval_on_selector(
                ".vm-slider", "(s) => { s.value = '1'; s.dispatchEvent(new Event('input')); }"
            )
            assert page.inner_text(".vm-caption").startswith("20:10")
            assert page.locator("svg [data-los=F]").count() == 0
        page.screenshot(path=str(tmp_path / "map.png"), full_page=True)
        browser.close()
