"""``matchday vision count`` and ``matchday vision eval``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
import typer

from vision.annotate import annotate
from vision.camera import CameraSource
from vision.errors import VisionError
from vision.evaluate import evaluate, load_labels
from vision.fusion import Model, load_model
from vision.pipeline import count_stream
from vision.publish_cli import parse_start, publish
from vision.wire import zone_count_message
from vision.zones import ZoneCount, ZoneCounter, ZoneLayout, load_layout

app = typer.Typer(help="Count people in camera streams with ONNX models.", no_args_is_help=True)
app.command()(publish)

ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="A model in vision/models (default, tiled, auto, csrnet, ...) or a .yaml",
    ),
]
ThreadsOpt = Annotated[int, typer.Option("--threads", help="onnxruntime intra-op threads.")]


def _fail(exc: VisionError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def _summary(counts: list[ZoneCount]) -> str:
    parts = []
    for c in counts:
        dens = f" {c.density_per_m2:.3f}/m²" if c.density_per_m2 is not None else ""
        gate = (
            f" in {c.crossings_in} out {c.crossings_out}"
            if c.crossings_in or c.crossings_out
            else ""
        )
        parts.append(f"{c.zone} {c.count:g}{dens}{gate}")
    return " | ".join(parts)


@app.command()
def count(
    source: Annotated[
        str, typer.Argument(help="Video file, image folder, rtsp/http URL or device index.")
    ],
    zones: Annotated[
        Path | None, typer.Option("--zones", help="Zones YAML; default: the whole frame.")
    ] = None,
    model: ModelOpt = "default",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one zone.count.v1 JSON line per frame and zone."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="Files: ISO date-time of the first frame (default now)."),
    ] = None,
    fps: Annotated[
        float | None, typer.Option("--fps", help="Target frames per second (others dropped).")
    ] = None,
    max_frames: Annotated[int | None, typer.Option("--max-frames")] = None,
    threads: ThreadsOpt = 1,
    save_video: Annotated[
        Path | None, typer.Option("--save-video", help="Write an annotated video (.avi, MJPG).")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Show annotated frames in a window.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the final totals.")] = False,
) -> None:
    """Count people per zone, live, one JSON line per frame and zone."""
    try:
        layout: ZoneLayout | None = load_layout(zones) if zones else None
        origin = parse_start(start)
        cam = CameraSource(
            source, target_fps=fps, max_frames=max_frames, start_time_s=origin.timestamp()
        )
        net = load_model(model, threads=threads)
        counter = ZoneCounter(layout) if layout else None
        _run_count(cam, net, counter, out, save_video, show, quiet, origin.tzinfo)
    except VisionError as exc:
        _fail(exc)


def _run_count(
    cam: CameraSource,
    net: Model,
    counter: ZoneCounter | None,
    out: Path | None,
    save_video: Path | None,
    show: bool,
    quiet: bool,
    tz: object,
) -> None:
    sink = out.open("w") if out else None
    writer = None
    totals: dict[str, list[int]] = {}
    frames = 0
    try:
        for step in count_stream(cam, net, counter):
            frames += 1
            for c in step.counts:
                t = totals.setdefault(c.zone, [0, 0])
                t[0] += c.crossings_in
                t[1] += c.crossings_out
                if sink:
                    message = zone_count_message(c, tz=tz, zones_in_view=len(step.counts))  # type: ignore[arg-type]
                    sink.write(json.dumps(message, sort_keys=True) + "\n")
            if not quiet:
                when = datetime.fromtimestamp(step.frame.time_s, tz).strftime("%H:%M:%S.%f")[:-5]  # type: ignore[arg-type]
                typer.echo(
                    f"{step.frame.camera} #{step.frame.index} {when}  {_summary(step.counts)}"
                )
            if save_video or show:
                layout = counter.layout if counter else ZoneLayout(cam.camera, ())
                img = annotate(step.frame.image, step.prediction, layout, step.counts)
                if save_video:
                    if writer is None:
                        writer = cv2.VideoWriter(
                            str(save_video),
                            cv2.VideoWriter.fourcc(*"MJPG"),
                            10.0,
                            (img.shape[1], img.shape[0]),
                        )
                    writer.write(img)
                if show:
                    _show(img)
    finally:
        if sink:
            sink.close()
        if writer is not None:
            writer.release()
    s = cam.stats
    typer.echo(
        f"frames {frames}, bad frames skipped {s.corrupt} (oversized {s.oversized}), "
        f"dropped for fps {s.skipped_for_fps}, "
        f"reconnects {s.reconnects}; "
        + ", ".join(f"{z} in {v[0]} out {v[1]}" for z, v in totals.items()),
        err=quiet,
    )


def _show(img: np.ndarray) -> None:
    try:
        cv2.imshow("matchday vision", img)
        cv2.waitKey(1)
    except cv2.error as exc:
        raise VisionError(
            "--show: this OpenCV build has no window support (opencv-python-headless); use "
            "--save-video instead"
        ) from exc


@app.command("eval")
def eval_(
    source: Annotated[str, typer.Argument(help="The labelled video (or image folder).")],
    labels: Annotated[Path, typer.Option("--labels", help="YAML: frames: {index: count}.")],
    model: ModelOpt = "default",
    zones: Annotated[
        Path | None, typer.Option("--zones", help="Count only inside these zones (summed).")
    ] = None,
    threads: ThreadsOpt = 1,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the full result as JSON.")
    ] = False,
) -> None:
    """Mean absolute error and MAPE of the model's count against hand-labelled frames."""
    try:
        lab = load_labels(labels)
        net = load_model(model, threads=threads)
        counter = ZoneCounter(load_layout(zones)) if zones else None

        def frame_count(image: object) -> float:
            pred = net.predict(image)  # type: ignore[arg-type]
            if counter is None:
                return pred.count
            return sum(c.count for c in counter.update(pred, time_s=0.0))

        result = evaluate(CameraSource(source), lab, frame_count)
    except VisionError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps({"model": net.name, **result.to_dict()}, indent=2))
    else:
        for f, t, p in zip(result.frames, result.truth, result.predicted, strict=True):
            typer.echo(f"frame {f:5d}  truth {t:6.1f}  predicted {p:6.1f}")
        typer.echo(
            f"{net.name}: {len(result.frames)} frames, MAE {result.mae:.3f}, MAPE "
            f"{result.mape_percent:.1f}%, bias {result.bias:+.3f}"
        )
        for b in result.bands():
            typer.echo(
                f"  {b.band:6s} {b.frames:3d} frames (mean {b.mean_truth:.1f} people): "
                f"MAE {b.mae:.2f}, MAPE {b.mape_percent:.1f}%"
            )
    sys.stdout.flush()
