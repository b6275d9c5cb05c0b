"""Zone counting, ground density, gate-line crossings and the zones-file checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision import DensityMap, Detections, Homography, ZoneCounter, ZoneError, load_layout
from vision.geometry import points_in_polygon, polygon_area
from vision.zones import parse_layout

SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]


def _boxes(feet: list[tuple[float, float]]) -> Detections:
    xyxy = np.array([[x - 5, y - 30, x + 5, y] for x, y in feet], dtype=np.float64).reshape(-1, 4)
    return Detections(xyxy, np.full(len(xyxy), 0.8), np.zeros(len(xyxy), np.int64))


def test_homography_maps_pairs_exactly_and_areas_follow() -> None:
    img = np.array([[100, 100], [300, 100], [350, 300], [50, 300]], float)
    gnd = np.array([[0, 10], [10, 10], [10, 0], [0, 0]], float)
    h = Homography.fit(img, gnd)
    np.testing.assert_allclose(h.to_ground(img), gnd, atol=1e-9)
    np.testing.assert_allclose(h.to_image(gnd), img, atol=1e-7)
    assert polygon_area(h.to_ground(img)) == pytest.approx(100.0)


def test_point_in_polygon_concave() -> None:
    poly = np.array([[0, 0], [10, 0], [10, 10], [5, 5], [0, 10]], float)
    pts = np.array([[2, 2], [5, 8], [8, 6], [11, 1]], float)
    assert points_in_polygon(pts, poly).tolist() == [True, False, True, False]


def test_counts_use_the_feet_and_density_uses_ground_area() -> None:
    layout = parse_layout(
        {
            "camera": "c1",
            "homography": {"image": SQUARE, "ground": [[0, 0], [20, 0], [20, 10], [0, 10]]},
            "zones": [
                {"id": "a", "polygon": [[0, 0], [50, 0], [50, 100], [0, 100]]},
                {"id": "b", "polygon": [[50, 0], [100, 0], [100, 100], [50, 100]], "area_m2": 25},
            ],
        },
        "z.yaml",
    )
    # Box tops in zone a, feet in zone b for the third person: the feet decide.
    counts = ZoneCounter(layout).update(
        _boxes([(10, 50), (20, 90), (60, 99)]), time_s=5.0, frame=3, model="m"
    )
    by = {c.zone: c for c in counts}
    assert (by["a"].count, by["b"].count) == (2.0, 1.0)
    assert by["a"].density_per_m2 == pytest.approx(2 / 100.0)  # 10 m x 10 m from the homography
    assert by["b"].density_per_m2 == pytest.approx(1 / 25.0)  # explicit area wins
    assert (
        by["a"].camera == "c1"
        and by["a"].time_s == 5.0
        and by["a"].frame == 3
        and by["a"].confidence == 0.8
    )


def test_density_map_is_summed_inside_each_zone() -> None:
    layout = parse_layout(
        {"zones": [{"id": "left", "polygon": [[0, 0], [50, 0], [50, 100], [0, 100]]}]}, "z.yaml"
    )
    dmap = np.zeros((100, 100))
    dmap[10, 10] = 2.5
    dmap[10, 90] = 4.0
    (c,) = ZoneCounter(layout).update(DensityMap(dmap), time_s=0.0)
    assert c.count == pytest.approx(2.5) and c.density_per_m2 is None


def test_gate_line_counts_in_and_out_once_per_crossing() -> None:
    layout = parse_layout(
        {
            "zones": [{"id": "hall", "polygon": [[50, 0], [100, 0], [100, 100], [50, 100]]}],
            "lines": [
                {"id": "door", "zone": "hall", "points": [[50, 0], [50, 100]]}
            ],  # in = towards the hall
        },
        "z.yaml",
    )
    counter = ZoneCounter(layout, max_step=30)
    # Person A walks right across the line, person B walks left across it, C stays put.
    path_a = [(30, 50), (45, 50), (55, 50), (65, 50)]
    path_b = [(70, 20), (58, 20), (44, 20), (40, 20)]
    totals = [0, 0]
    for a, b in zip(path_a, path_b, strict=True):
        (c,) = counter.update(_boxes([a, b, (10, 90)]), time_s=0.0)
        totals[0] += c.crossings_in
        totals[1] += c.crossings_out
    assert totals == [1, 1]


def test_zone_count_to_dict_is_json_ready() -> None:
    import json

    layout = parse_layout({"zones": [{"id": "z", "polygon": SQUARE}]}, "z.yaml")
    (c,) = ZoneCounter(layout).update(_boxes([(5, 5)]), time_s=1.5, model="m")
    assert json.loads(json.dumps(c.to_dict()))["count"] == 1.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"zones": []}, "zones: expected a non-empty list"),
        (
            {"zones": [{"id": "a", "polygon": [[0, 0], [1, 1]]}]},
            r"zones\[0\].polygon: expected a list of >= 3",
        ),
        (
            {"zones": [{"id": "a", "polygon": SQUARE, "area_m2": -1}]},
            r"zones\[0\].area_m2: expected a positive",
        ),
        (
            {"zones": [{"id": "a", "polygon": SQUARE}, {"id": "a", "polygon": SQUARE}]},
            "expected unique ids",
        ),
        (
            {
                "zones": [{"id": "a", "polygon": SQUARE}],
                "homography": {"image": SQUARE, "ground": SQUARE[:3]},
            },
            "homography.ground: expected a list of >= 4",
        ),
        (
            {
                "zones": [{"id": "a", "polygon": SQUARE}],
                "homography": {"image": [[0, 0], [1, 1], [2, 2], [3, 3]], "ground": SQUARE},
            },
            "degenerate",
        ),
        (
            {
                "zones": [{"id": "a", "polygon": SQUARE}],
                "lines": [{"id": "l", "zone": "b", "points": SQUARE[:2]}],
            },
            r"lines\[0\].zone: expected one of \['a'\]",
        ),
        (
            {
                "zones": [{"id": "a", "polygon": SQUARE}],
                "lines": [{"id": "l", "zone": "a", "points": [[1, 1], [1, 1]]}],
            },
            "two distinct",
        ),
        ({"zones": [{"id": "a", "polygon": SQUARE}], "cameras": 1}, "cameras: expected one of"),
    ],
)
def test_bad_zones_name_file_and_field(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ZoneError, match=message):
        parse_layout(data, "zones.yaml")


def test_missing_zones_file(tmp_path: Path) -> None:
    with pytest.raises(ZoneError, match="zones file not found"):
        load_layout(tmp_path / "nope.yaml")
