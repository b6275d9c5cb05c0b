"""CAP 1.2 XML: every message the twin sends validates against the OASIS CAP 1.2 schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_helpers import DAY, EVENING_S, arena
from live_helpers import zone_count as count
from test_alerts import replay_lifecycle
from typer.testing import CliRunner

from matchday.cli import app
from streams.alerts import Lifecycle
from streams.cameras import Camera
from streams.cap_xml import CAP_NS, XSD, checked_cap_xml, problems, to_cap_xml
from streams.errors import MessageError
from streams.messages import Ack, Alert
from streams.ruleset import RuleSet
from streams.twin import DigitalTwin, TwinSettings

NS = {"cap": CAP_NS}
REQUIRED_ALERT = ("identifier", "sender", "sent", "status", "msgType", "scope")
REQUIRED_INFO = ("category", "event", "urgency", "severity", "certainty")


def lifecycle_messages() -> list[Alert]:
    messages, _ = replay_lifecycle(0, Lifecycle(), observed={"stairs_n"})
    return messages


def twin_messages() -> list[Alert]:
    """A camera sees a surge on the arena's plaza; it raises, then clears."""
    twin = DigitalTwin(
        arena(),
        (Camera("cam_plaza", "plaza"),),
        RuleSet(lifecycle=Lifecycle(status="Exercise")),
        day=DAY,
        start_s=EVENING_S,
        settings=TwinSettings(seed=3),
    )
    out: list[Alert] = []
    for k, n in enumerate((3000, 3000, 40, 40, 40), start=1):
        twin.observe(count("cam_plaza", "plaza", n, EVENING_S + 60 * k - 5))
        out += [m for m in twin.cycle(EVENING_S + 60 * k).messages if isinstance(m, Alert)]
    return out


def test_the_shipped_schema_is_the_oasis_cap_1_2_schema() -> None:
    root = ET.parse(XSD).getroot()
    assert root.get("targetNamespace") == "urn:oasis:names:tc:emergency:cap:1.2"
    assert root.get("version") == "1.2"
    assert (XSD.parent / "NOTICE.md").read_text().count("OASIS") >= 5  # the OASIS notice


def test_every_message_of_the_twin_and_the_book_validates_with_all_required_fields() -> None:
    messages = twin_messages() + lifecycle_messages()
    assert {m.msg_type for m in messages} == {"Alert", "Update", "Cancel"}
    for m in messages:
        xml = to_cap_xml(m)
        assert problems(xml) == [], (m.msg_type, m.rule)
        root = ET.fromstring(xml)
        for tag in REQUIRED_ALERT:
            assert root.findtext(f"cap:{tag}", namespaces=NS), tag
        info = root.find("cap:info", NS)
        assert info is not None
        for tag in REQUIRED_INFO:
            assert info.findtext(f"cap:{tag}", namespaces=NS), tag
        assert info.findtext("cap:area/cap:areaDesc", namespaces=NS)
        assert root.findtext("cap:incidents", namespaces=NS) == m.incident
    surge = [m for m in messages if m.zone == "plaza"]
    assert {m.status for m in surge} == {"Exercise"}


def test_references_are_sender_identifier_sent_of_the_earlier_messages() -> None:
    thread = [m for m in lifecycle_messages() if m.zone == "conc_e"]
    first, second = (ET.fromstring(to_cap_xml(m)) for m in thread[:2])
    parts = ("sender", "identifier", "sent")
    triple = ",".join(first.findtext(f"cap:{t}", namespaces=NS) or "" for t in parts)
    assert second.findtext("cap:references", namespaces=NS) == triple
    last = ET.fromstring(to_cap_xml(thread[-1]))
    refs = (last.findtext("cap:references", namespaces=NS) or "").split(" ")
    assert refs[0] == triple and len(refs) == 2  # the thread's Alert and the message before
    assert all(len(r.split(",")) == 3 for r in refs)


def test_times_and_names_are_written_as_cap_requires() -> None:
    (alert, *_) = lifecycle_messages()
    odd = replace(
        alert,
        sender="ops room, north",
        sent=datetime(2030, 7, 21, 21, 0, 0, 123456, tzinfo=UTC),
        headline="Plaza <north> & \x00gates",
    )
    xml = checked_cap_xml(odd)
    root = ET.fromstring(xml)
    assert root.findtext("cap:sent", namespaces=NS) == "2030-07-21T21:00:00-00:00"
    assert root.findtext("cap:sender", namespaces=NS) == "ops_room__north"
    assert root.findtext("cap:info/cap:headline", namespaces=NS) == "Plaza <north> & gates"


def test_an_operator_ack_validates_and_references_the_alert() -> None:
    (alert, *_) = lifecycle_messages()
    ack = Ack.of(alert.incident, alert.reference, sender="amina", status="Exercise", note="ok")
    root = ET.fromstring(checked_cap_xml(ack))
    assert root.findtext("cap:msgType", namespaces=NS) == "Ack"
    assert root.findtext("cap:references", namespaces=NS) == alert.reference.cap()
    assert root.find("cap:info", NS) is None


def test_the_schema_check_refuses_what_is_not_cap() -> None:
    (alert, *_) = lifecycle_messages()
    good = to_cap_xml(alert)
    no_scope = good.replace(b"<scope>Restricted</scope>", b"")
    assert any("scope" in p for p in problems(no_scope))
    bad_time = good.replace(b"+01:00</sent>", b"Z</sent>")
    assert problems(bad_time)
    assert problems(b"<alert") and problems(b"<alert xmlns='urn:other'/>")
    with pytest.raises(MessageError, match=r"CAP 1\.2 XML"):
        checked_cap_xml(replace(alert, category=("Sport",)))


def test_cap_export_converts_recorded_messages(tmp_path: Path) -> None:
    messages = lifecycle_messages()
    recorded = tmp_path / "alerts.jsonl"
    recorded.write_bytes(b"\n".join(m.to_json() for m in messages) + b"\n")
    out = tmp_path / "cap"
    result = CliRunner().invoke(app, ["cap-export", str(recorded), "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.xml"))
    said = " ".join(result.output.split())  # the console wraps long lines
    assert len(files) == len(messages) and "valid against the OASIS CAP 1.2 schema" in said
    assert all(problems(f.read_bytes()) == [] for f in files)
    assert files[0].name == f"0001-Alert-{messages[0].id}.xml"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(messages[0].to_json().decode() + "\n" + json.dumps({"schema": "x"}) + "\n")
    result = CliRunner().invoke(app, ["cap-export", str(broken), "--out", str(tmp_path / "x")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "broken.jsonl: line 2: expected an ops.alert.v1" in said
    assert not (tmp_path / "x").exists()  # nothing written from a file with a bad line


def test_cap_export_replays_a_match_as_an_exercise(tmp_path: Path) -> None:
    """The replay demo headless (the bundled stadium, 8 min before the whistle, as ``live``,
    the default ensemble): every alert it raises is written, valid CAP 1.2, status Exercise."""
    out = tmp_path / "cap"
    args = ["cap-export", "stade_mohammed_v", "--minutes", "4", "--match-date", "2030-07-21"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.xml"))
    assert files, result.output  # the egress crush on the stairs ahead is forecast
    for path in files:
        root = ET.fromstring(path.read_bytes())
        assert root.findtext("cap:status", namespaces=NS) == "Exercise"
        assert problems(path.read_bytes()) == []
    first = ET.fromstring(files[0].read_bytes())
    # from the ensemble: Likely when more than half the members reach the level
    certainty = first.findtext("cap:info/cap:certainty", namespaces=NS)
    assert certainty in ("Observed", "Likely", "Possible")
