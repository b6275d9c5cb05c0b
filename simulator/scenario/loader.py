"""Load a scenario YAML file into a frozen ``Scenario``, validating all of it before anything runs.

Every problem is collected (file, YAML path, expected, found) and raised together in one
``ScenarioError``, so a planner fixes a file in one round instead of one error per run. The
YAML mirrors ``simulator.scenario.model`` one-to-one; the format is described in README.md.
"""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path
from typing import Any, cast, get_args

from simulator.errors import Problem, ScenarioError
from simulator.scenario.clock import DAY_S, ClockFormatError, parse_clock
from simulator.scenario.dwell_reader import check_dwell, read_halftime
from simulator.scenario.fields import FieldReader, describe, join, plain_number
from simulator.scenario.model import (
    ArrivalProfile,
    Egress,
    FlowCaps,
    Ingress,
    PoissonSource,
    Reference,
    RouteChoice,
    Routing,
    Scenario,
    Settings,
)
from simulator.scenario.routing_reader import read_routing
from simulator.scenario.runnable import check_runnable
from simulator.scenario.venue_checks import check_scenario, clock
from simulator.scenario.venue_reader import declared_ids, read_list, read_venue
from simulator.scenario.yaml_source import parse_yaml

__all__ = ["load_scenario", "load_scenario_text", "validate_file", "validate_text"]

SHARE_TOLERANCE = 1e-6
MAX_PARTY = 20  # fans walking together; a bigger "party" is a coach, not a group of friends
# Sections read by their own package's reader (simulator.transport.reader, levers.reader).
SECTIONS = ("transport", "interventions")
TOP_KEYS = (
    "description",
    "ingress",
    "egress",
    "sources",
    "references",
    "routing",
    "halftime",
    *SECTIONS,
)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ``ScenarioError`` listing every problem."""
    scenario, problems = _load_path(Path(path))
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def load_scenario_text(text: str, *, source: str = "<string>") -> Scenario:
    """Validate scenario YAML held in memory; ``source`` names it in problem messages."""
    scenario, problems = _load_text(text, source)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem in a scenario file; an empty list means it is valid."""
    return _load_path(Path(path))[1]


def validate_text(text: str, *, source: str = "<string>") -> list[Problem]:
    """Every problem in scenario YAML held in memory."""
    return _load_text(text, source)[1]


def _load_path(path: Path) -> tuple[Scenario | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(str(path), "(file)", "an existing scenario file", "no such file")]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(str(path), "(file)", "a readable UTF-8 text file", str(err))]
    if text and not text.endswith("\n"):  # every editor and yaml.dump end a file with one
        found = "no newline at the end: the file may be cut short (if it is complete, add one)"
        return None, [Problem(str(path), "(whole file)", "a complete file", found)]
    return _load_text(text, str(path))


def _load_text(text: str, source: str) -> tuple[Scenario | None, list[Problem]]:
    data, problems = parse_yaml(text, source=source)
    if problems:
        return None, problems
    r = FieldReader(source)
    positions: dict[str, list[int]] = {}
    scenario = _read_scenario(r, data, source, positions)
    if scenario is not None:  # possibly partial: bad items left out, already reported
        venue = data.get("venue") if isinstance(data, dict) else None
        check_scenario(r, scenario, declared=declared_ids(venue), positions=positions)
        check_dwell(r, scenario)
        _check_extensions(r, scenario)
        if not r.problems:
            check_runnable(r, scenario)
    return (None if r.problems else scenario), r.problems


def _read_scenario(
    r: FieldReader, data: object, source: str, positions: dict[str, list[int]]
) -> Scenario | None:
    m = r.mapping(data, "", required=("name", "settings", "venue"), optional=TOP_KEYS)
    if m is None:
        return None
    name = r.string(m, "name", "")
    description = r.string(m, "description", "", default="")
    settings = _settings(r, m["settings"], "settings") if "settings" in m else None
    venue = read_venue(r, m["venue"], positions) if "venue" in m else None
    day_start = settings.start_s if settings else None
    ingress = _ingress(r, m["ingress"], day_start) if m.get("ingress") is not None else None
    egress = _egress(r, m["egress"], day_start) if m.get("egress") is not None else None
    sources = read_list(
        r,
        m,
        "sources",
        "",
        lambda v, p: _source(r, v, p, day_start),
        positions.setdefault("sources", []),
    )
    references = read_list(r, m, "references", "", lambda v, p: _reference(r, v, p))
    if venue is None:
        return None
    routing = read_routing(r, m["routing"], venue) if m.get("routing") is not None else None
    extensions = _read_extensions(r, m, day_start)
    if "halftime" in m:
        extensions["halftime"] = read_halftime(r, m["halftime"], ingress)
    if settings is None:  # already reported; a stand-in lets the venue checks still run
        settings = Settings(start_s=0.0, end_s=2 * DAY_S)
        ingress = egress = None
        extensions = {}
    return Scenario(
        name or "",
        source,
        venue,
        settings,
        ingress,
        egress,
        sources,
        description or "",
        **extensions,
        references=references,
        routing=routing or Routing(),
    )


