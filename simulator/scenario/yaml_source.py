"""Parse scenario YAML strictly: syntax errors with line numbers, duplicate keys, no base-60.

PyYAML follows YAML 1.1, where an unquoted ``16:30`` is the base-60 integer 990 and a repeated
key silently overwrites the first. Both would corrupt a match-day scenario without a word, so
this loader keeps ``16:30`` a string (the clock parser reads it) and rejects repeated keys.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from simulator.errors import Problem

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


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without base-60 numbers and with duplicate keys reported."""

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


def parse_yaml(text: str, *, source: str) -> tuple[Any, list[Problem]]:
    """Parse ``text``; return the data, or None and one Problem naming the line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader), []
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        what = " ".join(part for part in (err.context, err.problem) if part)
        return None, [Problem(source, f"({where})", "valid YAML", what)]
    except yaml.YAMLError as err:
        return None, [Problem(source, "(whole file)", "valid YAML", str(err))]


def line_index(text: str) -> dict[str, int]:
    """YAML path -> 1-based line of each key and list item, so messages can point at a line."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
    except yaml.YAMLError:
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
