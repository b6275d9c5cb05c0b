"""``matchday vision publish``: a camera's zone counts onto ``zone.count.v1``.

Without ``--kafka`` the messages are printed as JSON lines on stdout (or written to ``--out``),
exactly as they would go on the bus: a user can look at them, save them, or pipe them into any
Kafka producer. Progress and warnings go to stderr.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from vision.errors import SourceError, VisionError

Opt = typer.Option


def parse_start(text: str | None) -> datetime:
    """``--start``: an ISO date-time with offset; default now, in this machine's time zone."""
    if text is None:
        return datetime.now().astimezone()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SourceError(
            f"--start: expected an ISO date-time with offset such as 2030-07-21T20:30:00+01:00, "
            f"found {text!r}"
        ) from exc
    if moment.tzinfo is None:
        raise SourceError(
            f"--start: expected a date-time with an offset (e.g. {text}+01:00), found {text!r}; "
            "counts carry the full date-time so the twin can place them on the match day"
        )
    return moment


def _bus(kafka: str, camera: str, idempotence: bool, retries: int | None) -> object:
    from streams.errors import BusError
    from streams.kafka_bus import KafkaBus, KafkaSettings

    host, _, port = kafka.rpartition(":")
    if not host or not port.isdigit():
        raise SourceError(f"--kafka: expected HOST:PORT, e.g. 127.0.0.1:9092, found {kafka!r}")
    settings = KafkaSettings(
        bootstrap=kafka,
        client_id=f"matchday-vision-{camera}"[:100],
        enable_idempotence=idempotence,
        producer_retries=retries,
    )
    delay = 1.0
    for attempt in range(6):
        try:
            return KafkaBus(settings)
        except BusError as exc:
            if attempt == 5:
                raise SourceError(f"--kafka: {exc}; is the broker up?") from exc
            typer.echo(f"broker not answering ({exc}); retrying in {delay:.0f} s", err=True)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def publish(
    source: Annotated[
        str, typer.Argument(help="Video file, image folder, rtsp/http URL or device.")
    ],
    zones: Annotated[Path, Opt("--zones", help="Zones YAML; zone ids are venue element ids.")],
    kafka: Annotated[
        str | None, Opt(help="HOST:PORT of a Kafka broker; default: JSON lines")
    ] = None,
    camera: Annotated[str | None, Opt(help="Camera id (default: the zones file's camera)")] = None,
    model: Annotated[str, Opt(help="Counting model name or .yaml")] = "default",
    fps: Annotated[float | None, Opt(help="Frames per second to count (others dropped)")] = None,
    start: Annotated[
        str | None, Opt(help="Files: ISO date-time of the first frame (default now)")
    ] = None,
    progress: Annotated[
        Path | None, Opt(help="Files: resume after the last committed frame (JSON file)")
    ] = None,
    out: Annotated[Path | None, Opt(help="Without --kafka: write JSON lines here")] = None,
    max_frames: Annotated[int | None, Opt("--max-frames")] = None,
    commit_every: Annotated[int, Opt(help="Frames between flush-then-checkpoint")] = 10,
    threads: Annotated[int, Opt(help="onnxruntime intra-op threads")] = 1,
    kafka_idempotence: Annotated[bool, Opt(help="Idempotent producer (off for Tansu)")] = True,
    kafka_retries: Annotated[int | None, Opt(help="Producer retries (0: matchday's own)")] = None,
) -> None:
    """Count people per zone and publish zone.count.v1 messages (Ctrl-C to stop)."""
    try:
        stats = _publish(
            source, zones, kafka, camera, model, fps, start, progress, out, max_frames,
            commit_every, threads, kafka_idempotence, kafka_retries,
        )  # fmt: skip
    except VisionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        return
    typer.echo(
        f"frames {stats.frames}, messages {stats.messages}, commits {stats.commits} "
        f"({stats.failed_commits} waited for the broker), camera outages {stats.outages}, "
        f"bad frames skipped {stats.bad_frames}",
        err=True,
    )


def _publish(  # type: ignore[no-untyped-def]
    source, zones, kafka, camera, model, fps, start, progress, out, max_frames, commit_every,
    threads, kafka_idempotence, kafka_retries,
):  # fmt: skip
    from vision.camera import CameraSource
    from vision.fusion import load_model
    from vision.publish import BusSink, CountingWorker, JsonLinesSink, WorkerSettings
    from vision.zones import load_layout

    if commit_every < 1:
        raise SourceError(f"--commit-every: expected a whole number >= 1, found {commit_every}")
    layout = load_layout(zones)
    layout = replace(layout, camera=camera) if camera else layout
    origin = parse_start(start)
    probe = CameraSource(source, camera=layout.camera)
    if start is not None and probe.live:
        raise SourceError(f"--start: {source} is a live source, stamped with the wall clock")
    net = load_model(model, threads=threads)
    if kafka:
        sink = BusSink(_bus(kafka, layout.camera, kafka_idempotence, kafka_retries))
    else:
        sink = JsonLinesSink(out.open("a") if out else sys.stdout)  # type: ignore[assignment]
    worker = CountingWorker(
        lambda: CameraSource(source, camera=layout.camera, target_fps=fps, max_frames=max_frames),
        net,
        layout,
        sink,
        tz=origin.tzinfo,  # type: ignore[arg-type]
        origin_s=origin.timestamp(),
        settings=WorkerSettings(commit_every=commit_every, progress=progress),
        log=lambda line: typer.echo(line, err=True),
    )
    try:
        return worker.run()
    finally:
        sink.close()