def _reference(r: FieldReader, value: object, path: str) -> Reference | None:
    """One ``references:`` item: id and title required; date, url and note optional text."""
    m = r.mapping(value, path, required=("id", "title"), optional=("date", "url", "note"))
    if m is None:
        return None
    if isinstance(m.get("date"), datetime.date):  # YAML reads 2025-10-01 as a date
        m["date"] = m["date"].isoformat()
    fields = {k: r.string(m, k, path, default="") for k in ("id", "title", "date", "url", "note")}
    if any(v is None for v in fields.values()):
        return None
    return Reference(**{k: str(v) for k, v in fields.items()})


def _read_extensions(r: FieldReader, m: dict[str, Any], day_start: float | None) -> dict[str, Any]:
    """``transport:`` and ``interventions:``, each read by its own module's reader."""
    out: dict[str, Any] = {}
    if m.get("transport") is not None:
        from simulator.transport.reader import read_transport

        out["transport"] = read_transport(r, m["transport"], day_start)
    if m.get("interventions") is not None:
        from simulator.levers.reader import read_interventions

        out["interventions"] = read_interventions(r, m["interventions"], day_start)
    return {key: value for key, value in out.items() if value is not None}


def _check_extensions(r: FieldReader, scenario: Scenario) -> None:
    """Cross-references of the extension sections against the venue."""
    transport = getattr(scenario, "transport", None)
    if transport is not None:
        from simulator.transport.reader import check_transport

        check_transport(r, transport, scenario.venue)
    levers = getattr(scenario, "interventions", None)
    if levers:
        from simulator.levers.reader import check_interventions

        check_interventions(r, levers, scenario.venue, transport)


def _clock(
    r: FieldReader, m: dict[str, Any], key: str, path: str, day_start: float | None
) -> float | None:
    """A clock time; "HH:MM" before the run's start means the next day."""
    if key not in m:
        return None
    try:
        return parse_clock(m[key], day_start_s=day_start)
    except ClockFormatError as err:
        r.problem(
            join(path, key),
            'a clock time "HH:MM" or "HH:MM:SS", or seconds since midnight',
            str(err),
        )
        return None


def _settings(r: FieldReader, value: object, path: str) -> Settings | None:
    optional = ("pedestrian_model", "model_params", "flow_caps", "sample_interval_s")
    m = r.mapping(value, path, required=("start", "end"), optional=optional)
    if m is None:
        return None
    start = _clock(r, m, "start", path, None)
    end = _clock(r, m, "end", path, start)
    model = r.string(m, "pedestrian_model", path, default="weidmann")
    params = _model_params(r, m.get("model_params", {}), join(path, "model_params"))
    caps = r.choice(m, "flow_caps", path, get_args(FlowCaps), default="experimental")
    interval = r.number(m, "sample_interval_s", path, default=60.0, above=0.0)
    if start is not None and end is not None and not end > start:
        r.problem(join(path, "end"), f"a time after start ({clock(start)})", clock(end))
        return None
    if None in (start, end, model, params, caps, interval):
        return None
    assert start is not None and end is not None and model is not None and interval is not None
    return Settings(
        start, end, model, cast(dict[str, float], params), cast(FlowCaps, caps), interval
    )


def _model_params(r: FieldReader, value: object, path: str) -> dict[str, float] | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        r.problem(path, "a mapping of parameter name to number", describe(value))
        return None
    params = {str(k): r.number(value, k, path) for k in value}
    return None if None in params.values() else cast(dict[str, float], params)


def _profile(r: FieldReader, value: object, path: str) -> ArrivalProfile | None:
    """A cumulative share over minutes: minutes increasing, shares from 0 rising to 1."""
    if not isinstance(value, list) or len(value) < 2:
        r.problem(path, "a list of at least two [minutes, cumulative share] pairs", describe(value))
        return None
    points: list[tuple[float, float]] = []
    for i, point in enumerate(value):
        pair = [plain_number(x) for x in point] if isinstance(point, list) else []
        if len(pair) != 2 or None in pair:
            r.problem(
                join(path, i),
                "a pair of finite numbers [minutes, cumulative share]",
                describe(point),
            )
            return None
        points.append((cast(float, pair[0]), cast(float, pair[1])))
    bad = len(r.problems)
    for i, ((t0, s0), (t1, s1)) in enumerate(itertools.pairwise(points), start=1):
        if not t1 > t0:
            r.problem(join(path, i), f"minutes increasing (after {t0:g})", f"{t1:g}")
        if not s1 >= s0:
            r.problem(join(path, i), f"a cumulative share not falling (after {s0:g})", f"{s1:g}")
    if abs(points[0][1]) > SHARE_TOLERANCE:
        r.problem(join(path, 0), "a profile starting at share 0", f"{points[0][1]:g}")
    if abs(points[-1][1] - 1.0) > SHARE_TOLERANCE:
        r.problem(join(path, len(points) - 1), "a profile ending at share 1", f"{points[-1][1]:g}")
    return None if len(r.problems) > bad else ArrivalProfile(tuple(points))


