"""report.html: made from a real run, self-contained, escaped, and showing the summary KPIs."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser

import pytest
from scenario_helpers import TINY

from simulator import RunResult, Simulation
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


def test_report_is_self_contained(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, _, html = tiny_run
    page = _parse(html)
    assert "script" not in page.tags and "link" not in page.tags
    assert page.urls, "the plots must be there"
    for url in page.urls:
        assert url.startswith("data:image/png;base64,"), url[:80]
        png = base64.b64decode(url.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    assert len(page.urls) == 4  # occupancy, checkpoints, busiest areas, busiest links
    assert not re.search(r"url\(|@import|https?://", html)


def test_report_shows_the_summary_kpis(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, result, html = tiny_run
    s = result.summary.to_dict()
    page = _parse(html)
    text = " ".join(page.text)
    assert fmt_share(s["share_seated_at_kickoff"]) in text
    for key in ("expected", "arrived", "seated", "left"):
        assert fmt_count(s["fans"][key]) in text
    for cid, c in s["checkpoints"].items():
        assert page.rows[f"checkpoint-{cid}"] == [
            cid,
            fmt_count(c["served"]),
            fmt_seconds(c["p50_wait_s"]),
            fmt_seconds(c["p95_wait_s"]),
            fmt_seconds(c["max_wait_s"]),
            fmt_count(c["peak_queue"]),
            fmt_density(c["peak_density_per_m2"]),
            c["peak_los"],
            fmt_minutes(c["minutes_at_los_e"]),
            fmt_minutes(c["minutes_at_los_f"]),
        ]
    for aid, a in s["areas"].items():
        row = page.rows[f"area-{aid}"]
        assert row[1:] == [
            fmt_density(a["peak_density_per_m2"]),
            a["peak_los"],
            fmt_minutes(a["minutes_at_los_e"]),
            fmt_minutes(a["minutes_at_los_f"]),
        ]
    for lid, lk in s["links"].items():
        row = page.rows[f"link-{lid}"]
        assert row[1] == fmt_density(lk["peak_density_per_m2"]) and row[2] == lk["peak_los"]
        assert row[5] == fmt_count(lk["throughput"])
    elements = len(s["checkpoints"]) + len(s["areas"]) + len(s["links"])
    assert len(page.rows) == elements + len({f for f in result.fans["sector"].to_pylist()})


def test_links_come_busiest_first(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    _, result, html = tiny_run
    order = [m for m in re.findall(r'<tr id="link-([^"]+)"', html)]
    assert order == busiest(
        result.summary.to_dict()["links"], len(result.summary.to_dict()["links"])
    )
    peaks = [result.summary.to_dict()["links"][lid]["peak_density_per_m2"] for lid in order]
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
    page = _parse(html)
    assert "script" not in page.tags and "img" in page.tags  # only the plot images
    assert all(u.startswith("data:") for u in page.urls)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x&gt;" in html
    assert evil in " ".join(page.text)  # readers still see the name as written


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
    assert result.summary.to_dict()["kickoff_s"] is None
    assert page.rows["link-c"][5] == fmt_count(result.summary.to_dict()["links"]["c"]["throughput"])
    assert "This venue has no areas." in html
    assert len(page.urls) == 3 and all(u.startswith("data:image/png") for u in page.urls)


def test_sector_table_matches_the_fan_records(tiny_run: tuple[Scenario, RunResult, str]) -> None:
    import pyarrow.compute as pc

    scenario, result, html = tiny_run
    page = _parse(html)
    kickoff = result.summary.to_dict()["kickoff_s"]
    for sector in scenario.venue.sectors:
        mine = result.fans.filter(pc.equal(result.fans["sector"], sector.id))
        early = pc.sum(pc.less_equal(mine["seated_s"], kickoff)).as_py()
        row = page.rows[f"sector-{sector.id}"]
        assert row[0] == sector.id
        assert row[2] == fmt_count(mine.num_rows)
        assert row[3] == fmt_share(early / mine.num_rows)
    assert sum(
        int(page.rows[f"sector-{s.id}"][2].replace(",", "")) for s in scenario.venue.sectors
    ) == (result.fans.num_rows)
