"""The ``memhp-trace/1`` JSON that Markdown reports and shell reproducers carry inside them."""

from __future__ import annotations

import json

from checker.formats.traces import Trace
from spec.errors import TraceError

__all__ = ["embedded_json", "from_embedded"]


def embedded_json(trace: Trace) -> str:
    """The ``memhp-trace/1`` JSON that Markdown and shell files embed (short lines, so that a
    mail client does not wrap them)."""
    return json.dumps(trace.to_json(), indent=1)


def from_embedded(body: str, source: str) -> Trace:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as e:  # bad JSON, a huge integer, deep nesting
        raise TraceError(f"{source}: the embedded memhp-trace/1 JSON is damaged ({e})") from None
    return Trace.from_json(data, source)
