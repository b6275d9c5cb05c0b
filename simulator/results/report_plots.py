"""The report's plots over clock time, drawn with matplotlib and returned as PNG data URIs.

Each function takes the run's tables and returns ``data:image/png;base64,...`` so the report
stays one self-contained file. Plotting only draws: the numbers come from the tables as they are.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from simulator.scenario.clock import format_clock
from simulator.venue.los import LEVELS, LosScale, density_at_level

# Fruin bands from green (A) to dark red (F), light enough to read lines over them.
LOS_COLOURS = {
    "A": "#e8f5e9",
    "B": "#f1f8e9",
    "C": "#fffde7",
    "D": "#fff3e0",
    "E": "#ffe0b2",
    "F": "#ffcdd2",
}
MARKS = dict[str, float]


def _figure(rows: int = 1) -> tuple[Figure, list[Axes]]:
    # A bare Figure draws with Agg and keeps no global pyplot state (safe in servers and tests).
    fig = Figure(figsize=(10, 3.2 * rows))
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)
    return fig, [ax for (ax,) in axes]


def _clock_axis(ax: Axes, start_s: float, end_s: float) -> None:
    ax.set_xlim(start_s / 3600.0, end_s / 3600.0)
    span_h = (end_s - start_s) / 3600.0
    ax.xaxis.set_major_locator(MultipleLocator(0.5 if span_h <= 8 else 1.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_clock(x * 3600.0)))
    ax.grid(True, color="#dddddd", linewidth=0.6)


def _marks(ax: Axes, marks: MARKS) -> None:
    for label, t in marks.items():
        ax.axvline(t / 3600.0, color="#555555", linestyle="--", linewidth=0.9)
        ax.annotate(
            label,
            (t / 3600.0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )


def _legend(ax: Axes, entries: int) -> None:
    """Below the plot, where it hides neither data nor the kick-off and whistle labels."""
    ax.legend(fontsize=8, ncol=min(6, entries), loc="upper center", bbox_to_anchor=(0.5, -0.16))


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a wide label set it cannot fit: the tight crop below does
        warnings.filterwarnings("ignore", "Tight layout not applied", UserWarning)
        fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _series(timeseries: pa.Table, element: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    rows = timeseries.filter(pc.equal(timeseries["element"], element))
    times = rows["time_s"].to_numpy() / 3600.0
    return times, rows[column].to_numpy().astype(float)


def checkpoint_plot(
    timeseries: pa.Table, checkpoints: Sequence[str], *, start_s: float, end_s: float, marks: MARKS
) -> str:
    """Queue (waiting plus in service) and mean wait of each checkpoint over the clock."""
    fig, (queue_ax, wait_ax) = _figure(2)
    for cid in checkpoints:
        times, queue = _series(timeseries, cid, "occupancy")
        queue_ax.plot(times, queue, linewidth=1.2, label=cid)
        times, wait = _series(timeseries, cid, "mean_wait_s")
        wait_ax.plot(times, wait, linewidth=1.2, label=cid)
    queue_ax.set_ylabel("persons queuing")
    queue_ax.set_title("Checkpoint queues")
    wait_ax.set_ylabel("mean wait (s)")
    wait_ax.set_title("Mean queue wait of fans starting service in each interval")
    for ax in (queue_ax, wait_ax):
        _clock_axis(ax, start_s, end_s)
        _marks(ax, marks)
    if checkpoints:
        _legend(wait_ax, len(checkpoints))
    return _data_uri(fig)


def density_plot(
    timeseries: pa.Table,
    elements: Sequence[str],
    *,
    title: str,
    scale: LosScale,
    start_s: float,
    end_s: float,
    marks: MARKS,
    names: Mapping[str, str] | None = None,
) -> str:
    """Density of the given elements (by label) with the Fruin LoS bands of ``scale`` behind."""
    fig, (ax,) = _figure(1)
    peak = 0.0
    for eid in elements:
        times, density = _series(timeseries, eid, "density_per_m2")
        peak = max(peak, float(density.max(initial=0.0)))
        ax.plot(times, density, linewidth=1.3, label=(names or {}).get(eid, eid), zorder=3)
    top = max(peak * 1.15, density_at_level("D", scale))
    edges = [density_at_level(level, scale) for level in LEVELS] + [max(top, 1e9)]
    for level, low, high in zip(LEVELS, edges[:-1], edges[1:], strict=True):
        if low < top:
            ax.axhspan(low, min(high, top), color=LOS_COLOURS[level], zorder=0)
            ax.text(
                1.005,
                (low + min(high, top)) / 2,
                level,
                transform=ax.get_yaxis_transform(),
                fontsize=8,
                va="center",
                color="#666666",
            )
    ax.set_ylim(0, top)
    ax.set_ylabel("persons / m²")
    ax.set_title(f"{title} (Fruin {scale} LoS bands)")
    _clock_axis(ax, start_s, end_s)
    _marks(ax, marks)
    if elements:
        _legend(ax, len(elements))
    return _data_uri(fig)


def occupancy_plot(fans: pa.Table, *, start_s: float, end_s: float, marks: MARKS) -> str:
    """Fans arrived, seated and left so far, and fans inside (arrived, not yet left)."""
    fig, (ax,) = _figure(1)
    grid = np.linspace(start_s, end_s, 600)
    counts = {}
    for column, label in (("arrive_s", "arrived"), ("seated_s", "seated"), ("left_s", "left")):
        times = fans[column].to_numpy(zero_copy_only=False).astype(float)
        times = np.sort(times[~np.isnan(times)])
        counts[label] = np.searchsorted(times, grid, side="right")
        ax.plot(grid / 3600.0, counts[label], linewidth=1.4, label=label)
    ax.plot(
        grid / 3600.0,
        counts["arrived"] - counts["left"],
        linewidth=1.4,
        linestyle=":",
        label="inside (arrived, not left)",
    )
    ax.set_ylabel("fans")
    ax.set_title("Stadium occupancy")
    _clock_axis(ax, start_s, end_s)
    _marks(ax, marks)
    _legend(ax, 4)
    return _data_uri(fig)


def checkpoint_heatmap(
    timeseries: pa.Table,
    checkpoints: Sequence[tuple[str, str]],
    *,
    start_s: float,
    end_s: float,
    marks: MARKS,
) -> str:
    """Persons queuing at each gate (rows, by label) over the clock: readable at 20+ gates."""
    fig = Figure(figsize=(10, 1.2 + 0.28 * max(len(checkpoints), 3)))
    ax = fig.subplots()
    grid = np.arange(start_s, end_s + 1.0, 60.0)
    rows = []
    for cid, _ in checkpoints:
        times, queue = _series(timeseries, cid, "occupancy")
        rows.append(np.interp(grid / 3600.0, times, queue) if times.size else grid * 0.0)
    data = np.array(rows) if rows else np.zeros((1, grid.size))
    extent = (start_s / 3600.0, end_s / 3600.0, len(checkpoints) - 0.5, -0.5)
    image = ax.imshow(data, aspect="auto", cmap="magma_r", extent=extent, interpolation="nearest")
    ax.set_yticks(range(len(checkpoints)), [name for _, name in checkpoints], fontsize=7)
    fig.colorbar(image, ax=ax, label="persons queuing", pad=0.01)
    ax.set_title("Queue at each gate (persons waiting or in screening)")
    _clock_axis(ax, start_s, end_s)
    ax.grid(False)
    _marks(ax, marks)
    return _data_uri(fig)


def cumulative_entries_plot(
    fans: pa.Table,
    checkpoints: Sequence[tuple[str, str]],
    *,
    start_s: float,
    end_s: float,
    marks: MARKS,
) -> str:
    """Fans through each gate so far: one small panel per gate, same axes, four across."""
    cols = 4
    n = max(len(checkpoints), 1)
    nrows = (n + cols - 1) // cols
    fig = Figure(figsize=(10, 1.5 * nrows + 0.4))
    axes = fig.subplots(nrows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    gate = np.asarray(fans["gate"].to_pylist(), dtype=object)
    screened = fans["service_start_s"].to_numpy(zero_copy_only=False).astype(float)
    grid = np.linspace(start_s, end_s, 300)
    for ax, (cid, name) in zip(axes, checkpoints, strict=False):
        times = np.sort(screened[(gate == cid) & ~np.isnan(screened)])
        ax.plot(grid / 3600.0, np.searchsorted(times, grid, side="right"), linewidth=1.2)
        ax.set_title(name, fontsize=8)
        for t in marks.values():
            ax.axvline(t / 3600.0, color="#999999", linestyle="--", linewidth=0.7)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: format_clock(x * 3600.0)))
        ax.grid(True, color="#eeeeee", linewidth=0.5)
    for ax in axes[len(checkpoints) :]:
        ax.set_visible(False)
    axes[0].set_ylabel("fans entered", fontsize=8)
    fig.suptitle("Cumulative entries per gate (fans screened so far)", fontsize=10)
    return _data_uri(fig)


def journey_plot(minutes: dict[str, np.ndarray]) -> str:
    """Distribution of each leg's duration (minutes), one panel per leg."""
    fig = Figure(figsize=(10, 2.8))
    axes = fig.subplots(1, len(minutes), squeeze=False).ravel()
    for ax, (leg, values) in zip(axes, minutes.items(), strict=True):
        if values.size:
            ax.hist(values, bins=40, color="#3b6db3")
            for q, style in ((50, "-"), (95, "--")):
                ax.axvline(float(np.percentile(values, q)), color="#222222", linestyle=style,
                           linewidth=0.9, label=f"p{q}")  # fmt: skip
            ax.legend(fontsize=7)
        ax.set_title(leg, fontsize=9)
        ax.set_xlabel("minutes")
        ax.set_ylabel("fans")
    return _data_uri(fig)
