"""KPIs from summaries, the comparison document, and reading run directories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from simulator.results.summary import RunSummary
from simulator.whatif.compare import (
    HEADLINE,
    SCHEMA,
    Group,
    RunDirError,
    comparison,
    describe_kpi,
    kpi_values,
    read_run_dirs,
)
from simulator.whatif.sweep import SweepResult, write_runs


def groups_of(sweep: SweepResult) -> list[Group]:
    return [Group(v.name, sweep.summaries(v.name), v.description) for v in sweep.plan.variants]


def kpi(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(k for k in doc["kpis"] if k["key"] == key)


def test_kpi_values_of_a_real_summary(tiny_sweep: SweepResult) -> None:
    summary = tiny_sweep.summaries("slow gate")[1]
    values = kpi_values(summary)
    gate = summary.checkpoints["gate_a"]
    assert values["worst_p95_wait_s"] == gate.waits.p95_wait_s
    assert values["checkpoints.gate_a.p95_wait_s"] == gate.waits.p95_wait_s
    assert values["share_seated_at_kickoff"] == summary.share_seated_at_kickoff
    assert values["fans.seated"] == summary.fans.seated
    peaks = [los.peak_density_per_m2 for g in summary.graded().values() for los in g.values()]
    assert values["worst_peak_density_per_m2"] == max(peaks)
    assert "checkpoints.gate_a.peak_los" not in values  # letters are not averaged
    for key in values:
        assert describe_kpi(key).label


def test_minutes_at_los_e_or_f_is_one_definition(tiny_sweep: SweepResult) -> None:
    """compare and the terminal table read the same method; it sums every graded element."""
    summary = tiny_sweep.summaries("slow gate")[1]
    doc = summary.to_dict()
    by_hand = sum(
        e["minutes_at_los_e"] + e["minutes_at_los_f"]
        for group in ("areas", "links", "checkpoints")
        for e in doc[group].values()
    )
    assert kpi_values(summary)["minutes_at_los_e_or_f"] == summary.minutes_at_los_e_or_f()
    assert summary.minutes_at_los_e_or_f() == pytest.approx(by_hand)


def test_undefined_kpis_are_none_not_nan(tiny_sweep: SweepResult) -> None:
    doc = tiny_sweep.summaries("baseline")[1].to_dict()
    doc.update(time_to_clear_s=None, share_seated_at_kickoff=float("nan"))
    values = kpi_values(RunSummary.from_dict(doc))
    assert values["time_to_clear_s"] is None and values["share_seated_at_kickoff"] is None


def test_old_summaries_without_format_version_are_read(tiny_sweep: SweepResult) -> None:
    doc = tiny_sweep.summaries("baseline")[1].to_dict()
    assert doc.pop("format_version") == 3
    old = RunSummary.from_dict(doc)
    assert old.format_version == 1
    assert kpi_values(old) == kpi_values(tiny_sweep.summaries("baseline")[1])


def test_comparison_document(tiny_sweep: SweepResult) -> None:
    doc = comparison(groups_of(tiny_sweep))
    assert doc["schema"] == SCHEMA and doc["baseline"] == "baseline"
    assert doc["scenario"] == "Tiny ground"
    assert [g["name"] for g in doc["groups"]] == ["baseline", "more lanes", "slow gate"]
    transport = ("time_to_leave_area_s", "worst_platform_p95_wait_s")  # tiny has none
    applicable = [k.key for k in HEADLINE if k.key not in transport]
    assert [k["key"] for k in doc["kpis"][: len(applicable)]] == applicable
    assert not any(k["key"] in transport for k in doc["kpis"])
    wait = kpi(doc, "worst_p95_wait_s")
    base = wait["estimates"]["baseline"]
    assert base["n"] == 4 and [v["seed"] for v in base["values"]] == [1, 2, 3, 4]
    slow = wait["differences"]["slow gate"]
    assert slow["method"] == "paired" and slow["verdict"] == "worse" and slow["low"] > 0
    assert "baseline" not in wait["differences"]
    means = {g: wait["estimates"][g]["mean"] for g in ("baseline", "slow gate")}
    assert slow["mean"] == pytest.approx(means["slow gate"] - means["baseline"])
    json.dumps(doc, allow_nan=False)  # JSON-ready: no NaN anywhere


def test_groups_without_shared_seeds_are_compared_unpaired(tiny_sweep: SweepResult) -> None:
    base = Group("a", dict(list(tiny_sweep.summaries("baseline").items())[:2]))
    slow = Group("b", dict(list(tiny_sweep.summaries("slow gate").items())[2:]))
    diff = kpi(comparison([base, slow]), "worst_p95_wait_s")["differences"]["b"]
    assert diff["method"] == "welch" and diff["n"] == 2


def test_comparison_rejects_no_groups_and_duplicate_names(tiny_sweep: SweepResult) -> None:
    with pytest.raises(RunDirError, match="at least one group"):
        comparison([])
    group = groups_of(tiny_sweep)[0]
    with pytest.raises(RunDirError, match="distinct names"):
        comparison([group, group])


def test_read_a_sweep_directory(tiny_sweep: SweepResult, tmp_path: Path) -> None:
    write_runs(tiny_sweep, tmp_path / "sweep")
    groups = read_run_dirs([tmp_path / "sweep"])
    assert [g.name for g in groups] == ["baseline", "more lanes", "slow gate"]
    assert groups[2].summaries == tiny_sweep.summaries("slow gate")
    assert groups[1].description == "gate_a with 8 lanes instead of 4"
    from_dirs = comparison(groups)
    direct = comparison(groups_of(tiny_sweep))
    assert from_dirs["kpis"] == direct["kpis"]


def test_read_simulate_style_run_directories(tiny_sweep: SweepResult, tmp_path: Path) -> None:
    """``matchday simulate`` writes RUN_DIR/summary.json (with extra keys); one group each."""
    for name, variant in (("base", "baseline"), ("slow", "slow gate")):
        for seed, summary in tiny_sweep.summaries(variant).items():
            folder = tmp_path / name / f"seed_{seed}"
            folder.mkdir(parents=True)
            extra = {"generated_by": "matchday test", "units": {"time": "s"}}
            (folder / "summary.json").write_text(json.dumps({**summary.to_dict(), **extra}))
    single = tmp_path / "one"
    single.mkdir()
    shutil.copy(tmp_path / "slow" / "seed_1" / "summary.json", single / "summary.json")
    groups = read_run_dirs([tmp_path / "base", tmp_path / "slow", single])
    assert [(g.name, sorted(g.summaries)) for g in groups] == [
        ("base", [1, 2, 3, 4]),
        ("slow", [1, 2, 3, 4]),
        ("one", [1]),
    ]
    doc = comparison(groups)
    assert kpi(doc, "worst_p95_wait_s")["differences"]["slow"]["verdict"] == "worse"
    assert kpi(doc, "worst_p95_wait_s")["estimates"]["one"]["low"] is None  # one seed


@pytest.mark.parametrize(
    ("content", "path", "expected"),
    [
        ("{not json", "(whole file)", "a JSON run summary"),
        ("[1, 2]", "(top level)", "a JSON object"),
        ('{"scenario": "x"}', "seed", "integer seed"),
        ('{"seed": true}', "seed", "integer seed"),
    ],
)
def test_bad_summary_files_are_named(
    tmp_path: Path, content: str, path: str, expected: str
) -> None:
    (tmp_path / "summary.json").write_text(content)
    with pytest.raises(RunDirError) as err:
        read_run_dirs([tmp_path])
    [problem] = err.value.problems
    assert problem.file == str(tmp_path / "summary.json") and problem.path == path
    assert expected in problem.expected


def test_missing_and_empty_run_directories_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError) as err:
        read_run_dirs([tmp_path / "gone", tmp_path / "empty"])
    assert [(p.file, p.found) for p in err.value.problems] == [
        (str(tmp_path / "gone"), "nothing there"),
        (str(tmp_path / "empty"), "no summary.json in it"),
    ]


def test_duplicate_seed_in_one_group_is_an_error(tiny_sweep: SweepResult, tmp_path: Path) -> None:
    doc = tiny_sweep.summaries("baseline")[1].to_dict()

    def write(path: Path, seed: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**doc, "seed": seed}))

    write(tmp_path / "seed_1" / "summary.json", 1)
    write(tmp_path / "summary.json", 1)
    write(tmp_path / "x" / "seed_2" / "summary.json", 7)
    write(tmp_path / "x" / "seed_3" / "summary.json", 7)
    with pytest.raises(RunDirError) as err:
        read_run_dirs([tmp_path])
    problems = err.value.problems
    assert len(problems) == 2 and all("twice" in p.found for p in problems)


def test_a_summary_missing_its_sections_is_named(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"seed": 1}')
    with pytest.raises(RunDirError) as err:
        read_run_dirs([tmp_path])
    [problem] = err.value.problems
    assert problem.path == "(summary)" and "fans" in problem.found


def test_transport_kpis_reach_the_comparison(tiny_sweep: SweepResult) -> None:
    """Platform waits and the leave-the-area time are what a bigger shuttle fleet changes."""
    base = tiny_sweep.summaries("baseline")[1]
    doc = base.to_dict()
    waits = {"mean_wait_s": 500.0, "p50_wait_s": 400.0, "max_wait_s": 1300.0}
    doc.update(
        time_to_clear_s=3000.0,
        time_to_leave_area_s=6100.0,
        lines={},
        roads={},
        platforms={
            "rail_p": {
                "lines": [], "hold": None, "peak_queue": 10, "boarded": 10,
                **waits, "p95_wait_s": 900.0,
                "peak_density_per_m2": 9.5, "peak_los": "F",
                "minutes_at_los_e": 1.0, "minutes_at_los_f": 2.0,
            }
        },
        car_parks={
            "park_a": {
                "spaces": 10, "cars_in": 5, "peak_parked": 5, "overflow": 0, "cars_out": 5,
                "peak_queue": 2, **waits, "p95_wait_s": 1200.0,
            }
        },
    )  # fmt: skip
    values = kpi_values(RunSummary.from_dict(doc))
    assert values["time_to_leave_area_s"] == 6100.0
    assert values["worst_platform_p95_wait_s"] == 1200.0
    assert values["platforms.rail_p.p95_wait_s"] == 900.0
    assert values["worst_peak_density_per_m2"] == 9.5
    assert values["minutes_at_los_e_or_f"] == pytest.approx(base.minutes_at_los_e_or_f() + 3.0)
    assert describe_kpi("time_to_leave_area_s").better == "lower"
    assert "time_to_leave_area_s" not in kpi_values(base)  # no transport: does not apply