def _shares(
    r: FieldReader, value: object, path: str, *, what: str
) -> tuple[tuple[str, float], ...] | None:
    """A mapping id -> share, shares in [0, 1] summing to 1."""
    if not isinstance(value, dict):
        r.problem(path, f"a mapping of {what} id to share", describe(value))
        return None
    out = {str(k): r.number(value, k, path, at_least=0.0, at_most=1.0) for k in value}
    if None in out.values():
        return None
    shares = cast(dict[str, float], out)
    if shares and abs(sum(shares.values()) - 1.0) > SHARE_TOLERANCE:
        r.problem(path, "shares summing to 1", f"shares summing to {sum(shares.values()):.6g}")
        return None
    return tuple(shares.items())


def _party_sizes(r: FieldReader, value: object, path: str) -> tuple[float, ...] | None:
    items = [plain_number(x) for x in value] if isinstance(value, list) else []
    good = 0 < len(items) <= MAX_PARTY and all(x is not None and 0 <= x <= 1 for x in items)
    if not good:
        r.problem(
            path,
            f"a list of at most {MAX_PARTY} probabilities P(party of 1), P(party of 2), ...",
            describe(value),
        )
        return None
    probs = cast(list[float], items)
    total = sum(probs)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        r.problem(path, "probabilities summing to 1", f"probabilities summing to {total:.6g}")
        return None
    return tuple(probs)


def _ingress(r: FieldReader, value: object, day_start: float | None) -> Ingress | None:
    path = "ingress"
    required = ("kickoff", "gates_open", "attendance", "profile", "mode_split")
    m = r.mapping(value, path, required=required, optional=("party_sizes", "route_choice"))
    if m is None:
        return None
    kickoff = _clock(r, m, "kickoff", path, day_start)
    gates_open = _clock(r, m, "gates_open", path, day_start)
    attendance = r.number(m, "attendance", path, above=0.0, at_most=1.0)
    profile = _profile(r, m["profile"], join(path, "profile")) if "profile" in m else None
    split = (
        _shares(r, m["mode_split"], join(path, "mode_split"), what="origin")
        if "mode_split" in m
        else None
    )
    parties = (
        _party_sizes(r, m["party_sizes"], join(path, "party_sizes"))
        if "party_sizes" in m
        else (1.0,)
    )
    route = r.choice(m, "route_choice", path, get_args(RouteChoice), default="assigned")
    if kickoff is not None and gates_open is not None and kickoff < gates_open:
        r.problem(
            join(path, "kickoff"),
            f"a kick-off at or after gates_open ({clock(gates_open)})",
            clock(kickoff),
        )
        return None
    if split is not None and not split:
        r.problem(join(path, "mode_split"), "at least one origin with a share", "an empty mapping")
        return None
    if None in (kickoff, gates_open, attendance, profile, split, parties, route):
        return None
    assert kickoff is not None and gates_open is not None and attendance is not None
    assert profile is not None and split is not None and parties is not None
    return Ingress(
        kickoff, gates_open, attendance, profile, split, parties, cast(RouteChoice, route)
    )


def _egress(r: FieldReader, value: object, day_start: float | None) -> Egress | None:
    path = "egress"
    m = r.mapping(
        value, path, required=("final_whistle", "release_profile"), optional=("destinations",)
    )
    if m is None:
        return None
    whistle = _clock(r, m, "final_whistle", path, day_start)
    profile = (
        _profile(r, m["release_profile"], join(path, "release_profile"))
        if "release_profile" in m
        else None
    )
    dest = _shares(
        r, m.get("destinations") or {}, join(path, "destinations"), what="origin or exit"
    )
    if whistle is None or profile is None or dest is None:
        return None
    return Egress(whistle, profile, dest)


def _source(
    r: FieldReader, value: object, path: str, day_start: float | None
) -> PoissonSource | None:
    required = ("id", "origin", "destination", "rate_per_s", "start", "end")
    m = r.mapping(value, path, required=required, optional=("party_size", "drop_when_full"))
    if m is None:
        return None
    id_, origin, dest = (r.string(m, k, path) for k in ("id", "origin", "destination"))
    rate = r.number(m, "rate_per_s", path, above=0.0)
    start = _clock(r, m, "start", path, day_start)
    end = _clock(r, m, "end", path, day_start)
    party = r.number(m, "party_size", path, default=1.0, at_least=1, integer=True)
    drop = r.boolean(m, "drop_when_full", path, default=False)
    if start is not None and end is not None and not end > start:
        r.problem(join(path, "end"), f"a time after start ({clock(start)})", clock(end))
        return None
    if None in (id_, origin, dest, rate, start, end, party, drop):
        return None
    assert id_ is not None and origin is not None and dest is not None and rate is not None
    assert start is not None and end is not None and party is not None and drop is not None
    return PoissonSource(id_, origin, dest, rate, start, end, int(party), drop)
