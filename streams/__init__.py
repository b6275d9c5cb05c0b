"""The live path: counts over a bus into a digital twin that forecasts and raises CAP-style alerts.

See ``streams/README.md``. Errors: ``streams.errors``. The dashboard is ``streams.dashboard``.
"""

from streams.alerts import AlertBook, Lifecycle
from streams.bus import Bus, InProcessBus, Record, Subscription
from streams.cameras import Camera, load_cameras
from streams.errors import BusError, ConfigError, MessageError, StreamsError
from streams.inbox import Inbox, Publisher
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.messages import Ack, Alert, DeadLetter, Forecast, ForecastZone, ZoneCount, ZoneDensity
from streams.rules import RULES, Finding, TwinState, ZoneState, register_rule
from streams.ruleset import RuleSet, load_ruleset
from streams.service import TwinService
from streams.signing import BusKey
from streams.twin import CycleReport, DigitalTwin, TwinSettings

__all__ = [
    "RULES",
    "Ack",
    "Alert",
    "AlertBook",
    "Bus",
    "BusError",
    "BusKey",
    "Camera",
    "ConfigError",
    "CycleReport",
    "DeadLetter",
    "DigitalTwin",
    "Finding",
    "Forecast",
    "ForecastZone",
    "InProcessBus",
    "Inbox",
    "KafkaBus",
    "KafkaSettings",
    "Lifecycle",
    "MessageError",
    "Publisher",
    "Record",
    "RuleSet",
    "StreamsError",
    "Subscription",
    "TwinService",
    "TwinSettings",
    "TwinState",
    "ZoneCount",
    "ZoneDensity",
    "ZoneState",
    "load_cameras",
    "load_ruleset",
    "register_rule",
]
