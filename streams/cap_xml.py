"""ops.alert.v1 messages as OASIS CAP 1.2 XML, checked against the OASIS schema.

The JSON on the bus stays the wire contract; this is the same message in the form other CAP
systems (public alerting hubs, an emergency services' console) read. The mapping:

    alert       identifier, sender, sent, status, msgType, scope, restriction, note,
                references (``sender,identifier,sent`` triples, space-separated), incidents
    info        language, category, event, responseType, urgency, severity, certainty,
                eventCode (the rule), onset, expires, senderName, headline, instruction,
                parameters (lifecycle state, value, threshold)
    area        areaDesc (the zone's label), geocode ``matchday:zone`` (the venue element id)

Times are written as CAP asks (whole seconds, numeric offset, UTC as ``-00:00``), names
without spaces or commas (``streams.codec.cap_name``). An Ack has no info block (CAP allows
none). ``problems`` validates against the shipped ``CAP-v1.2.xsd`` (see its NOTICE.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

from streams.errors import MessageError
from streams.messages import Ack, Alert, cap_name, cap_time

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
XSD = Path(__file__).with_name("schemas") / "cap" / "CAP-v1.2.xsd"
SENDER_NAME = "matchday digital twin"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", CAP_NS)


def _text(value: object) -> str:
    """``value`` as XML 1.0 character data (characters XML cannot hold are dropped)."""
    return _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, value: object) -> ET.Element:
    child = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    child.text = _text(value)
    return child


def _pair(parent: ET.Element, tag: str, name: str, value: object) -> None:
    pair = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    _add(pair, "valueName", name)
    _add(pair, "value", value)


def response_type(message: Alert) -> str:
    """CAP responseType: AllClear on Cancel, Assess a silent camera, Execute now, else Prepare."""
    if message.msg_type == "Cancel":
        return "AllClear"
    if "Infra" in message.category:
        return "Assess"
    return "Execute" if message.urgency == "Immediate" else "Prepare"


def to_cap(message: Alert | Ack) -> ET.Element:
    """The CAP 1.2 ``alert`` element of ``message``."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _add(root, "identifier", cap_name(message.id))
    _add(root, "sender", cap_name(message.sender))
    _add(root, "sent", cap_time(message.sent))
    _add(root, "status", message.status)
    _add(root, "msgType", message.msg_type)
    _add(root, "scope", message.scope)
    if message.restriction:
        _add(root, "restriction", message.restriction)
    if message.note:
        _add(root, "note", message.note)
    if message.references:
        _add(root, "references", " ".join(r.cap() for r in message.references))
    _add(root, "incidents", cap_name(message.incident))
    if isinstance(message, Alert):
        _info(root, message)
    return root


def _info(root: ET.Element, m: Alert) -> None:
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    _add(info, "language", "en")
    for category in m.category:
        _add(info, "category", category)
    _add(info, "event", m.event or m.rule)
    _add(info, "responseType", response_type(m))
    _add(info, "urgency", m.urgency)
    _add(info, "severity", m.severity)
    _add(info, "certainty", m.certainty)
    _pair(info, "eventCode", "matchday:rule", m.rule)
    _add(info, "onset", cap_time(m.onset))
    _add(info, "expires", cap_time(m.expires))
    _add(info, "senderName", SENDER_NAME)
    _add(info, "headline", m.headline)
    _add(info, "instruction", m.instruction)
    _pair(info, "parameter", "matchday:state", m.state)
    if m.value is not None:
        _pair(info, "parameter", "matchday:value", m.value)
    if m.threshold is not None:
        _pair(info, "parameter", "matchday:threshold", m.threshold)
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    _add(area, "areaDesc", m.area_desc or m.zone)
    _pair(area, "geocode", "matchday:zone", m.zone)


def to_cap_xml(message: Alert | Ack) -> bytes:
    """``message`` as a UTF-8 CAP 1.2 XML document."""
    return ET.tostring(to_cap(message), encoding="utf-8", xml_declaration=True)


@cache
def _schema() -> Any:
    from lxml import etree  # only the check needs lxml; rendering is the standard library

    return etree.XMLSchema(etree.parse(str(XSD)))


def problems(xml: bytes) -> list[str]:
    """What makes ``xml`` invalid CAP 1.2 (OASIS schema), one line each; [] when valid."""
    from lxml import etree

    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def checked_cap_xml(message: Alert | Ack) -> bytes:
    """``to_cap_xml``, refused with a MessageError if it is not valid CAP 1.2."""
    xml = to_cap_xml(message)
    found = problems(xml)
    if found:
        raise MessageError(f"CAP 1.2 XML of {message.id}: {'; '.join(found)[:2000]}")
    return xml
