"""Read typed fields out of parsed YAML while collecting every problem, not only the first.

The loader walks a scenario once; each read either returns a clean value or records a
``Problem`` (file, YAML path, expected, found) and returns None, so one pass reports all that
is wrong. Unknown keys are errors with the closest known key suggested, because a misspelt
optional key would otherwise be silently ignored.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.errors import Problem

# No quantity in a scenario (metres, seconds, persons, vehicles) comes near this; a bound here
# keeps 10^400 or 1e300 from reaching arithmetic that overflows or allocates by it.
MAX_MAGNITUDE = 1e12


def plain_number(value: object) -> float | None:
    """``value`` as a finite float of at most ``MAX_MAGNITUDE``, or None (bools are not numbers).

    ``float(10**400)`` raises OverflowError, so a huge YAML integer is caught here, not deep in
    a check that compares it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_MAGNITUDE else None


def join(path: str, key: str | int) -> str:
    """YAML path of a child: ``join("venue.links", 3)`` -> ``"venue.links[3]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    """Short description of a found value for a problem message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, str | bytes | list | dict) and len(value) > 1000:
        return f"a {type(value).__name__} of {len(value):,} items or characters"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


class FieldReader:
    """Collects problems for one file while reading its fields."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, path: str, expected: str, found: str) -> None:
        self.problems.append(Problem(self.file, path, expected, found))

    def mapping(
        self, value: object, path: str, *, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """Check ``value`` is a mapping with only known keys and all required ones."""
        if not isinstance(value, Mapping):
            self.problem(path or "(top level)", "a mapping (key: value)", describe(value))
            return None
        known = [*required, *optional]
        for key in value:
            if key not in known:
                shown = str(key) if len(str(key)) <= 60 else str(key)[:57] + "..."
                close = difflib.get_close_matches(shown, known, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(
                    join(path, shown),
                    f"one of the known keys {', '.join(known)}{hint}",
                    f"unknown key {shown!r}",
                )
        for key in required:
            if key not in value:
                self.problem(join(path, key), "a value (required field)", "the key is missing")
        return dict(value)

    def string(
        self, m: Mapping[str, Any], key: str, path: str, *, default: str | None = None
    ) -> str | None:
        """A non-empty string; ``default`` when the key is absent (None: required, reported)."""
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(join(path, key), "a non-empty string", describe(value))
            return None
        return value

    def number(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        *,
        default: float | None = None,
        above: float | None = None,
        at_least: float | None = None,
        at_most: float | None = None,
        integer: bool = False,
    ) -> float | None:
        """A number, optionally bounded: ``above`` is exclusive, ``at_least``/``at_most`` not."""
        if key not in m:
            return default
        value = m[key]
        where = join(path, key)
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(where, kind, describe(value))
            return None
        if integer and isinstance(value, float) and not value.is_integer():
            self.problem(where, kind, describe(value))
            return None
        if plain_number(value) is None:
            self.problem(where, f"{kind} (finite, at most {MAX_MAGNITUDE:g})", describe(value))
            return None
        if above is not None and not value > above:
            self.problem(where, f"{kind} greater than {above:g}", describe(value))
            return None
        if at_least is not None and not value >= at_least:
            self.problem(where, f"{kind} of at least {at_least:g}", describe(value))
            return None
        if at_most is not None and not value <= at_most:
            self.problem(where, f"{kind} of at most {at_most:g}", describe(value))
            return None
        return float(value)

    def boolean(self, m: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool | None:
        value = m.get(key, default)
        if not isinstance(value, bool):
            self.problem(join(path, key), "true or false", describe(value))
            return None
        return value

    def choice(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        choices: Sequence[str],
        *,
        default: str | None = None,
    ) -> str | None:
        """One of ``choices``, with the closest one suggested when the value is misspelt."""
        if key not in m:
            return default
        value = m[key]
        if value not in choices:
            close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problem(join(path, key), f"one of {', '.join(choices)}{hint}", describe(value))
            return None
        return str(value)

    def sequence(
        self, m: Mapping[str, Any], key: str, path: str, *, default: list[Any] | None = None
    ) -> list[Any] | None:
        """A list; ``default`` when the key is absent."""
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, list):
            self.problem(join(path, key), "a list", describe(value))
            return None
        return value
