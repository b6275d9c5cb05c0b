"""Assemble a live run from the command line's options: bus, cameras, twin, dashboard, printer."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator.errors import SimulatorError
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario
from streams.bus import Bus, BusHealth, InProcessBus
from streams.cameras import Camera, demo_cameras, load_cameras
from streams.errors import ConfigError, StreamsError
from streams.frames import FrameReplay, frame_cameras, load_model
from streams.kafka_bus import PASSWORD_ENV, KafkaBus, KafkaSettings
from streams.live import CountSource, LiveSettings, default_start, match_day, run_live
from streams.messages import Alert, at_clock, clock_seconds
from streams.plausible import count_limits
from streams.replay import CountReplay
from streams.ruleset import RuleSet, load_ruleset
from streams.service import TwinService
from streams.signing import BusKey, bus_key
from streams.twin import DEFAULT_CYCLE_S, DEFAULT_MEMBERS, CycleReport, DigitalTwin, TwinSettings

USERNAME_ENV = "MATCHDAY_KAFKA_SASL_USERNAME"
SEVERITY_STYLE = {"Extreme": "bold red", "Severe": "red", "Moderate": "yellow", "Minor": "cyan"}


@dataclass(frozen=True)
class LiveOptions:
    """Everything ``matchday live`` was asked for."""

    scenario: Path
    kafka: str | None = None
    cameras: Path | None = None
    rules: Path | None = None
    fast: bool = False
    start: str | None = None
    minutes: float = 30.0
    speed: float = 20.0
    seed: int = 0
    members: int = DEFAULT_MEMBERS  # twin ensemble size (TwinSettings.members)
    cycle_s: float = DEFAULT_CYCLE_S  # match seconds between the twin's cycles
    day: date | None = None
    dashboard: bool = True
    port: int = 8765
    kafka_idempotence: bool = True
    kafka_highwater: bool = False
    kafka_retries: int | None = None
    model: str | None = None
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None  # else MATCHDAY_KAFKA_SASL_USERNAME
    kafka_sasl_password_file: Path | None = None  # else MATCHDAY_KAFKA_SASL_PASSWORD
    kafka_ca_file: Path | None = None
    bus_key_file: Path | None = None  # else MATCHDAY_BUS_KEY; signs alerts and Acks


def _secret(file: Path | None, env: str, option: str) -> str | None:
    """A secret from ``file`` (first line) or the environment, never from the command line."""
    if file is None:
        return os.environ.get(env) or None
    try:
        return file.read_text().strip() or None
    except OSError as exc:
        raise ConfigError(
            str(file), option, "a readable file holding the secret", str(exc)
        ) from exc


def kafka_settings(options: LiveOptions) -> KafkaSettings:
    """The broker settings the options ask for (TLS/SASL included)."""
    assert options.kafka is not None
    return KafkaSettings(
        bootstrap=options.kafka,
        enable_idempotence=options.kafka_idempotence,
        use_highwater=options.kafka_highwater,
        producer_retries=options.kafka_retries,
        security_protocol=options.kafka_security_protocol,
        sasl_mechanism=options.kafka_sasl_mechanism,
        sasl_username=options.kafka_sasl_username or os.environ.get(USERNAME_ENV) or None,
        sasl_password=_secret(
            options.kafka_sasl_password_file, PASSWORD_ENV, "--kafka-sasl-password-file"
        ),
        ssl_cafile=str(options.kafka_ca_file) if options.kafka_ca_file else None,
    )


def make_bus(options: LiveOptions) -> Bus:
    """In-process by default; KafkaBus when ``--kafka HOST:PORT`` is given."""
    if options.kafka is None:
        return InProcessBus()
    host, _, port = options.kafka.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("--kafka", "--kafka", "HOST:PORT, e.g. 127.0.0.1:9092", options.kafka)
    return KafkaBus(kafka_settings(options))


def _scenario(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except SimulatorError as error:
        raise StreamsError(str(error)) from error


def _start_s(options: LiveOptions, scenario: Scenario, day: datetime) -> float:
    if options.start is None:
        return default_start(scenario)
    try:
        hh, mm = (int(x) for x in options.start.split(":"))
        moment = day.replace(hour=hh, minute=mm)
    except ValueError as exc:
        raise ConfigError("--start", "--start", "a clock time HH:MM", options.start) from exc
    return clock_seconds(moment, day_start_s=scenario.settings.start_s)


def start_live(options: LiveOptions, console: Console) -> TwinService:
    """Run ``matchday live`` to the end; returns the service (its stats) for the caller."""
    scenario = _scenario(options.scenario)
    day = match_day(options.day)
    frames = options.cameras is None and not options.fast
    cameras: tuple[Camera, ...]
    if options.cameras is not None:
        cameras = load_cameras(options.cameras, scenario)
    else:
        cameras = frame_cameras(scenario) if frames else demo_cameras(scenario)
    model = load_model(options.model) if frames else None
    ruleset = load_ruleset(options.rules) if options.rules else RuleSet()
    if options.fast or frames:  # a replayed match: CAP says so, nobody acts on it for real
        ruleset = replace(ruleset, lifecycle=replace(ruleset.lifecycle, status="Exercise"))
    start_s = _start_s(options, scenario, day)
    bus = make_bus(options)
    console.print(f"[bold]{scenario.name}[/bold]: twin warming up to {_hhmm(day, start_s)} ...")
    twin = DigitalTwin(
        scenario,
        cameras,
        ruleset,
        day=day,
        start_s=start_s,
        settings=TwinSettings(seed=options.seed, members=options.members, cycle_s=options.cycle_s),
    )
    key = bus_key(options.bus_key_file)
    service = TwinService(bus, twin, key=key)
    replay: CountSource | None = None
    if options.fast:
        replay = CountReplay(scenario, cameras, day=day, start_s=start_s, seed=options.seed + 1)
    elif frames:
        replay = FrameReplay(
            scenario, cameras, model, day=day, start_s=start_s, seed=options.seed + 1
        )
    board = _dashboard(bus, twin, options, console, key)
    where = f"Kafka at {options.kafka}" if options.kafka else "the in-process bus"
    if model is not None:
        where += f" (rendered frames through {model.name})"
    console.print(
        f"{len(cameras)} cameras -> {where}; {options.minutes:g} match minutes "
        f"at {options.speed:g}x from {_hhmm(day, start_s)}; alerts have CAP status "
        f"{ruleset.lifecycle.status}"
    )
    try:
        interval = 30.0 if frames else 15.0  # a frame per camera costs tens of ms
        run_live(
            bus,
            service,
            LiveSettings(
                start_s,
                options.minutes,
                options.speed,
                camera_interval_s=interval,
                cycle_s=options.cycle_s,
            ),
            replay=replay,
            on_cycle=lambda r: _print_cycle(console, day, r, service),
            on_bus=lambda h: _print_bus(console, h),
        )
    finally:
        if board is not None:
            board.stop()
        service.close()
        bus.close()
    s = service.stats
    console.print(
        f"done: {s.counts} counts, {s.cycles} forecasts, {s.alerts_sent} alert messages, "
        f"{s.acks} acks, {service.counts.stats.dead_lettered} dead-lettered, "
        f"{s.coalesced} coalesced"
    )
    return service


def _dashboard(
    bus: Bus, twin: DigitalTwin, options: LiveOptions, console: Console, key: BusKey | None
) -> Any:
    if not options.dashboard:
        return None
    from streams.dashboard import serve  # web stack loaded only when the page is wanted

    board = serve(
        bus,
        twin.scenario,
        port=options.port,
        escalation=twin.rules.lifecycle.escalation,
        day=twin.day,
        limits=count_limits(twin.scenario, twin.day),
        key=key,
    )
    console.print(board.banner())
    return board


def _hhmm(day: datetime, clock_s: float) -> str:
    return at_clock(day, clock_s).strftime("%H:%M:%S")


def _print_bus(console: Console, health: BusHealth) -> None:
    if health.up:
        console.print(f"[green]bus back:[/green] {health.detail}")
    else:
        console.print(
            f"[bold red]bus DOWN:[/bold red] {health.detail}; {health.pending} records wait "
            "(camera-stale alerts suppressed while the bus is down)"
        )


def _print_cycle(
    console: Console, day: datetime, report: CycleReport, service: TwinService
) -> None:
    alerts = [m for m in report.messages if isinstance(m, Alert)]
    lag = service.twin.count_lag_s(report.clock_s)
    behind = "" if lag is None else f", newest count {lag:.0f} s old"
    console.print(
        f"[dim]{_hhmm(day, report.clock_s)} forecast +20 min in "
        f"{report.warm_start_s * 1000:.0f} ms, {report.assimilated} zones observed{behind}, "
        f"{service.stats.coalesced} counts coalesced[/dim]"
    )
    for m in alerts:
        style = SEVERITY_STYLE.get(m.severity, "")
        console.print(
            f"  [{style}]{m.msg_type.upper():6} {m.severity:8}[/{style}] [{m.state}] {m.headline}"
        )
