"""Write a comparison as ``comparison.json`` and a self-contained ``comparison.html``.

The HTML embeds its plots as PNG data URIs, so the file can be mailed or attached to a ticket
as it is. Each headline KPI gets two panels side by side: every option's per-seed values with
mean and confidence interval, and each option's difference to the baseline with its interval
(an interval clear of zero is a difference the seeds support). Plots use matplotlib's object
API on an Agg canvas, never pyplot, so nothing global is touched.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from matplotlib.figure import Figure

from simulator.results.units import NOT_APPLICABLE

_VERDICT_COLOURS = {"better": "#1a7f37", "worse": "#c62828"}
_NEUTRAL = "#555555"


def fmt(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A number as a planner reads it: shares in %, durations in minutes, counts bare.

    Durations are stored in seconds (unit "s") and shown in minutes, as in the run report and
    the terminal. A value that rounds to zero at the shown precision is printed unsigned
    ("0.00 min", not "-0.00 min"), so an identical result under common random numbers reads as
    identical.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    factor, shown = _scale(unit)
    scaled, suffix = value * factor, ("%" if unit == "share" else f" {shown}")
    if unit in ("fans", ""):
        suffix = ""
    digits = 1 if unit == "share" else 0 if abs(scaled) >= 100 else 2 if abs(scaled) < 10 else 1
    sign = "+" if signed else ""
    text = f"{scaled:{sign},.{digits}f}"
    if float(text.replace(",", "")) == 0.0:
        text = f"{0.0:.{digits}f}"
    return f"{text}{suffix}"


def fmt_interval(est: Mapping[str, Any], unit: str, *, signed: bool = False) -> str:
    """``mean [low, high]``, or just the mean when there are too few seeds for an interval."""
    text = fmt(est.get("mean"), unit, signed=signed)
    if est.get("low") is None or est.get("high") is None:
        return text
    return (
        f"{text} [{fmt(est['low'], unit, signed=signed)}, {fmt(est['high'], unit, signed=signed)}]"
    )


def _scale(unit: str) -> tuple[float, str]:
    """Factor and unit shown for a stored unit: shares as %, seconds as minutes."""
    if unit == "share":
        return 100.0, "%"
    if unit == "s":
        return 1.0 / 60.0, "min"
    return 1.0, unit


def _plot_kpi(kpi: Mapping[str, Any], names: list[str]) -> str:
    """Two panels for one KPI, returned as a PNG data URI."""
    factor, unit = _scale(kpi["unit"])
    fig = Figure(figsize=(10, 0.6 + 0.55 * len(names)), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    rows = list(range(len(names)))[::-1]
    for y, name in zip(rows, names, strict=True):
        est = kpi["estimates"][name]
        values = [v["value"] * factor for v in est["values"] if v["value"] is not None]
        left.scatter(values, [y] * len(values), s=12, alpha=0.45, color="#1f5fa8")
        if est["mean"] is not None:
            err = (est["half_width"] or 0.0) * factor
            left.errorbar(est["mean"] * factor, y, xerr=err, fmt="D", color="black", capsize=4)
        diff = kpi["differences"].get(name)
        if diff is not None and diff["mean"] is not None:
            colour = _VERDICT_COLOURS.get(diff["verdict"], _NEUTRAL)
            err = (diff["half_width"] or 0.0) * factor
            right.errorbar(diff["mean"] * factor, y, xerr=err, fmt="o", color=colour, capsize=4)
    left.set_yticks(rows, names)
    left.set_xlabel(f"{kpi['label']} ({unit}): per seed, mean and CI")
    right.axvline(0.0, color=_NEUTRAL, linewidth=1)
    right.set_xlabel(f"difference to baseline ({unit}) and CI")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_TEMPLATE = jinja2.Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Comparison: {{ doc.scenario }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child, table.options td { text-align: left; }
.better { color: #1a7f37; font-weight: bold; } .worse { color: #c62828; font-weight: bold; }
.note { color: #555; } img { max-width: 100%; }
@media print {
  body { margin: 0; font-size: 10pt; }
  table { font-size: 7.5pt; } th, td { padding: 0.15em 0.3em; }
  h2, h3 { break-after: avoid; } tr, img { break-inside: avoid; }
  thead { display: table-header-group; }
  details > *:not(summary) { display: block; } details summary { display: none; }
}
</style></head><body>
<h1>Comparison: {{ doc.scenario }}</h1>
<p class="note">Durations and waits in minutes, shares in percent, densities in persons/m².
Mean over seeds with its {{ pct }}% confidence interval (Student t).
Differences are variant minus baseline ({{ doc.baseline }}), paired by seed where the runs
share seeds (common random numbers), else Welch; a difference is called better or worse only
when its interval excludes zero.</p>
<h2>Options</h2>
<table class="options"><tr><th>option</th><th>description</th><th>seeds</th><th>source</th></tr>
{% for g in doc.groups %}<tr><td>{{ g.name }}</td><td>{{ g.description }}</td>
<td>{{ g.seeds | length }}</td><td>{{ g.source }}</td></tr>{% endfor %}
</table>
<h2>Headline KPIs</h2>
{{ table(headline) }}
{% for kpi, plot in plots %}<h3>{{ kpi.label }}</h3>
<img alt="{{ kpi.label }}: values and difference to baseline" src="{{ plot }}">{% endfor %}
<h2>All KPIs</h2>
<details><summary>{{ others | length }} more KPIs per element</summary>{{ table(others) }}</details>
</body></html>
""",
    autoescape=True,
)

