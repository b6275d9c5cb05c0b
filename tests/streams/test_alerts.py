"""The alert book: open, hysteresis, updates, cancel, escalation, acknowledgement."""

from __future__ import annotations

from live_helpers import DAY

from streams.alerts import AlertBook, Lifecycle
from streams.messages import Ack, Alert, Reference, from_dict, validate
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


def reference(message: dict) -> Reference:
    alert = from_dict(message)
    assert isinstance(alert, Alert)
    return alert.reference


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
    # CAP references: sender,identifier,sent of the message it follows
    assert msgs[1]["references"] == [f"matchday-twin,{msgs[0]['identifier']},{msgs[0]['sent']}"]
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
    ack = Ack.of(msgs[0]["incident"], reference(msgs[-1]), sender="amina", status="Actual")
    acked = book.acknowledge(ack, 400)
    assert [(m.msg_type, m.state) for m in acked] == [("Update", "acked")]
    assert book.acknowledge(ack, 401) == []  # a duplicate Ack changes nothing


def test_acked_alert_does_not_escalate() -> None:
    book = AlertBook(LC, DAY)
    first = run(book, [(0, [finding(1.5)])])
    book.acknowledge(
        Ack.of(first[0]["incident"], reference(first[0]), sender="amina", status="Actual"), 10
    )
    later = run(book, [(t, [finding(1.5)]) for t in range(30, 600, 30)])
    assert later == []


def test_ack_for_unknown_incident_is_ignored() -> None:
    book = AlertBook(LC, DAY)
    unknown = Reference("matchday-twin", "nope", DAY)
    assert book.acknowledge(Ack.of("nope", unknown, sender="amina", status="Actual"), 0) == []


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


# --- the lifecycle over a realistic sequence of findings from the real rules -----------------

RULESET_DENSITY = (("density_now", {"level": "E"}), ("density_forecast", {"level": "E"}))


def pulse(t: float, start: float, *, peak: float, rise_s: float, hold_s: float) -> float:
    """An egress build-up: base density, linear rise, plateau, slower fall."""
    base = 0.2
    if t < start:
        return base
    if t < start + rise_s:
        return base + (peak - base) * (t - start) / rise_s
    if t < start + rise_s + hold_s:
        return peak
    fall = (t - start - rise_s - hold_s) / (1.5 * rise_s)
    return max(base, peak - (peak - base) * fall)


def egress_states(seed: int, *, observed: set[str]):  # type: ignore[no-untyped-def]
    """TwinStates every 60 s over 75 minutes: three zones peaking at different times, counts
    with 8% noise, forecasts of the future with their own noise and a bias growing with lead."""
    import numpy as np

    from simulator.venue.los import density_at_level
    from streams.rules import TwinState, ZoneState

    rng = np.random.default_rng(seed)
    zones = {  # zone: (scale, floor, peak as a multiple of LoS E, start of the build-up)
        "stairs_n": ("stairs", 120.0, 1.5, 600.0),
        "conc_e": ("walkway", 2000.0, 1.2, 900.0),
        "app_t1": ("walkway", 3600.0, 1.05, 1500.0),
    }
    start = 22 * 3600 + 50 * 60  # the final whistle
    for k in range(75):
        clock = start + 60 * k
        states = []
        for zone, (scale, floor, peak, t0) in zones.items():
            e = density_at_level("E", scale)  # type: ignore[arg-type]
            truth = pulse(clock - start, t0, peak=peak * e, rise_s=480, hold_s=420)
            now = truth * float(rng.normal(1.0, 0.08))
            ahead = tuple(
                (
                    clock + lead,
                    pulse(clock + lead - start, t0, peak=peak * e, rise_s=480, hold_s=420)
                    * float(rng.normal(1.0 + 0.1 * lead / 1200, 0.08)),
                )
                for lead in range(60, 1201, 60)
            )
            states.append(
                ZoneState(
                    zone,
                    "link",
                    zone,
                    scale,  # type: ignore[arg-type]
                    floor,
                    round(now * floor),
                    now,
                    ahead,
                    observed=zone in observed,
                    place="stairs",
                )
            )
        yield TwinState(clock, 1200.0, tuple(states), phase="egress")


def replay_lifecycle(seed: int, lifecycle: Lifecycle, observed: set[str]):  # type: ignore[no-untyped-def]
    """Every message of the book over the egress sequence, with the open incidents per step."""
    from streams.ruleset import RuleSet

    rules = RuleSet(RULESET_DENSITY, lifecycle)
    book = AlertBook(lifecycle, DAY)
    messages, checks = [], []
    for state in egress_states(seed, observed=observed):
        for m in book.update(rules.evaluate(state), state.clock_s):
            messages.append(from_dict(validate(m.to_dict())))
        checks.append((state.clock_s, [(inc, inc.expires_s) for inc in book.open.values()]))
    return messages, checks


