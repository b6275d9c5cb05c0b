"""``matchday live`` and ``matchday cap-export``: the live path on the terminal, the ops-room
dashboard, and its alerts as OASIS CAP 1.2 XML."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streams.errors import StreamsError
from streams.twin import DEFAULT_CYCLE_S, DEFAULT_MEMBERS

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    """Add the live path's commands to the ``matchday`` app."""
    app.command("live")(live)
    app.command("cap-export")(cap_export)
    app.command("twin-eval")(twin_eval)


def cap_export(
    source: Annotated[
        str,
        typer.Argument(
            help="a scenario (YAML path or bundled name) to replay, or a .jsonl file of "
            "ops.alert.v1 records to convert"
        ),
    ],
    out: Annotated[Path, typer.Option(help="folder for the CAP XML files")] = Path("cap"),
    minutes: Annotated[float, typer.Option(help="match minutes to replay")] = 20.0,
    start: Annotated[
        str | None, typer.Option(help="match clock to start at, HH:MM (default as live)")
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the twin (the truth uses seed+1)")] = 0,
    match_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD of the match (default today)")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="rules YAML; default: built-in rule set")
    ] = None,
) -> None:
    """Write alerts as OASIS CAP 1.2 XML files, each validated against the OASIS schema."""
    from simulator.cli import resolve_scenario
    from streams.app import LiveOptions, _scenario, _start_s
    from streams.cap_export import export, recorded_alerts, replay_alerts
    from streams.live import match_day
    from streams.ruleset import RuleSet, load_ruleset

    try:
        if source.endswith(".jsonl"):
            report = export(list(recorded_alerts(Path(source))), out)  # all read, then written
        else:
            path = resolve_scenario(source)
            scenario = _scenario(path)
            day = match_day(date.fromisoformat(match_date) if match_date else None)
            start_s = _start_s(LiveOptions(path, start=start), scenario, day)
            ruleset = load_ruleset(rules) if rules else RuleSet()
            messages = replay_alerts(
                scenario, day=day, start_s=start_s, minutes=minutes, seed=seed, rules=ruleset
            )
            report = export(messages, out)
    except StreamsError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.by_type.items())) or "none"
    console.print(
        f"{len(report.files)} CAP 1.2 messages ({counts}) written to {out}, "
        "each valid against the OASIS CAP 1.2 schema"
    )


def twin_eval(
    members: Annotated[int, typer.Option(min=1, help="ensemble members")] = DEFAULT_MEMBERS,
    cycle: Annotated[
        float, typer.Option(min=1.0, help="twin cycle, match seconds (default: the twin's own)")
    ] = DEFAULT_CYCLE_S,
    noise: Annotated[float, typer.Option(help="relative noise of each camera count")] = 0.15,
    minutes: Annotated[
        float | None,
        typer.Option(min=1.0, help="cut each case's window to this many minutes"),
    ] = None,
    case: Annotated[
        list[int] | None, typer.Option(help="run only these cases (0, 1, 2); repeatable")
    ] = None,
    workers: Annotated[int, typer.Option(help="processes for the members (0: in-process)")] = 0,
    seed: Annotated[int, typer.Option(help="seed of the twin (the truth uses 101)")] = 0,
    out: Annotated[Path | None, typer.Option(help="also write the Markdown table here")] = None,
) -> None:
    """Score the twin on Stade Mohammed V with trouble it is not told about."""
    import dataclasses

    from simulator.cli import resolve_scenario
    from simulator.scenario.loader import load_scenario
    from streams.evaluation import run_case, stade_cases, table
    from streams.live import match_day
    from streams.twin import TwinSettings

    plan = load_scenario(resolve_scenario("stade_mohammed_v"))
    cases = stade_cases(plan)
    unknown = sorted(set(case or ()) - set(range(len(cases))))
    if unknown:
        raise typer.BadParameter(
            f"no case {unknown}: choose from 0-{len(cases) - 1}", param_hint="--case"
        )
    chosen = [cases[i] for i in case] if case else list(cases)
    if minutes is not None:
        chosen = [dataclasses.replace(c, end_s=c.start_s + minutes * 60) for c in chosen]
    settings = TwinSettings(cycle_s=cycle, members=members, workers=workers, seed=seed)
    results = []
    for c in chosen:
        console.print(f"running: {c.name}")
        result = run_case(plan, c, day=match_day(date(2030, 6, 14)), settings=settings, noise=noise)
        for text in result.estimates:
            console.print(f"  learnt: {text}")
        results.append(result)
    text = table(results)
    console.print(text, markup=False)
    if out is not None:
        out.write_text(text + "\n")


