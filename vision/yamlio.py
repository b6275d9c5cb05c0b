"""Reading the small YAML files a user hands vision (zones, models, labels) without surprises.

Each file is capped in size and may not use YAML aliases: an alias bomb is a few hundred bytes
that expand into billions of list items once code walks them, and none of these files needs an
alias. Errors are the caller's own error class, naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from vision.errors import VisionError

MAX_YAML_BYTES = 1_000_000


class _NoAliases(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses ``*alias`` references."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"aliases (*{event.anchor}) are not allowed in this file")
        return super().compose_node(parent, index)


def read_yaml(path: Path, error: type[VisionError], what: str) -> Any:
    """Parse ``path``; ``error`` names the file when it is missing, too large or not YAML."""
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise error(f"{path}: {what} is {size:,} bytes; expected at most {MAX_YAML_BYTES:,} bytes")
    try:
        return yaml.load(path.read_text(), Loader=_NoAliases)
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid YAML for a {what} ({str(exc)[:300]})") from exc
