"""``matchday cap-export``: alerts as OASIS CAP 1.2 XML files, each checked against the schema.

Two sources of messages:

* a scenario (YAML path or bundled name): the replay demo (the ``--fast`` cameras counting a
  ground-truth run) drives the twin headless, cycle after cycle, for ``minutes`` of match clock;
  its alerts carry CAP status Exercise, as every replay does;
* a JSON-lines file of ops.alert.v1 records (as consumed from the topic): converted as they
  are, each validated as JSON first.

Each message is written as ``NNNN-MSGTYPE-IDENTIFIER.xml`` in the output folder, after
``cap_xml.checked_cap_xml`` found it valid against the OASIS CAP 1.2 schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from simulator.scenario.model import Scenario
from streams.cameras import demo_cameras
from streams.cap_xml import checked_cap_xml
from streams.errors import ConfigError, MessageError
from streams.messages import Ack, Alert, from_json
from streams.replay import CountReplay
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: one file per message, in order."""

    files: tuple[Path, ...]
    by_type: dict[str, int]


def replay_alerts(
    scenario: Scenario,
    *,
    day: datetime,
    start_s: float,
    minutes: float,
    seed: int = 0,
    rules: RuleSet | None = None,
    cycle_s: float = 60.0,
    camera_interval_s: float = 15.0,
) -> Iterator[Alert]:
    """The alerts of the replay demo, cycle by cycle, with CAP status Exercise."""
    ruleset = rules or RuleSet()
    ruleset = replace(ruleset, lifecycle=replace(ruleset.lifecycle, status="Exercise"))
    cameras = demo_cameras(scenario)
    settings = TwinSettings(cycle_s=cycle_s, seed=seed)
    twin = DigitalTwin(scenario, cameras, ruleset, day=day, start_s=start_s, settings=settings)
    replay = CountReplay(scenario, cameras, day=day, start_s=start_s, seed=seed + 1)
    end_s = start_s + minutes * 60
    camera_s, cycle_at = start_s, start_s + cycle_s
    while cycle_at <= end_s:
        while camera_s <= cycle_at:  # counts in time order, none from after the cycle
            for count in replay.counts(camera_s):
                twin.observe(count)
            camera_s += camera_interval_s
        yield from (m for m in twin.cycle(cycle_at).messages if isinstance(m, Alert))
        cycle_at += cycle_s


def recorded_alerts(path: Path) -> Iterator[Alert | Ack]:
    """The ops.alert.v1 messages of a JSON-lines file; ConfigError names the bad line."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(str(path), "(file)", "a readable JSON-lines file", str(exc)) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            message = from_json(line, expected="ops.alert.v1")
        except MessageError as error:
            raise ConfigError(
                str(path), f"line {number}", "an ops.alert.v1 record", str(error)
            ) from error
        assert isinstance(message, Alert | Ack)
        yield message


def export(messages: Iterable[Alert | Ack], out_dir: Path) -> ExportReport:
    """Write each message as CAP 1.2 XML (validated against the OASIS schema) under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    by_type: dict[str, int] = {}
    for index, message in enumerate(messages, start=1):
        xml = checked_cap_xml(message)
        path = out_dir / f"{index:04d}-{message.msg_type}-{message.id}.xml"
        path.write_bytes(xml)
        files.append(path)
        by_type[message.msg_type] = by_type.get(message.msg_type, 0) + 1
    return ExportReport(tuple(files), by_type)
