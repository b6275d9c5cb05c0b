"""The alert book: open, hysteresis, updates, cancel, escalation, acknowledgement."""

from __future__ import annotations

from live_helpers import DAY

from streams.alerts import AlertBook, Lifecycle
from streams.messages import Ack, validate
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
            out.append(validate(m.to_dict()))
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
    ack = Ack.of(msgs[0]["incident"], sender="amina", status="Actual")
    acked = book.acknowledge(ack, 400)
    assert [(m.msg_type, m.state) for m in acked] == [("Update", "acked")]
    assert book.acknowledge(ack, 401) == []  # a duplicate Ack changes nothing


def test_acked_alert_does_not_escalate() -> None:
    book = AlertBook(LC, DAY)
    first = run(book, [(0, [finding(1.5)])])
    book.acknowledge(Ack.of(first[0]["incident"], sender="amina", status="Actual"), 10)
    later = run(book, [(t, [finding(1.5)]) for t in range(30, 600, 30)])
    assert later == []


def test_ack_for_unknown_incident_is_ignored() -> None:
    book = AlertBook(LC, DAY)
    assert book.acknowledge(Ack.of("nope", sender="amina", status="Actual"), 0) == []


def test_twin_and_dashboard_escalate_by_one_policy_on_the_match_clock() -> None:
    """The dashboard folds the twin's thread and escalates at the same match second."""
    from streams.alerts import EscalationPolicy
    from streams.dashboard import alerts as board

    assert LC.escalation == EscalationPolicy(after_s=180)
    book = AlertBook(LC, DAY)
    (opened,) = book.update([finding(1.5)], 1000)
    row = board.new_incident(opened, received=0.0, clock_s=1000)
    board.fold_content(row, opened, received=0.0)
    for now in (1000, 1179):
        assert not board.due_for_escalation(row, LC.escalation, now)
        assert book.update([finding(1.5)], now) == []
    (escalated,) = book.update([finding(1.5)], 1180)
    assert escalated.state == "escalated"
    assert board.due_for_escalation(row, LC.escalation, 1180)  # same second, same rule


def test_one_severity_order_for_rules_book_and_queue() -> None:
    from streams.dashboard.alerts import SEVERITY_RANK
    from streams.messages import SEVERITIES
    from streams.rules import SEVERITIES as RULE_SEVERITIES

    assert RULE_SEVERITIES is SEVERITIES
    assert sorted(SEVERITIES, key=SEVERITY_RANK.__getitem__) == list(reversed(SEVERITIES))


def test_a_forecast_alert_expires_after_its_onset() -> None:
    from dataclasses import replace

    ahead = replace(finding(1.5), onset_s=1200.0)  # predicted 20 min after it is sent
    (alert,) = AlertBook(LC, DAY).update([ahead], 0)
    assert alert.onset < alert.expires
    assert (alert.expires - alert.onset).total_seconds() == LC.expires_s
