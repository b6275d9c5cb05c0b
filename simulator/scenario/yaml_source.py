"""Parse scenario YAML strictly and within bounds: line numbers, duplicate keys, no base-60.

PyYAML follows YAML 1.1, where an unquoted ``16:30`` is the base-60 integer 990 and a repeated
key silently overwrites the first. Both would corrupt a match-day scenario without a word, so
this loader keeps ``16:30`` a string (the clock parser reads it) and rejects repeated keys.

A scenario file is input from anyone, so parsing is bounded before any value is used: the
document's size, each string's length, the nesting depth and the number of nodes after alias
expansion (a "billion laughs" file of a few lines otherwise expands to gigabytes), and only
the plain YAML tags (``!!python/...`` and every custom tag are refused). Each limit is one
constant below and its message says which limit, where, and how to stay under it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from simulator.errors import Problem

MAX_DOCUMENT_CHARS = 2_000_000  # the largest bundled scenario is about 25 kB
MAX_STRING_CHARS = 10_000
MAX_INT_DIGITS = 1_000  # Python refuses to print integers of more than 4,300 digits
MAX_DEPTH = 40  # a scenario nests about 6 levels
MAX_NODES = 500_000  # after alias expansion; the largest bundled scenario has about 5,000
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "binary")
)

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

# PyYAML's own int/float patterns (resolver.py) minus base 60, plus 1e3 as a float.
_INT_RE = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _LimitError(yaml.MarkedYAMLError):
    """A document over one of the parser's bounds (size, string, depth, nodes, tag)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without base-60 numbers, duplicate keys reported, and bounded composing."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # the stubs type these oddly
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _LimitError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels (flatten the file)", mark
                )
            node: Any = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node.tag not in _PLAIN_TAGS:
            raise _LimitError(
                None,
                None,
                f"the tag {clip(node.tag)} (only plain YAML is read: remove the tag)",
                node.start_mark,
            )
        return node

    def compose_scalar_node(self, anchor: Any) -> Any:
        node = super().compose_scalar_node(anchor)
        if node.tag == _INT and len(node.value) > MAX_INT_DIGITS:
            raise _LimitError(
                None,
                None,
                f"an integer of {len(node.value):,} digits (at most {MAX_INT_DIGITS}: "
                "no scenario quantity is that large)",
                node.start_mark,
            )
        if len(node.value) > MAX_STRING_CHARS:
            raise _LimitError(
                None,
                None,
                f"a value of {len(node.value):,} characters ({clip(node.value)}); "
                f"values are limited to {MAX_STRING_CHARS:,} characters",
                node.start_mark,
            )
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_INT, _INT_RE, list("-+0123456789"))
_StrictLoader.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+0123456789."))


def clip(text: object, limit: int = 60) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters, so no message echoes megabytes."""
    shown = repr(text if not isinstance(text, str) else text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _expanded_nodes(root: yaml.Node | None) -> int:
    """Nodes of the document with every alias expanded, counted without expanding any."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:  # post-order without recursion: a node's size needs its children's
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(_children(node))
    for node in reversed(order):
        sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in _children(node)), 2**62)
    return sizes.get(id(root), 0)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _compose(text: str) -> yaml.Node | None:
    """The node graph of ``text``, refused when over a bound (``_LimitError``)."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    nodes = _expanded_nodes(root)
    if nodes > MAX_NODES:
        raise _LimitError(
            None,
            None,
            f"{nodes:,} values once its aliases (*name) are expanded; the limit is "
            f"{MAX_NODES:,} (write the values out, or use fewer aliases)",
            root.start_mark if root is not None else None,
        )
    return root


def parse_yaml(text: str, *, source: str) -> tuple[Any, list[Problem]]:
    """Parse ``text``; return the data, or None and one Problem naming the line and column."""
    if len(text) > MAX_DOCUMENT_CHARS:
        found = f"a document of {len(text):,} characters"
        expected = f"a scenario of at most {MAX_DOCUMENT_CHARS:,} characters (split it up)"
        return None, [Problem(source, "(whole file)", expected, found)]
    try:
        root = _compose(text)
        loader = _StrictLoader("")
        try:
            return (loader.construct_document(root) if root is not None else None), []
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        what = " ".join(part for part in (err.context, err.problem) if part)
        return None, [Problem(source, f"({where})", "valid YAML", _cut(what))]
    except yaml.YAMLError as err:
        return None, [Problem(source, "(whole file)", "valid YAML", _cut(str(err)))]
    except RecursionError:  # a bound above should stop this first; never a traceback
        return None, [Problem(source, "(whole file)", "valid YAML", "nesting too deep")]


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def line_index(text: str) -> dict[str, int]:
    """YAML path -> 1-based line of each key and list item, so messages can point at a line."""
    if len(text) > MAX_DOCUMENT_CHARS:
        return {}
    try:
        root = _compose(text)
    except (yaml.YAMLError, RecursionError):
        return {}
    lines: dict[str, int] = {}
    stack: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                lines[child] = key.start_mark.line + 1
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                lines[child] = item.start_mark.line + 1
                stack.append((item, child))
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """Line of ``path``, or of its nearest parent present (a missing key sits in its parent)."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
