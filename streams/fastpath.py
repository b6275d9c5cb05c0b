"""A compiled fast path for the readers' schema check: each JSON Schema as a msgspec Struct.

The JSON Schema files stay the contract (``streams/schemas/``, read by other languages); this
module translates each one, when every keyword in it has a msgspec equivalent, into a msgspec
``Struct`` whose decoder parses and validates a record in C in one pass (about a microsecond,
against a few for the JSON parse plus the compiled JSON-Schema check). The translation is only
ever *as strict or stricter* than the schema: a record the Struct accepts, the schema accepts
(tests/streams/test_fastpath.py checks both on valid and mutated records). A record the Struct
refuses goes through the JSON-Schema path, which gives the verdict and the reason, so what is
accepted and every dead letter's reason are exactly the schema's.

Keywords translated: type (one type, or one and "null"), properties, required,
additionalProperties false, items, minItems, maxItems, minLength, maxLength, pattern, minimum,
maximum, exclusiveMinimum, exclusiveMaximum, enum (strings, and null), const (a string); annotations
(description, title, $schema, $id, $comment) are ignored. A schema with any other keyword
(ops.alert.v1's allOf/if/then) has no fast path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$comment"})
_KEYWORDS = _ANNOTATIONS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
}


class Untranslatable(Exception):
    """The schema uses a keyword this module does not translate: no fast path for it."""


def struct_decoder(document: dict[str, Any], name: str) -> msgspec.json.Decoder[Any] | None:
    """The Struct decoder of the JSON Schema ``document``, or None where it cannot be
    translated (``name`` names the Struct)."""
    try:
        return msgspec.json.Decoder(_object(document, name.replace(".", "_")))
    except Untranslatable:
        return None


def _object(node: dict[str, Any], name: str) -> Any:
    _check_keywords(node)
    if node.get("type") != "object" or node.get("additionalProperties") is not False:
        raise Untranslatable(f"{name}: only closed objects (additionalProperties false)")
    required = set(node.get("required", ()))
    props: dict[str, Any] = node.get("properties", {})
    if not required <= set(props):
        raise Untranslatable(f"{name}: a required property without a definition")
    fields: list[tuple[str, Any, Any] | tuple[str, Any]] = []
    for key, sub in props.items():
        hint = _value(sub, f"{name}_{key}")
        if key in required:
            fields.append((key, hint))
        else:
            fields.append((key, hint | msgspec.UnsetType, msgspec.UNSET))
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)


def _value(node: dict[str, Any], name: str) -> Any:
    _check_keywords(node)
    if "const" in node:
        if not isinstance(node["const"], str) or set(node) - _ANNOTATIONS - {"const"}:
            raise Untranslatable(f"{name}: const other than a lone string")
        return Literal[node["const"]]  # type: ignore[valid-type]
    if "enum" in node:
        values = [v for v in node["enum"] if v is not None]
        if not values or not all(isinstance(v, str) for v in values):
            raise Untranslatable(f"{name}: enum of other than strings (and null)")
        if set(node) - _ANNOTATIONS - {"enum", "type"}:
            raise Untranslatable(f"{name}: enum with other keywords")
        nullable = None in node["enum"]
        kinds = node.get("type", ["string", "null"] if nullable else "string")
        kinds = {kinds} if isinstance(kinds, str) else set(kinds)
        if "string" not in kinds or not kinds <= {"string", "null"}:
            raise Untranslatable(f"{name}: enum of strings under type {sorted(kinds)}")
        hint = Literal[tuple(values)]  # type: ignore[valid-type]
        return hint | None if nullable and "null" in kinds else hint
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or ())
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"]
    if len(kinds) != 1:
        raise Untranslatable(f"{name}: a type other than one type (or one and null)")
    hint = _typed(kinds[0], node, name)
    return hint | None if nullable else hint


def _typed(kind: str, node: dict[str, Any], name: str) -> Any:
    if kind == "object":
        return _object(node, name)
    if kind == "string":
        meta = _meta(node, min_length="minLength", max_length="maxLength", pattern="pattern")
        return Annotated[str, meta] if meta else str
    if kind == "boolean":
        _only(node, name)
        return bool
    if kind in ("integer", "number"):
        meta = _meta(node, ge="minimum", le="maximum", gt="exclusiveMinimum", lt="exclusiveMaximum")
        # JSON Schema's number is any number: keep ints ints (the schema path does), and a
        # float in an integer field goes to the schema path (2020-12 counts 1.0 an integer)
        numbers: tuple[type, ...] = (int,) if kind == "integer" else (int, float)
        hints = [Annotated[t, meta] if meta else t for t in numbers]
        return hints[0] if len(hints) == 1 else hints[0] | hints[1]
    if kind == "array":
        if "items" not in node:
            raise Untranslatable(f"{name}: an array without items")
        item = _value(node["items"], f"{name}_item")
        meta = _meta(node, min_length="minItems", max_length="maxItems")
        return Annotated[list[item], meta] if meta else list[item]  # type: ignore[valid-type]
    raise Untranslatable(f"{name}: type {kind!r}")


_BY_KIND = {
    "string": {"minLength", "maxLength", "pattern"},
    "boolean": set(),
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "array": {"items", "minItems", "maxItems"},
    "object": {"properties", "required", "additionalProperties"},
}


def _check_keywords(node: Any) -> None:
    if not isinstance(node, dict):
        raise Untranslatable("a schema that is not an object")
    unknown = set(node) - _KEYWORDS
    if unknown:
        raise Untranslatable(f"keywords {sorted(unknown)}")
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or ())
    allowed = set().union(*(_BY_KIND.get(k, set()) for k in kinds if k != "null"))
    stray = set(node) - _ANNOTATIONS - {"type", "const", "enum"} - allowed
    if stray:  # e.g. minimum on a string: keep the schema's own (odd) meaning
        raise Untranslatable(f"keywords {sorted(stray)} for type {kinds}")


def _only(node: dict[str, Any], name: str) -> None:
    if set(node) - _ANNOTATIONS - {"type"}:
        raise Untranslatable(f"{name}: keywords msgspec cannot carry")


def _meta(node: dict[str, Any], **names: str) -> msgspec.Meta | None:
    values = {arg: node[key] for arg, key in names.items() if key in node}
    return msgspec.Meta(**values) if values else None
