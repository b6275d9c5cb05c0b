"""Who sent an alert or an Ack: HMAC-SHA256 signatures with a per-deployment key.

Anyone who can write to ``ops.alert.v1`` could otherwise forge an Ack under any operator's name
or an alert from the twin. With a bus key configured (``MATCHDAY_BUS_KEY``, or
``--bus-key-file``), every message on that topic carries

    signature = "hmac-sha256:ROLE:" + hex(HMAC(role_key, canonical JSON without 'signature'))

where ``role_key = HMAC(bus key, "matchday/" + ROLE)``: ROLE is ``twin`` for Alert, Update
and Cancel and ``operator`` for Ack, so a consumer can tell which side a message came from,
and canonical JSON is the message with sorted keys and no spaces. A message without a valid
signature for its role is refused at the reader's trust boundary and dead-lettered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from streams.errors import ConfigError
from streams.messages import OPS_ALERT, Ack, Alert, Json

KEY_ENV = "MATCHDAY_BUS_KEY"
MIN_KEY_BYTES = 16


def role_of(message: Json) -> str:
    """The role that must have signed ``message``: operator for an Ack, else twin."""
    return "operator" if message.get("msgType") == "Ack" else "twin"


def _canonical(message: Json) -> bytes:
    body = {k: v for k, v in message.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class BusKey:
    """The deployment's signing key; ``sign`` and ``problem`` are all a stage needs."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise ConfigError(
                KEY_ENV, "bus key", f"at least {MIN_KEY_BYTES} bytes", f"{len(self.secret)} bytes"
            )

    def _digest(self, role: str, message: Json) -> str:
        role_key = hmac.new(self.secret, f"matchday/{role}".encode(), hashlib.sha256).digest()
        return hmac.new(role_key, _canonical(message), hashlib.sha256).hexdigest()

    def sign(self, message: Json) -> str:
        """The signature of ``message`` (a JSON object) for the role its type requires."""
        role = role_of(message)
        return f"hmac-sha256:{role}:{self._digest(role, message)}"

    def signed(self, message: Alert | Ack) -> Alert | Ack:
        """``message`` with its signature (a copy: messages are frozen)."""
        from dataclasses import replace

        return replace(message, signature=self.sign(message.to_dict()))

    def problem(self, message: Json) -> str | None:
        """Why ``message`` is not a genuine message of its role, or None when it is."""
        if message.get("schema") != OPS_ALERT:
            return None
        role = role_of(message)
        signature = message.get("signature")
        if not isinstance(signature, str):
            return f"ops.alert.v1: field 'signature': missing; a {role} must sign it"
        _, _, rest = signature.partition(":")
        claimed, _, digest = rest.partition(":")
        if claimed != role:
            return f"ops.alert.v1: field 'signature': signed as {claimed!r}, needs {role!r}"
        if not hmac.compare_digest(digest, self._digest(role, message)):
            return "ops.alert.v1: field 'signature': does not match (forged or altered)"
        return None


def bus_key(file: Path | None = None, env: dict[str, str] | None = None) -> BusKey | None:
    """The deployment's key from ``file`` or ``MATCHDAY_BUS_KEY``; None when neither is set."""
    environ = os.environ if env is None else env
    if file is not None:
        try:
            return BusKey(file.read_bytes().strip())
        except OSError as exc:
            raise ConfigError(str(file), "--bus-key-file", "a readable key file", str(exc)) from exc
    text = environ.get(KEY_ENV)
    return BusKey(text.strip().encode()) if text else None
