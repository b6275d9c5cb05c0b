"""How the alert stream of an egress reads to an operator: threads, flapping, instructions.

Runs the replay demo's cameras (a ground-truth run of the scenario, counted with 8% noise)
through the twin's public API from 8 minutes before the final whistle, as ``matchday live
--fast`` does, and counts per zone what issue #16 measured: forecast alerts cancelled while a
new "now" alert opens on the same zone, a Cancel followed within 2 minutes by a new Alert on
the same zone, messages that expire at or before their onset, "now" alerts marked Observed on a
zone no camera sees, and egress messages that tell fans' flow to be metered or diverted to
other gates. ``half`` watches every other zone (the rest from the model).

    python benchmarks/alert_lifecycle.py scenarios/stade_mohammed_v.yaml 40 all [detail]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import date

from simulator.scenario.clock import format_clock
from simulator.scenario.loader import load_scenario
from streams.cameras import demo_cameras
from streams.live import match_day
from streams.messages import Alert
from streams.replay import CountReplay
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings


def main(path: str, minutes: float, watched: str, detail: bool) -> None:
    scenario = load_scenario(path)
    assert scenario.egress is not None, "an egress scenario"
    day = match_day(date(2030, 7, 21))
    start = scenario.egress.final_whistle_s - 480
    cameras = demo_cameras(scenario)
    if watched == "half":
        cameras = cameras[::2]
    twin = DigitalTwin(
        scenario, cameras, RuleSet(), day=day, start_s=start, settings=TwinSettings(seed=0)
    )
    replay = CountReplay(scenario, cameras, day=day, start_s=start, seed=1)
    sent: list[tuple[float, Alert]] = []
    camera_s, cycle_s = start, start + 60
    while cycle_s <= start + minutes * 60:
        while camera_s <= cycle_s:
            for count in replay.counts(camera_s):
                twin.observe(count)
            camera_s += 15
        sent += [(cycle_s, m) for m in twin.cycle(cycle_s).messages if isinstance(m, Alert)]
        cycle_s += 60
    by_zone: dict[str, list[tuple[float, Alert]]] = defaultdict(list)
    kinds: dict[str, int] = defaultdict(int)
    for t, m in sent:
        by_zone[m.zone].append((t, m))
        kinds[m.msg_type] += 1
    swapped = reopened = 0
    for thread in by_zone.values():
        for t, m in thread:
            if m.msg_type != "Cancel":
                continue
            later = [(t2, m2) for t2, m2 in thread if m2.msg_type == "Alert"]
            reopened += any(0 <= t2 - t <= 120 for t2, _ in later)
            swapped += m.rule == "density_forecast" and any(
                m2.rule == "density_now" and abs(t2 - t) <= 120 for t2, m2 in later
            )
    seen = {c.zone for c in cameras}
    print(f"messages {len(sent)} {dict(kinds)}, incidents {len({m.incident for _, m in sent})}")
    print(f"forecast cancelled as a new 'now' alert opens (same zone, 2 min): {swapped}")
    print(f"Cancel then a new Alert on the same zone within 2 min: {reopened}")
    print(f"expires at or before onset: {sum(m.expires <= m.onset for _, m in sent)}")
    unseen = sum(m.certainty == "Observed" and m.zone not in seen for _, m in sent)
    print(f"Observed on a zone no camera sees: {unseen}")
    wrong = ("Meter arrivals", "other gates")
    told = [m for _, m in sent if any(w in m.instruction for w in wrong)]
    print(f"egress messages telling to meter arrivals or divert to other gates: {len(told)}")
    if detail:
        for zone, thread in by_zone.items():
            rows = [(format_clock(t), m.msg_type, m.rule, m.severity, m.urgency) for t, m in thread]
            print(zone, rows)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], float(args[1]), args[2] if len(args) > 2 else "all", "detail" in args)
