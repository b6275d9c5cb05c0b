"""The counting worker behind ``matchday vision publish``: one camera onto ``zone.count.v1``.

Reads top to bottom: camera -> model -> zones -> message (``vision.wire``) -> sink -> commit.

- **At-least-once.** Messages go to a ``CountSink``; every ``commit_every`` frames the sink is
  flushed and, only once it reports everything delivered, the progress file records the last
  frame done. A worker killed in between redoes at most those frames on restart; their message
  ids are the same (``vision.wire``), so the twin drops the repeats.
- **Reconnecting.** ``CameraSource`` reopens a dropped live stream with backoff; when it gives up
  (or a live camera is not up yet) the worker waits, doubling from ``backoff_s`` to
  ``backoff_max_s``, and opens it again, for ever unless ``max_outages`` is set. A file or folder
  is read once to its end. While the broker is away the bus buffers (bounded); when the buffer
  is full the worker waits for the broker the same way instead of dropping counts.
- **Time.** Frames of live sources carry the wall clock; files carry ``origin_s`` plus media
  time, with ``origin_s`` kept in the progress file so a resumed file gets the same stamps.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any, Protocol

from streams.errors import BusError, MessageError
from vision.camera import CameraSource
from vision.errors import PublishError, SourceError, StreamDroppedError
from vision.model import PeopleModel
from vision.pipeline import count_frame
from vision.wire import zone_count_message
from vision.zones import ZoneCounter, ZoneLayout

Message = dict[str, Any]


class CountSink(Protocol):
    """Where counts go: a bus or a stream of JSON lines."""

    def send(self, message: Message, key: str) -> None:
        """Queue one validated message (may raise the sink's error when it cannot take more)."""
        ...

    def commit(self, timeout_s: float) -> bool:
        """Deliver everything queued; True only when all of it is durable."""
        ...

    def close(self) -> None: ...


class JsonLinesSink:
    """Messages as JSON lines (stdout or a file): what ``publish`` does without ``--kafka``."""

    def __init__(self, stream: IO[str]) -> None:
        from streams.messages import validate  # the JSON Schema contract, checked on both paths

        self._validate = validate
        self.stream = stream

    def send(self, message: Message, key: str) -> None:
        self._validate(message)
        self.stream.write(json.dumps(message, separators=(",", ":"), sort_keys=True) + "\n")

    def commit(self, timeout_s: float) -> bool:
        self.stream.flush()
        if isinstance(self.stream, io.FileIO | io.TextIOWrapper) and self.stream is not sys.stdout:
            with contextlib.suppress(OSError, io.UnsupportedOperation):  # pipes cannot fsync
                os.fsync(self.stream.fileno())
        return True

    def close(self) -> None:
        self.commit(0.0)


class BusSink:
    """Messages onto a ``streams`` bus (Kafka or in-process), keyed by camera id."""

    def __init__(self, bus: Any) -> None:
        from streams.inbox import Publisher
        from streams.messages import ZONE_COUNT

        bus.create_topics([ZONE_COUNT])
        self.bus = bus
        self.publisher = Publisher(bus)

    def send(self, message: Message, key: str) -> None:
        self.publisher.publish(message, key=key)

    def commit(self, timeout_s: float) -> bool:
        left = self.bus.flush(timeout_s=timeout_s)
        pending = getattr(self.bus, "pending", lambda: left)()
        return left == 0 and pending == 0

    def close(self) -> None:
        self.bus.close()


@dataclass(frozen=True)
class WorkerSettings:
    """How the worker runs; the defaults suit one camera per process."""

    commit_every: int = 10  # frames between flush-then-checkpoint
    commit_timeout_s: float = 10.0
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    max_outages: int | None = None  # None: a live camera is retried for ever
    progress: Path | None = None  # a file or folder source resumes after its last commit


@dataclass
class WorkerStats:
    frames: int = 0
    messages: int = 0
    commits: int = 0
    failed_commits: int = 0
    outages: int = 0
    resumed_after: int = -1
    bad_frames: int = 0


class Progress:
    """The last committed frame of a file source and its time origin, written atomically."""

    def __init__(self, path: Path | None, uri: str) -> None:
        self.path, self.uri = path, uri
        self.frame, self.origin_s = -1, None
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text())
                if data.get("source") == uri:
                    self.frame, self.origin_s = int(data["frame"]), float(data["origin_s"])
            except (ValueError, KeyError, TypeError) as exc:
                raise SourceError(
                    f"{path}: progress file is not valid JSON with source, frame and origin_s "
                    f"({exc}); delete it to start the source from its beginning"
                ) from exc

    def save(self, frame: int, origin_s: float) -> None:
        self.frame, self.origin_s = frame, origin_s
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"source": self.uri, "frame": frame, "origin_s": origin_s}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".part")
        with os.fdopen(fd, "w") as fh:
            json.dump(body, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


class CountingWorker:
    """One camera's counts onto a sink until the file ends (or for ever for a live camera)."""

    def __init__(
        self,
        open_source: Callable[[], CameraSource],
        model: PeopleModel,
        layout: ZoneLayout,
        sink: CountSink,
        *,
        tz: tzinfo,
        origin_s: float,
        settings: WorkerSettings | None = None,
        log: Callable[[str], None] = lambda _line: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.open_source, self.model, self.layout, self.sink = open_source, model, layout, sink
        self.tz, self.settings, self.log, self.sleep = tz, settings or WorkerSettings(), log, sleep
        self.counter = ZoneCounter(layout)
        self.stats = WorkerStats()
        self.origin_s = origin_s
        self._last_index = -1

    def run(self) -> WorkerStats:
        """Count until the source ends; raises the source's error if it stays down."""
        delay = self.settings.backoff_s
        progress: Progress | None = None
        while True:
            source = self.open_source()
            if progress is None:
                progress = Progress(self.settings.progress, str(source.uri))
                if not source.live and progress.origin_s is not None:
                    self.origin_s = progress.origin_s
                    self.stats.resumed_after = progress.frame
            source.start_time_s = self.origin_s  # files: stamps = origin + media time
            try:
                self._consume(source, progress)
                self.stats.bad_frames += source.stats.corrupt
                return self._finish(progress)
            except (StreamDroppedError, SourceError) as exc:
                self.stats.bad_frames += source.stats.corrupt
                if not source.live:
                    raise
                self.stats.outages += 1
                if self.settings.max_outages is not None and (
                    self.stats.outages > self.settings.max_outages
                ):
                    raise
                self.log(f"camera down ({exc}); retrying in {delay:.1f} s")
                self.sleep(delay)
                delay = min(delay * 2.0, self.settings.backoff_max_s)

    def _consume(self, source: CameraSource, progress: Progress) -> None:
        skip_to = progress.frame if not source.live else -1
        since_commit = 0
        for frame in source.frames():
            if frame.index <= skip_to:
                continue
            step = count_frame(frame, self.model, self.counter)
            for count in step.counts:
                message = zone_count_message(count, tz=self.tz, zones_in_view=len(step.counts))
                self._send(message, key=message["camera"])
            self.stats.frames += 1
            self._last_index = frame.index
            since_commit += 1
            if since_commit >= self.settings.commit_every:
                since_commit = 0 if self._commit(progress, source.live) else since_commit

    def _send(self, message: Message, key: str) -> None:
        """Send; when the sink's buffer is full, wait for it to drain (never drop a count)."""
        delay = self.settings.backoff_s
        while True:
            try:
                self.sink.send(message, key)
                self.stats.messages += 1
                return
            except MessageError:
                raise
            except BusError as exc:
                self.log(f"bus not taking counts ({exc}); waiting {delay:.1f} s")
                self.sleep(delay)
                self.sink.commit(self.settings.commit_timeout_s)
                delay = min(delay * 2.0, self.settings.backoff_max_s)

    def _commit(self, progress: Progress, live: bool) -> bool:
        if not self.sink.commit(self.settings.commit_timeout_s):
            self.stats.failed_commits += 1
            self.log("broker has not confirmed every count yet; progress not advanced")
            return False
        self.stats.commits += 1
        if not live and self._last_index >= 0:
            progress.save(self._last_index, self.origin_s)
        return True

    def _finish(self, progress: Progress) -> WorkerStats:
        delay = self.settings.backoff_s
        for _ in range(max(1, self.settings.max_outages or 5)):
            if self._commit(progress, False):
                return self.stats
            self.sleep(delay)
            delay = min(delay * 2.0, self.settings.backoff_max_s)
        raise PublishError(
            f"{progress.uri}: the broker did not confirm the last counts; progress stays at "
            f"frame {progress.frame}, so a rerun sends the rest again"
        )
