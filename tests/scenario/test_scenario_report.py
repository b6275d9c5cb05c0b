"""report.html: made from a real run, self-contained, escaped, and showing the summary KPIs."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from scenario_helpers import TINY

from simulator import RunResult, Simulation
from simulator.results.capacity import ground_capacity
from simulator.results.evacuation import evacuation_scenario, stand_times
from simulator.results.names import element_names
from simulator.results.report import (
    busiest,
    fmt_count,
    fmt_density,
    fmt_minutes,
    fmt_seconds,
    fmt_share,
    render_report,
)
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario


class _Page(HTMLParser):
    """Collects every URL-bearing attribute, each table row's cells by row id, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.ids: dict[str, str] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None
        self._id_stack: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        for name in ("src", "href", "data", "action", "poster"):
            if a.get(name) is not None:
                self.urls.append(str(a[name]))
        if tag == "tr" and a.get("id"):
            self._row = str(a["id"])
            self.rows[self._row] = []
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _run(scenario: Scenario, seed: int = 3) -> RunResult:
    sim = Simulation(scenario, seed=seed)
    sim.run()
    return sim.result()


@pytest.fixture(scope="module")
def tiny_run() -> tuple[Scenario, RunResult, str]:
    scenario = load_scenario(TINY)
    result = _run(scenario)
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=3,
    )
    return scenario, result, html


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)