def live(
    scenario: Annotated[
        str, typer.Argument(help="scenario the twin simulates: a YAML path or a bundled name")
    ],
    kafka: Annotated[
        str | None, typer.Option(help="HOST:PORT of a Kafka broker; default in-process")
    ] = None,
    cameras: Annotated[Path | None, typer.Option(help="cameras.yaml: camera -> zone")] = None,
    rules: Annotated[
        Path | None, typer.Option(help="rules YAML; default: built-in rule set")
    ] = None,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast", help="demo counts sampled from the simulation (default: rendered frames)"
        ),
    ] = False,
    start: Annotated[str | None, typer.Option(help="match clock to start at, HH:MM")] = None,
    minutes: Annotated[float, typer.Option(help="match minutes to run")] = 30.0,
    speed: Annotated[float, typer.Option(help="match seconds per wall second")] = 20.0,
    seed: Annotated[int, typer.Option(help="seed of the twin (the demo's truth uses seed+1)")] = 0,
    members: Annotated[
        int, typer.Option(min=1, help="twin ensemble members (1: no learning; see twin-eval)")
    ] = DEFAULT_MEMBERS,
    cycle: Annotated[
        float, typer.Option(min=1.0, help="match seconds between the twin's cycles")
    ] = DEFAULT_CYCLE_S,
    match_date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD of the match (default today)")
    ] = None,
    dashboard: Annotated[bool, typer.Option(help="serve the ops-room dashboard")] = True,
    port: Annotated[int, typer.Option(help="dashboard port on 127.0.0.1")] = 8765,
    kafka_idempotence: Annotated[
        bool, typer.Option(help="idempotent producer (off for Tansu)")
    ] = True,
    kafka_highwater: Annotated[
        bool, typer.Option(help="lag from fetch highwater, not end_offsets")
    ] = False,
    model: Annotated[
        str | None, typer.Option(help="counting model for the rendered-frames demo (vision name)")
    ] = None,
    kafka_retries: Annotated[
        int | None, typer.Option(help="producer retries (0: matchday's own)")
    ] = None,
    kafka_security_protocol: Annotated[
        str, typer.Option(help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    ] = "PLAINTEXT",
    kafka_sasl_mechanism: Annotated[
        str | None, typer.Option(help="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    ] = None,
    kafka_sasl_username: Annotated[
        str | None, typer.Option(help="SASL user (else MATCHDAY_KAFKA_SASL_USERNAME)")
    ] = None,
    kafka_sasl_password_file: Annotated[
        Path | None,
        typer.Option(help="file with the SASL password (else MATCHDAY_KAFKA_SASL_PASSWORD)"),
    ] = None,
    kafka_ca_file: Annotated[
        Path | None, typer.Option(help="CA bundle for TLS to the brokers")
    ] = None,
    bus_key_file: Annotated[
        Path | None, typer.Option(help="bus key signing alerts and Acks (else MATCHDAY_BUS_KEY)")
    ] = None,
) -> None:
    """Watch counts flow into the digital twin and see its alerts (Ctrl-C to stop)."""
    from simulator.cli import resolve_scenario
    from streams.app import LiveOptions, start_live

    options = LiveOptions(
        scenario=resolve_scenario(scenario),
        kafka=kafka,
        cameras=cameras,
        rules=rules,
        fast=fast,
        start=start,
        minutes=minutes,
        speed=speed,
        seed=seed,
        members=members,
        cycle_s=cycle,
        day=date.fromisoformat(match_date) if match_date else None,
        dashboard=dashboard,
        port=port,
        kafka_idempotence=kafka_idempotence,
        kafka_highwater=kafka_highwater,
        kafka_retries=kafka_retries,
        model=model,
        kafka_security_protocol=kafka_security_protocol,
        kafka_sasl_mechanism=kafka_sasl_mechanism,
        kafka_sasl_username=kafka_sasl_username,
        kafka_sasl_password_file=kafka_sasl_password_file,
        kafka_ca_file=kafka_ca_file,
        bus_key_file=bus_key_file,
    )
    try:
        start_live(options, console)
    except StreamsError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    except KeyboardInterrupt:
        console.print("stopped")
