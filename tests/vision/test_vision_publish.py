"""The counting worker without a broker: message contract, outages with backoff, at-least-once."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner
from vision_testkit import DATA, constant_model, write_spec

from matchday.cli import app
from streams.bus import InProcessBus
from streams.errors import BusError
from streams.messages import ZONE_COUNT, decode, parse_time
from vision import ArrayCapture, CameraSource, CountingModel, SourceError
from vision.publish import BusSink, CountingWorker, JsonLinesSink, WorkerSettings
from vision.zones import parse_layout

PUBLISH = ["vision", "publish", "--zones", str(DATA / "vtest_zones.yaml")]
TZ = timezone(timedelta(hours=1))
START = datetime(2030, 7, 21, 20, 30, tzinfo=TZ)
LAYOUT = parse_layout(
    {
        "camera": "cam_a",
        "zones": [{"id": "plaza", "polygon": [[0, 0], [64, 0], [64, 64], [0, 64]]}],
    },
    "zones.yaml",
)


@pytest.fixture
def flat_model(tmp_path: Path) -> CountingModel:
    """Exactly 256 people spread over any square frame (a density map of ones)."""
    constant_model(tmp_path / "flat.onnx", [np.ones((1, 1, 16, 16), np.float32)])
    return CountingModel.from_yaml(
        write_spec(tmp_path, "flat.onnx", "density", "person_class: null\n")
    )


def frames(n: int) -> list[np.ndarray]:
    return [np.full((64, 64, 3), k, np.uint8) for k in range(n)]


def file_source(n: int) -> CameraSource:
    return CameraSource("clip.avi", camera="cam_a", opener=lambda _: ArrayCapture(frames(n)))


def test_publish_prints_valid_zone_count_messages(vtest_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [*PUBLISH, str(vtest_path), "--max-frames", "3", "--start", "2030-07-21T20:30:00+01:00"],
    )
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    messages = [decode(ln.encode(), expected=ZONE_COUNT) for ln in lines]
    assert len(messages) == 6 and len({m["id"] for m in messages}) == 6
    assert {m["camera"] for m in messages} == {"vtest:road", "vtest:lawn"}
    assert parse_time(messages[0]["event_time"]) == START
    assert parse_time(messages[-1]["event_time"]) == START + timedelta(seconds=0.2)  # 10 fps


def test_count_out_writes_the_same_messages(vtest_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "counts.jsonl"
    args = ["vision", "count", str(vtest_path), "--zones", str(DATA / "vtest_zones.yaml")]
    result = CliRunner().invoke(
        app, [*args, "--max-frames", "2", "--out", str(out), "--start", "2030-07-21T20:30:00Z"]
    )
    assert result.exit_code == 0, result.output
    rows = [decode(line.encode(), expected=ZONE_COUNT) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and rows[0]["event_time"] == "2030-07-21T20:30:00+00:00"


def test_start_without_offset_is_refused(vtest_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [*PUBLISH, str(vtest_path), "--start", "2030-07-21T20:30:00"],
    )
    assert result.exit_code == 2 and "--start: expected a date-time with an offset" in result.output


def test_worker_on_the_in_process_bus(flat_model: CountingModel) -> None:
    bus = InProcessBus()
    worker = CountingWorker(
        lambda: file_source(5), flat_model, LAYOUT, BusSink(bus), tz=TZ,
        origin_s=START.timestamp(), settings=WorkerSettings(commit_every=2),
    )  # fmt: skip
    stats = worker.run()
    records = bus.topic(ZONE_COUNT)
    assert (stats.frames, stats.messages, len(records)) == (5, 5, 5)
    first = decode(records[0].value, expected=ZONE_COUNT)
    assert records[0].key == "cam_a" and first["count"] == 256 and first["zone"] == "plaza"


def test_live_camera_outages_are_retried_with_backoff(flat_model: CountingModel) -> None:
    sleeps: list[float] = []
    opened: list[int] = []

    def live() -> CameraSource:
        def opener(_: object) -> ArrayCapture:
            opened.append(1)
            cap = ArrayCapture(frames(2) if len(opened) == 1 else [])
            cap.opened = len(opened) == 1  # the first connection works, then the camera is away
            return cap

        return CameraSource(
            "rtsp://127.0.0.1:1/cam", camera="cam_a", opener=opener, max_reconnects=1,
            backoff_s=0.1, sleep=sleeps.append,
        )  # fmt: skip

    sink = JsonLinesSink(io.StringIO())
    worker = CountingWorker(
        live, flat_model, LAYOUT, sink, tz=TZ, origin_s=0.0, sleep=sleeps.append,
        settings=WorkerSettings(backoff_s=1.0, backoff_max_s=3.0, max_outages=3),
    )  # fmt: skip
    with pytest.raises(SourceError):  # StreamDroppedError, then the camera cannot be opened
        worker.run()
    assert worker.stats.frames == 2 and worker.stats.outages == 4
    assert [s for s in sleeps if s >= 1.0] == [1.0, 2.0, 3.0]  # the worker's own backoff, capped


class BrokerAway:
    """A sink whose broker confirms nothing until ``back`` is set: what a broker outage looks
    like to the worker (the real outage is rehearsed against Tansu in tests/streams)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.back = False

    def send(self, message: dict, key: str) -> None:
        if len(self.sent) >= 6 and not self.back:
            raise BusError("buffer full")
        self.sent.append(message)

    def commit(self, timeout_s: float) -> bool:
        return self.back

    def close(self) -> None:
        pass


def test_progress_advances_only_after_the_broker_confirms(
    flat_model: CountingModel, tmp_path: Path
) -> None:
    progress = tmp_path / "progress.json"
    first = JsonLinesSink(io.StringIO())
    settings = WorkerSettings(commit_every=2, progress=progress)
    CountingWorker(
        lambda: file_source(4), flat_model, LAYOUT, first, tz=TZ, origin_s=START.timestamp(),
        settings=settings,
    ).run()  # fmt: skip
    assert json.loads(progress.read_text())["frame"] == 3
    progress.write_text(json.dumps({"source": "clip.avi", "frame": 1, "origin_s": 1.0e9}))
    away = BrokerAway()
    sleeps: list[float] = []

    def comes_back(seconds: float) -> None:
        sleeps.append(seconds)
        away.back = len(sleeps) >= 2

    worker = CountingWorker(
        lambda: file_source(12), flat_model, LAYOUT, away, tz=TZ, origin_s=0.0,
        settings=settings, sleep=comes_back,
    )  # fmt: skip
    stats = worker.run()
    assert stats.resumed_after == 1 and stats.frames == 10  # frames 2..11
    assert stats.failed_commits >= 2 and sleeps  # waited for the broker, dropped nothing
    assert len(away.sent) == 10 and json.loads(progress.read_text())["frame"] == 11
    stamp = parse_time(away.sent[0]["event_time"]).timestamp()
    assert stamp == pytest.approx(1.0e9 + 2 / 25)  # the stored origin, not a new one
