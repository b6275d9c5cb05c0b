"""Exceptions raised by the live path (``streams``).

    StreamsError                 base of everything streams raises on purpose
    ├── MessageError             a message is not valid JSON, too large, or fails its schema
    ├── BusError                 the broker cannot be reached or a topic cannot be created
    └── ConfigError              a cameras/rules/twin YAML file is invalid (names file, field, fix)

A MessageError met while consuming is never raised to the caller: the bus sends the raw message
to the dead-letter topic with ``str(error)`` as the reason and goes on.
"""

from __future__ import annotations


class StreamsError(Exception):
    """Base class of the live path's own errors."""


class MessageError(StreamsError):
    """A message failed to decode or validate; the text says which schema, field and why."""


class BusError(StreamsError):
    """The broker is unreachable, or a topic could not be created."""


class ConfigError(StreamsError):
    """A configuration file is invalid: ``file``, ``field`` and the fix are in the message."""

    def __init__(self, file: str, field: str, expected: str, found: str) -> None:
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{file}: {field}: expected {expected}, found {found}")
