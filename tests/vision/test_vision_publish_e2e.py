"""A real video through ``matchday vision publish``, a real Tansu broker and the twin, to an alert.

The worker runs as a user runs it (a subprocess of the ``matchday`` command). The camera sees a
small part of the arena's plaza (coverage 0.001), so the handful of walkers in vtest.avi stand
for thousands on the plaza and the twin's ``density_now`` rule fires. Ids are tagged per run
because the broker outlives a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from simulator.scenario.loader import load_scenario
from streams.cameras import Camera
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.messages import TOPICS, Alert
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARENA = ROOT / "tests" / "streams" / "data" / "arena.yaml"
DAY = datetime(2030, 7, 21, tzinfo=timezone(timedelta(hours=1)))
EVENING_S = 20 * 3600 + 30 * 60  # 20:30
FRAMES = 12  # at 2 frames/s: 20:30:00.0 to 20:30:05.5


def publish(video: Path, zones: Path, broker: str, progress: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "matchday.cli", "vision", "publish", str(video)]
    cmd += ["--zones", str(zones), "--kafka", broker, "--no-kafka-idempotence"]
    cmd += ["--kafka-retries", "0", "--fps", "2", "--max-frames", str(FRAMES)]
    cmd += ["--start", "2030-07-21T20:30:00+01:00", "--progress", str(progress)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)


LAST_FRAME_S = EVENING_S + 5.5  # the clip's last kept frame on the match clock


def pump_until_last_frame(service: TwinService, camera: str, seconds: float) -> None:
    """Pump until the twin has applied the camera's last frame (the topic is shared with other
    tests on the session's broker; earlier counts of one camera may be coalesced, latest wins)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latest = service.twin.latest.get(camera)
        if latest is not None and latest.clock_s >= LAST_FRAME_S - 1e-6:
            return
        service.pump(EVENING_S + 30, timeout_s=0.5)


def test_video_to_worker_to_broker_to_twin_to_alert(
    kafka_broker: str, vtest_path: Path, tmp_path: Path
) -> None:
    camera = f"vtest_{uuid.uuid4().hex[:8]}"
    zones = tmp_path / "zones.yaml"
    zones.write_text(
        f"camera: {camera}\nzones:\n  - {{id: plaza, polygon: [[0, 0], [768, 0], [768, 576], "
        "[0, 576]]}\n"
    )
    bus = KafkaBus(
        KafkaSettings(
            bootstrap=kafka_broker, enable_idempotence=False, use_highwater=True, producer_retries=0
        )
    )
    bus.create_topics(TOPICS)
    twin = DigitalTwin(
        load_scenario(ARENA),
        (Camera(camera, "plaza", coverage=0.001),),
        RuleSet(),
        day=DAY,
        start_s=EVENING_S,
        settings=TwinSettings(stale_after_s=60, seed=3),
    )
    service = TwinService(bus, twin, counts_from_beginning=True)
    progress = tmp_path / "progress.json"

    run = publish(vtest_path, zones, kafka_broker, progress)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"messages {FRAMES}" in run.stderr
    assert json.loads(progress.read_text())["frame"] == 5 * (FRAMES - 1)  # 10 fps video, 2 kept
    pump_until_last_frame(service, camera, 30)
    seen = service.twin.window[camera]
    assert seen and all(2 <= n <= 10 for n in seen), seen  # vtest: 3-9 walkers
    assert service.twin.latest[camera].clock_s == pytest.approx(LAST_FRAME_S)  # the time base

    report = service.cycle(EVENING_S + 30)
    alerts = [m for m in report.messages if isinstance(m, Alert) and m.zone == "plaza"]
    assert any(a.rule == "density_now" for a in alerts), [a.rule for a in alerts]

    again = publish(vtest_path, zones, kafka_broker, progress)  # resumes after the last commit
    assert again.returncode == 0 and "messages 0" in again.stderr, again.stderr[-2000:]
    progress.unlink()  # from scratch: the same frames, the same ids, dropped by the twin
    third = publish(vtest_path, zones, kafka_broker, progress)
    assert third.returncode == 0, third.stderr[-2000:]
    stats = service.counts.stats
    before, latest_before = stats.duplicates + stats.coalesced, service.twin.latest[camera]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and stats.duplicates + stats.coalesced < before + FRAMES:
        service.pump(EVENING_S + 31, timeout_s=0.5)
    # the repeats carry the first run's ids: dropped as duplicates (or superseded), never applied
    # again; other tests' counts on the shared topic may still be arriving, so only ours are judged
    assert stats.duplicates + stats.coalesced >= before + FRAMES
    assert stats.duplicates > 0
    assert service.twin.latest[camera] == latest_before
    service.close()
    bus.close()