def test_a_realistic_egress_gives_one_thread_per_zone_without_flapping() -> None:
    """Forecast alerts that come true escalate by Update: no Cancel+Alert pairs on a zone, no
    alert that expires before its onset or while its incident is open, few messages."""
    lifecycle = Lifecycle(band=0.85, clear_after_s=60, escalate_after_s=180)
    for seed in range(5):
        messages, checks = replay_lifecycle(seed, lifecycle, observed={"stairs_n"})
        by_zone: dict[str, list[Alert]] = {}
        for m in messages:
            by_zone.setdefault(m.zone, []).append(m)
        assert set(by_zone) == {"stairs_n", "conc_e", "app_t1"}, seed
        for zone, thread in by_zone.items():
            kinds = [m.msg_type for m in thread]
            assert kinds.count("Alert") == 1 and kinds[0] == "Alert", (seed, zone, kinds)
            assert kinds.count("Cancel") == 1 and kinds[-1] == "Cancel", (seed, zone, kinds)
            assert len({m.incident for m in thread}) == 1
            assert len(thread) <= 8, (seed, zone, kinds)  # bounded: ~1 message per 9 min
            # the forecast came true: the first Alert is a forecast, an Update says "now"
            assert thread[0].rule == "density_forecast" and thread[0].urgency == "Expected"
            came_true = [m for m in thread if m.msg_type == "Update" and m.rule == "density_now"]
            assert came_true and came_true[0].urgency == "Immediate", (seed, zone, kinds)
            assert all(m.expires > m.onset for m in thread), (seed, zone)
            assert all(m.references[0].identifier == m.incident for m in thread[1:])
        # at every step, the newest message of every open incident is still in force
        for clock, open_incidents in checks:
            for inc, expires_s in open_incidents:
                assert expires_s > max(clock, inc.finding.onset_s or clock), (seed, clock)


def test_certainty_follows_the_camera() -> None:
    """Observed only on the zone a camera sees; the model's zones say Possible (no ensemble)."""
    messages, _ = replay_lifecycle(1, Lifecycle(), observed={"stairs_n"})
    now = [m for m in messages if m.rule == "density_now"]
    assert {m.certainty for m in now if m.zone == "stairs_n"} == {"Observed"}
    assert {m.certainty for m in now if m.zone != "stairs_n"} == {"Possible"}
    assert {m.certainty for m in messages if m.rule == "density_forecast"} == {"Possible"}
    assert all("estimated" in m.headline for m in now if m.zone != "stairs_n")


def test_a_long_incident_is_reissued_before_it_expires() -> None:
    """40 minutes at LoS E: Updates keep the alert in force, one per expiry period, not more."""
    lc = Lifecycle(clear_after_s=60, escalate_after_s=180, expires_s=600, refresh_before_s=120)
    book = AlertBook(lc, DAY)
    msgs = []
    for t in range(0, 2400, 60):
        msgs += book.update([finding(1.3)], t)
        (inc,) = book.open.values()
        assert inc.expires_s > t + lc.refresh_before_s  # in force for a while yet, always
    kinds = [(m.msg_type, m.state) for m in msgs]
    reissued = [k for k in kinds if k == ("Update", "escalated")]
    assert kinds[0] == ("Alert", "new") and len(reissued) >= 4  # escalated, then re-issued
    assert len(msgs) <= 1 + 2400 // (lc.expires_s - lc.refresh_before_s) + 1


def test_a_forecast_onset_beyond_the_expiry_is_reissued() -> None:
    """A forecast whose predicted onset slips later than its alert's expiry gets an Update."""
    from dataclasses import replace

    lc = Lifecycle(expires_s=300, refresh_before_s=60, escalate_after_s=10_000)
    book = AlertBook(lc, DAY)
    ahead = replace(finding(1.5, "Moderate"), urgency="Expected", onset_s=600.0)
    (alert,) = book.update([ahead], 0)
    assert (alert.expires - alert.onset).total_seconds() == 300
    later = replace(ahead, onset_s=900.0)  # same severity, the crossing moved 5 min later
    (update,) = book.update([later], 60)
    assert update.msg_type == "Update" and update.onset > alert.onset
    assert update.expires > update.onset


def test_a_dip_below_the_level_with_the_forecast_raised_keeps_one_thread() -> None:
    """Now, then just under the level while the forecast says it returns: no Cancel."""
    from dataclasses import replace

    book = AlertBook(LC, DAY)
    now = replace(finding(1.2), thread="density:E")
    ahead = Finding(
        "density_forecast", "plaza", True, 1.3, 1.1, "Severe", "back in 3 min", "x",
        urgency="Expected", onset_s=0.0, thread="density:E",
    )  # fmt: skip
    msgs = book.update([now], 0)
    for t in range(60, 600, 60):
        dip = replace(now, raised=False, value=1.0)  # in the band
        msgs += book.update([dip, replace(ahead, onset_s=t + 180.0)], t)
    assert [m.msg_type for m in msgs if m.msg_type in ("Alert", "Cancel")] == ["Alert"]


def test_a_zone_just_under_the_level_is_not_declared_at_it() -> None:
    """A forecast alert stays a forecast while the zone is only inside the band: the near
    "now" finding keeps alerts alive, it does not escalate them."""
    from dataclasses import replace

    book = AlertBook(LC, DAY)
    ahead = Finding(
        "density_forecast", "plaza", True, 1.3, 1.1, "Severe", "in 3 min", "x",
        urgency="Expected", onset_s=180.0, thread="density:E",
    )  # fmt: skip
    near_now = replace(finding(1.0), raised=False, thread="density:E")
    msgs = book.update([ahead], 0)
    for t in range(60, 300, 60):
        msgs += book.update([near_now, replace(ahead, onset_s=t + 120.0)], t)
    assert [m.rule for m in msgs] == ["density_forecast"] * len(msgs)
    assert all(m.urgency == "Expected" or m.state == "escalated" for m in msgs)
    (came_true,) = book.update([replace(near_now, raised=True, value=1.2)], 300)
    assert (came_true.msg_type, came_true.rule, came_true.urgency) == (
        "Update",
        "density_now",
        "Immediate",
    )