_TABLE = jinja2.Template(
    """<table><tr><th>KPI</th>{% for n in names %}<th>{{ n }}</th>{% endfor %}
{% for n in names[1:] %}<th>{{ n }} − {{ names[0] }}</th>{% endfor %}</tr>
{% for row in rows %}<tr><td>{{ row.label }}</td>{% for cell in row.cells %}<td>{{ cell }}</td>
{% endfor %}{% for text, verdict in row.diffs %}<td class="{{ verdict }}">{{ text }}
{% if verdict %}({{ verdict }}){% endif %}</td>{% endfor %}</tr>{% endfor %}</table>""",
    autoescape=True,
)


def _diff_cell(diff: Mapping[str, Any], unit: str) -> tuple[str, str]:
    """Text and verdict of one difference cell; a KPI that does not apply says so, once."""
    if diff["verdict"] == NOT_APPLICABLE:
        return NOT_APPLICABLE, ""
    return fmt_interval(diff, unit, signed=True), diff["verdict"]


def _table(kpis: list[Mapping[str, Any]], names: list[str]) -> str:
    rows = []
    for kpi in kpis:
        unit = kpi["unit"]
        cells = [fmt_interval(kpi["estimates"][n], unit) for n in names]
        diffs = [_diff_cell(kpi["differences"][n], unit) for n in names[1:]]
        rows.append({"label": kpi["label"], "cells": cells, "diffs": diffs})
    return _TABLE.render(names=names, rows=rows)


def render_html(doc: Mapping[str, Any]) -> str:
    """The self-contained HTML page for a comparison document."""
    names = [g["name"] for g in doc["groups"]]
    headline = [k for k in doc["kpis"] if k["headline"]]
    others = [k for k in doc["kpis"] if not k["headline"]]
    plots = [(k, _plot_kpi(k, names)) for k in headline]
    return _TEMPLATE.render(
        doc=doc,
        pct=round(doc["confidence"] * 100),
        headline=headline,
        others=others,
        plots=plots,
        table=lambda kpis: Markup(_table(kpis, names)),
    )


def write_report(doc: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``comparison.json`` (sorted keys, stable bytes) and ``comparison.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "comparison.json", out / "comparison.html"
    json_path.write_text(
        json.dumps(doc, sort_keys=True, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    html_path.write_text(render_html(doc), encoding="utf-8")
    return json_path, html_path