def test_report_is_self_contained(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, _, html = tiny_run
    page = _parse(html)
    assert "link" not in page.tags
    assert page.urls, "the plots must be there"
    for url in page.urls:
        assert url.startswith("data:image/png;base64,"), url[:80]
        png = base64.b64decode(url.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    # occupancy, gate queues heat map, cumulative entries, journeys, busiest areas and links
    assert len(page.urls) == 6
    no_namespace = html.replace("http://www.w3.org/2000/svg", "")  # the SVG namespace name
    assert not re.search(r"url\(|@import|https?://", no_namespace)
    assert not re.search(r"<script[^>]+src=", html)  # the map's renderer is inline
    assert len(_scripts(html)) == 2  # the map's data and its renderer


def test_the_verdict_comes_first(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, result, html = tiny_run
    s = result.summary
    first_h2 = re.search(r"<h2[^>]*>([^<]+)</h2>", html)
    assert first_h2 is not None and first_h2.group(1) == "Verdict"
    verdict = html[: html.index('id="map"')]
    assert fmt_share(s.share_seated_at_kickoff) in verdict
    worst = s.worst_density()
    assert worst is not None
    assert f"{fmt_density(worst.value)} /m²" in verdict
    assert f"{fmt_minutes(s.minutes_at_los_e_or_f())} min" in verdict
    assert "stands that empty within the Green Guide" in verdict


def test_report_shows_the_summary_kpis(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    scenario, result, html = tiny_run
    s = result.summary
    names = element_names(scenario)
    page = _parse(html)
    text = " ".join(page.text)
    for key in ("expected", "arrived", "seated", "left"):
        assert fmt_count(getattr(s.fans, key)) in text
    for cid, c in s.checkpoints.items():
        assert page.rows[f"checkpoint-{cid}"] == [
            names[cid],
            fmt_count(c.served),
            fmt_seconds(c.waits.p50_wait_s),
            fmt_seconds(c.waits.p95_wait_s),
            fmt_seconds(c.waits.max_wait_s),
            fmt_count(c.peak_queue),
            fmt_density(c.los.peak_density_per_m2),
            c.los.peak_los,
            fmt_minutes(c.los.minutes_at_los_e),
            fmt_minutes(c.los.minutes_at_los_f),
        ]
    for aid, a in s.areas.items():
        assert page.rows[f"area-{aid}"] == [
            names[aid],
            fmt_density(a.peak_density_per_m2),
            a.peak_los,
            fmt_minutes(a.minutes_at_los_e),
            fmt_minutes(a.minutes_at_los_f),
        ]
    for lid, lk in s.links.items():
        row = page.rows[f"link-{lid}"]
        assert row[0] == names[lid] and row[1] == fmt_density(lk.los.peak_density_per_m2)
        assert row[5] == fmt_count(lk.throughput)


def test_waits_are_minutes_and_every_column_has_its_unit(
    tiny_run: tuple[Scenario, RunResult, str],
) -> None:
    _, result, html = tiny_run
    c = result.summary.checkpoints["gate_a"]
    assert fmt_seconds(c.waits.p95_wait_s) == f"{c.waits.p95_wait_s / 60:.1f}"
    assert "wait p95 (min)" in html and "(s)" not in html
    for word in ("throughput", "time full", "jam hold"):
        assert word not in html
    assert "0.00 persons/m²" in html or "An area at 0.00 persons/m²" in html


def test_no_bare_ids_where_the_scenario_or_map_gives_a_name(
    tiny_run: tuple[Scenario, RunResult, str],
) -> None:
    scenario, _, html = tiny_run
    page = _parse(html)
    names = element_names(scenario)
    for row_id, cells in page.rows.items():
        kind, _, eid = row_id.partition("-")
        if kind in ("checkpoint", "area", "link", "sector") and eid in names:
            assert cells[0] == names[eid], row_id
    assert names["l_east"] != "l_east"  # an unlabelled link is named by its ends


def test_capacity_section_shows_formula_inputs_and_verdict(
    tiny_run: tuple[Scenario, RunResult, str],
) -> None:
    scenario, _, html = tiny_run
    stands, ground = ground_capacity(scenario=scenario)
    page = _parse(html)
    assert 'id="capacity-concourse"' in html
    assert "8 min x sum(width x 82 or 66 persons/m/min)" in html
    [stand] = stands
    assert f"{round(stand.exit.persons):,}" in html and fmt_count(round(ground["final"])) in html
    assert page.rows["stand-concourse"][3] == ("yes" if stand.egress_min <= 8 else "no")


def test_links_come_busiest_first(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, result, html = tiny_run
    order = [m for m in re.findall(r'<tr id="link-([^"]+)"', html)]
    links = {k: v.los for k, v in result.summary.links.items()}
    assert order == busiest(links, len(links))
    peaks = [result.summary.links[lid].los.peak_density_per_m2 for lid in order]
    assert peaks == sorted(peaks, reverse=True)


def test_names_from_the_scenario_are_escaped() -> None:
    scenario = load_scenario(TINY)
    evil = '<script>alert("x")</script> & <img src=x>'
    scenario = dataclasses.replace(
        scenario, name=evil, description=evil, venue=dataclasses.replace(scenario.venue, name=evil)
    )
    result = _run(scenario, seed=1)
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=1,
    )
    assert '<script>alert("x")' not in html
    assert all("alert(" not in body for body in _scripts(html)[1:])  # the renderer itself
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x&gt;" in html
    assert evil in " ".join(_parse(html).text)  # readers still see the name as written


CORRIDOR = """
name: Corridor with a Poisson source
settings: {start: 0, end: 600}
venue:
  name: Corridor
  origins: [{id: o, mode: walk}]
  exits: [{id: x}]
  links: [{id: c, source: o, target: x, length_m: 10, width_m: 2, two_way: false}]
sources:
  - {id: s1, origin: o, destination: x, rate_per_s: 1.0, start: 0, end: 600}
"""


def test_report_of_a_run_without_match_or_areas() -> None:
    from simulator.scenario.loader import load_scenario_text

    scenario = load_scenario_text(CORRIDOR)
    result = _run(scenario, seed=2)
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=2,
    )
    page = _parse(html)
    assert result.summary.header.kickoff_s is None
    assert page.rows["link-c"][5] == fmt_count(result.summary.links["c"].throughput)
    assert "This venue has no areas." in html
    assert 'id="evacuation"' not in html and 'id="egress"' not in html


def test_sector_table_matches_the_fan_records(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    import pyarrow.compute as pc

    scenario, result, html = tiny_run
    page = _parse(html)
    names = element_names(scenario)
    kickoff = result.summary.header.kickoff_s
    for sector in scenario.venue.sectors:
        mine = result.fans.filter(pc.equal(result.fans["sector"], sector.id))
        early = pc.sum(pc.less_equal(mine["seated_s"], kickoff)).as_py()
        row = page.rows[f"sector-{sector.id}"]
        assert row[0] == names[sector.id]
        assert row[2] == fmt_count(mine.num_rows)
        assert row[3] == fmt_share(early / mine.num_rows)


def test_evacuation_report_times_each_stand() -> None:
    scenario = evacuation_scenario(load_scenario(TINY))
    result = _run(scenario, seed=1)
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=1,
        evacuation=True,
    )
    page = _parse(html)
    [stand] = stand_times(scenario=scenario, timeseries=result.timeseries)
    assert stand.minutes is not None and 0 < stand.minutes < 30
    row = page.rows["evacuation-concourse"]
    assert row[2] == fmt_minutes(stand.minutes) and row[3] == stand.verdict


CHROMIUM = Path("/usr/bin/chromium")
# What a table may not exceed in print: A4 (794 CSS px at 96 dpi) less Chromium's 0.4 in margins.
A4_CONTENT_PX = 794 - 2 * 38


def print_check(html: str, tmp_path: Path) -> tuple[int, list[str]]:
    """Print ``html`` with headless Chromium; (pages, ids of tables wider than the page)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    page_file = tmp_path / "page.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1000})
            page.goto(page_file.as_uri())
            page.emulate_media(media="print")
            wide = page.evaluate(
                f"""[...document.querySelectorAll('table')]
                .filter(t => t.getBoundingClientRect().width > {A4_CONTENT_PX} + 1)
                .map(t => t.id || t.className)"""
            )
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    return pages, wide


@pytest.mark.integration
def test_report_prints_to_a_sane_pdf(
    tiny_run: tuple[Scenario, RunResult, str], tmp_path: Path
) -> None:
    _, _, html = tiny_run
    pages, wide = print_check(html, tmp_path)
    assert 4 <= pages <= 25, pages
    assert wide == [], f"tables cut at the page edge: {wide}"
    assert "break-inside: avoid" in html and "@media print" in html


REFERENCES = """
references:
  - {id: GG, title: "Guide to Safety at Sports Grounds, 6th edition", date: 2018-01-01,
     url: "https://sgsa.org.uk", note: exit rates and egress time}
  - {id: EST, title: Estimates by the scenario author}
"""


def test_references_reach_the_assumptions_table(tmp_path: Path) -> None:
    from simulator.scenario.loader import load_scenario_text

    text = TINY.read_text(encoding="utf-8") + REFERENCES
    scenario = load_scenario_text(text)
    assert [r.id for r in scenario.references] == ["GG", "EST"]
    assert scenario.references[0].date == "2018-01-01"
    result = _run(scenario, seed=1)
    html = render_report(
        scenario=scenario,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=1,
    )
    assert 'id="references"' in html and "Estimates by the scenario author" in html


def test_a_bad_reference_names_the_field() -> None:
    from simulator.errors import ScenarioError
    from simulator.scenario.loader import load_scenario_text

    text = TINY.read_text(encoding="utf-8") + "references:\n  - {id: X, titel: oops}\n"
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text)
    paths = [p.path for p in err.value.problems]
    assert "references[0].titel" in paths and "references[0].title" in paths
