"""Trace formats (design.md section 5): a registry of renderers and readers.

``memhp trace FILE --format NAME`` renders a Trace in one of :data:`FORMATS`; :func:`load`
reads a trace back from any file memhp wrote: ``memhp-trace/1`` JSON, ITF JSON, or a Markdown
report or shell reproducer (both embed the ``memhp-trace/1`` JSON). Every format keeps enough to
rebuild the Trace, so what is read back replays through the model like the original.

Leaves out: guessing traces from other tools' ITF files (an ITF file must carry memhp's world
in its ``#meta``), and formats that cannot be read back (pictures).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.formats import itf, markdown, shell
from checker.formats.embed import embedded_json, from_embedded
from checker.formats.traces import Trace
from spec.errors import TraceError
from spec.files import read_text_input

__all__ = ["FORMATS", "embedded_json", "from_embedded", "load", "parse", "render"]


def _text(trace: Trace, source: str) -> str:
    return trace.text() + "\n"


def _json(trace: Trace, source: str) -> str:
    return json.dumps(trace.to_json(), indent=1) + "\n"


def _itf(trace: Trace, source: str) -> str:
    return itf.render(trace, source)


def _markdown(trace: Trace, source: str) -> str:
    return markdown.render(trace)


def _shell(trace: Trace, source: str) -> str:
    return shell.render(trace)


#: format name -> renderer (the Trace and where it came from, for messages -> the file's text).
FORMATS: dict[str, Callable[[Trace, str], str]] = {
    "text": _text,
    "json": _json,
    "itf": _itf,
    "markdown": _markdown,
    "shell": _shell,
}


def render(trace: Trace, fmt: str, source: str = "<trace>") -> str:
    """``trace`` in format ``fmt`` (a key of :data:`FORMATS`); ``source`` names the trace in
    error messages."""
    if fmt not in FORMATS:
        raise TraceError(f"unknown trace format {fmt!r} (expected one of {', '.join(FORMATS)})")
    try:
        return FORMATS[fmt](trace, source)
    except TraceError as e:  # every message names the trace it is about
        if str(e).startswith(f"{source}:"):
            raise
        raise TraceError(f"{source}: {e}") from None


def parse(text: str, source: str = "<trace>") -> Trace:
    """A Trace from the text of a file in any readable format, recognised by its content."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError) as e:  # bad JSON, a huge integer, deep nesting
            raise TraceError(f"{source}: not valid JSON ({e})") from None
        if isinstance(data, dict) and "states" in data and "vars" in data:
                    return itf.from_json(data, source)
        return Trace.from_json(data, source)
    if shell.MARK_BEGIN in text:
        return shell.parse(text, source)
    if markdown.MARK in text:
        return markdown.parse(text, source)
    raise TraceError(f"{source}: not a trace memhp can read (expected memhp-trace/1 or ITF JSON, "
                     f"or a Markdown or shell file written by memhp trace)")


def load(path: str | Path) -> Trace:
    """Read the trace in ``path`` (any readable format)."""
    p = Path(path)
    return parse(read_text_input(p, "trace", TraceError), str(p))
