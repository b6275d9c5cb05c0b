"""Operator tokens: who may acknowledge and assign alerts from the dashboard.

Tokens come from configuration or the environment, never from the repository. Each token
belongs to a named operator, and that name (not anything the browser claims) is what goes into
the Ack message and the audit log. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.errors import ConfigError

TOKEN_ENV = "MATCHDAY_OPERATOR_TOKEN"
NAME_ENV = "MATCHDAY_OPERATOR"
MIN_TOKEN_CHARS = 12
MAX_NAME_CHARS = 64


@dataclass(frozen=True)
class Operators:
    """Token -> operator name; ``generated`` is True when no token was configured."""

    by_token: Mapping[str, str] = field(default_factory=dict)
    generated: bool = False

    def who(self, presented: str | None) -> str | None:
        """The operator a presented token belongs to, or None when it matches none."""
        if not presented:
            return None
        found = None
        for token, name in self.by_token.items():
            if hmac.compare_digest(token.encode(), presented.encode()):
                found = name
        return found


def operators_from(
    tokens: Mapping[str, str] | None = None,
    *,
    source: str = "dashboard config",
    env: Mapping[str, str] | None = None,
) -> Operators:
    """Build the operator table from ``tokens`` (name -> token), else the environment.

    With neither, one random token is generated for an operator named "operator" so a local
    demo works; the caller prints it once, on the console of whoever started the server.
    """
    env = os.environ if env is None else env
    if tokens:
        return Operators(
            {_checked(t, f"operators.{n}", source): _name(n, source) for n, t in tokens.items()}
        )
    if env.get(TOKEN_ENV):
        name = _name(env.get(NAME_ENV) or "operator", "environment")
        return Operators({_checked(env[TOKEN_ENV], TOKEN_ENV, "environment"): name})
    return Operators({secrets.token_urlsafe(18): "operator"}, generated=True)


def _checked(token: str, where: str, source: str) -> str:
    if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS or token != token.strip():
        found = f"{len(token)} characters" if isinstance(token, str) else type(token).__name__
        raise ConfigError(
            source,
            where,
            f"a token of at least {MIN_TOKEN_CHARS} characters without surrounding spaces "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(18))')",
            found,
        )
    return token


def _name(name: str, source: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise ConfigError(
            source, "operator name", f"1 to {MAX_NAME_CHARS} characters", repr(name)[:80]
        )
    return name.strip()
