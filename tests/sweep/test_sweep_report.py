"""comparison.json and the self-contained comparison.html."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.whatif.compare import HEADLINE, Group, comparison
from simulator.whatif.comparison_report import fmt, fmt_interval, render_html, write_report
from simulator.whatif.sweep import SweepResult


@pytest.fixture(scope="module")
def doc(tiny_sweep: SweepResult) -> dict:  # type: ignore[type-arg]
    groups = [
        Group(v.name, tiny_sweep.summaries(v.name), v.description) for v in tiny_sweep.plan.variants
    ]
    return comparison(groups)


def test_write_report_json_round_trips_with_stable_bytes(doc: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    json_path, html_path = write_report(doc, tmp_path / "a")
    assert json.loads(json_path.read_text()) == doc
    again, _ = write_report(doc, tmp_path / "b")
    assert json_path.read_bytes() == again.read_bytes()
    assert html_path.name == "comparison.html" and html_path.stat().st_size > 0


def test_html_is_self_contained_with_one_side_by_side_plot_per_headline_kpi(doc: dict) -> None:  # type: ignore[type-arg]
    html = render_html(doc)
    images = re.findall(r'<img alt="[^"]*" src="([^"]*)"', html)
    headline = [k for k in HEADLINE if any(d["key"] == k.key for d in doc["kpis"])]
    assert len(headline) == len(HEADLINE) - 2  # the tiny ground has no transport
    assert len(images) == len(headline)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(src|href)="(http|//)', html)  # nothing fetched from elsewhere
    for name in ("baseline", "more lanes", "slow gate", "slow gate − baseline"):
        assert name in html
    for kpi in headline:
        assert kpi.label in html
    assert "(worse)" in html  # the slow gate's wait
    assert "checkpoints.gate_a" not in html and "gate_a: p95 wait" in html


def test_html_escapes_names(doc: dict) -> None:  # type: ignore[type-arg]
    hostile = {**doc, "scenario": "<script>alert(1)</script>"}
    assert "<script>alert" not in render_html(hostile)


@pytest.mark.parametrize(
    ("value", "unit", "signed", "text"),
    [
        (0.9512, "share", False, "95.1%"),
        (-0.004, "share", True, "-0.4%"),
        (1695.4, "s", False, "28.3 min"),  # durations are stored in s and shown in minutes
        (12.34, "s", True, "+0.21 min"),
        (7200.0, "s", False, "120 min"),
        (1.234, "/m²", False, "1.23 /m²"),
        (42.0, "fans", False, "42.0"),
        (None, "s", False, "n/a"),
        (-1e-12, "s", True, "0.00 min"),
        (-0.0001, "share", True, "0.0%"),
    ],
)
def test_fmt(value: float | None, unit: str, signed: bool, text: str) -> None:
    assert fmt(value, unit, signed=signed) == text


def test_fmt_interval_without_bounds_shows_the_mean_only() -> None:
    assert fmt_interval({"mean": 180.0, "low": None, "high": None}, "s") == "3.00 min"
    interval = {"mean": 180.0, "low": 120.0, "high": 240.0}
    assert fmt_interval(interval, "s") == "3.00 min [2.00 min, 4.00 min]"


@pytest.mark.integration
def test_comparison_prints_to_a_sane_pdf(doc: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    width = 794 - 2 * 38  # A4 at 96 dpi less Chromium's default margins, CSS px
    page_file = tmp_path / "comparison.html"
    page_file.write_text(render_html(doc), encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(page_file.as_uri())
            page.emulate_media(media="print")
            wide = page.evaluate(
                f"[...document.querySelectorAll('table')]"
                f".filter(t => t.getBoundingClientRect().width > {width} + 1).length"
            )
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 20, pages
    assert wide == 0, "a table is cut at the page edge"
