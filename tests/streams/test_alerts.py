"""The alert book: open, hysteresis, updates, cancel, escalation, acknowledgement."""

from __future__ import annotations

from live_helpers import DAY

from streams.alerts import AlertBook, Lifecycle
from streams.messages import validate
from streams.rules import Finding

LC = Lifecycle(band=0.85, clear_after_s=60, escalate_after_s=180)


def finding(value: float, severity: str = "Severe", raised: bool | None = None) -> Finding:
    return Finding(
        "density_now",
        "plaza",
        value >= 1.1 if raised is None else raised,
        value,
        1.1,
        severity,
        f"Plaza at {value}",
        "Hold inflow.",
    )


def run(book: AlertBook, steps: list[tuple[float, list[Finding]]]) -> list[dict]:
    out = []
    for t, findings in steps:
        for m in book.update(findings, t):
            out.append(validate(m))
    return out


def test_alert_then_cancel_after_clear_period() -> None:
    book = AlertBook(LC, DAY)
    msgs = run(book, [(0, [finding(1.3)]), (30, []), (60, []), (90, [])])
    assert [(m["msgType"], m["state"]) for m in msgs] == [("Alert", "new"), ("Cancel", "closed")]
    assert msgs[1]["references"] == [msgs[0]["identifier"]]
    assert msgs[1]["incident"] == msgs[0]["identifier"] and msgs[1]["sent"].startswith(
        "2030-07-21T00:01"
    )


def test_values_in_the_band_keep_the_alert_open_without_flapping() -> None:
    book = AlertBook(LC, DAY)
    steps = [(t, [finding(1.15 if i % 2 == 0 else 1.0)]) for i, t in enumerate(range(0, 600, 30))]
    msgs = run(book, steps)
    assert [m["msgType"] for m in msgs] == ["Alert", "Update"]  # the Update is the escalation
    assert msgs[1]["state"] == "escalated"


def test_near_finding_alone_does_not_open() -> None:
    book = AlertBook(LC, DAY)
    assert run(book, [(0, [finding(1.0)]), (30, [finding(1.0)])]) == []


def test_severity_up_at_once_down_only_after_it_held() -> None:
    book = AlertBook(LC, DAY)
    msgs = run(
        book,
        [
            (0, [finding(1.2, "Moderate")]),
            (30, [finding(2.2, "Extreme")]),
            (60, [finding(1.2, "Moderate")]),
            (89, [finding(1.2, "Moderate")]),
            (120, [finding(1.2, "Moderate")]),
        ],
    )
    assert [(m["msgType"], m["severity"]) for m in msgs] == [
        ("Alert", "Moderate"),
        ("Update", "Extreme"),
        ("Update", "Moderate"),
    ]


def test_unacknowledged_severe_alert_escalates_once_and_ack_stops_it() -> None:
    book = AlertBook(LC, DAY)
    msgs = run(book, [(t, [finding(1.5)]) for t in range(0, 400, 30)])
    assert [m["state"] for m in msgs] == ["new", "escalated"]
    assert msgs[1]["urgency"] == "Immediate"
    ack = {"msgType": "Ack", "references": [msgs[0]["incident"]]}
    acked = book.acknowledge(ack, 400)
    assert [(m["msgType"], m["state"]) for m in acked] == [("Update", "acked")]
    assert book.acknowledge(ack, 401) == []  # a duplicate Ack changes nothing


def test_acked_alert_does_not_escalate() -> None:
    book = AlertBook(LC, DAY)
    first = run(book, [(0, [finding(1.5)])])
    book.acknowledge({"msgType": "Ack", "references": [first[0]["incident"]]}, 10)
    later = run(book, [(t, [finding(1.5)]) for t in range(30, 600, 30)])
    assert later == []


def test_ack_for_unknown_incident_is_ignored() -> None:
    book = AlertBook(LC, DAY)
    assert book.acknowledge({"msgType": "Ack", "references": ["nope"]}, 0) == []
