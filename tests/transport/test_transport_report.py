"""The run report shows platforms, lines, car parks and roads when a scenario has transport."""

from __future__ import annotations

from rich.console import Console
from transport_venues import load, match_day

from simulator import Simulation
from simulator.results.kpi_table import kpi_table
from simulator.results.report import fmt_count, render_report


def test_report_has_the_transport_tables() -> None:
    sc = load(match_day())
    sim = Simulation(sc, seed=1)
    sim.run()
    r = sim.result()
    html = render_report(
        scenario=sc, summary=r.summary, timeseries=r.timeseries, fans=r.fans, seed=1
    )
    for table in ("platforms", "lines", "car-parks", "roads"):
        assert f'<table id="{table}">' in html
    assert 'id="kpi-time-to-leave-area"' in html
    shuttle = r.summary.to_dict()["lines"]["shuttle"]
    row = html[html.index('<tr id="line-shuttle">') :].split("</tr>")[0]
    assert f"<td>{fmt_count(shuttle['passengers'])}</td>" in row
    assert 'alt="Platform density over clock time"' in html


def test_report_without_transport_has_no_transport_section() -> None:
    doc = match_day()
    del doc["transport"]
    sc = load(doc)
    sim = Simulation(sc, seed=1)
    sim.run()
    r = sim.result()
    html = render_report(
        scenario=sc, summary=r.summary, timeseries=r.timeseries, fans=r.fans, seed=1
    )
    assert "<h2>Transport</h2>" not in html


def test_simulate_kpi_table_shows_transport() -> None:
    sim = Simulation(load(match_day()), seed=1)
    sim.run()
    console = Console(width=140, record=True)
    console.print(kpi_table(sim.result().summary))
    text = console.export_text()
    assert "time to leave the area" in text
    assert "worst platform wait p50 / p95" in text
    assert "busiest line" in text
