"""Quoting for the HTML report: text for HTML, and data for the page's script.

Every value a document holds (a world's or a callback's name, the bytes a trace wrote, a
message, a file name) comes from outside and may hold anything. In HTML text and attribute
values it is written by :func:`text` (``html.escape`` of its :func:`visible` form: one line, no
control characters, no lone surrogates); the viewer's data goes into one
``<script type="application/json">`` element by :func:`script_json`, which writes ``<``, ``>``,
``&`` and U+2028/U+2029 as JSON escapes, so that nothing in it can end the element or start
markup. The page's script reads that data with ``JSON.parse`` and puts it into the page with
``textContent`` only.

Leaves out: URLs (the page links nowhere outside itself).
"""

from __future__ import annotations

import html
import json
from types import MappingProxyType
from typing import Any, Mapping

from checker.formats.steps import visible

_SCRIPT_ESCAPES: Mapping[str, str] = MappingProxyType({
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def text(value: object) -> str:
    """``value`` as HTML text or an attribute value (double-quoted): on one line as by
    :func:`checker.formats.steps.visible`, with ``&``, ``<``, ``>``, ``"`` and ``'`` as
    character references.

    >>> text('<img src=x onerror="alert(1)">\\n')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;\\\\n'
    """
    return html.escape(visible(value), quote=True)


def para(value: object) -> str:
    """Longer prose (an explanation): like :func:`text`, but its line breaks kept as ``<br>``
    and a name between backticks (```tier```, as the explanations write them) as ``<code>``
    when a line's backticks pair up.

    >>> para("`inject` got <it>")
    '<code>inject</code> got &lt;it&gt;'
    """
    s = value if isinstance(value, str) else str(value)
    out = []
    for line in s.split("\n"):
        parts = line.split("`")
        if len(parts) % 2 == 0:  # an odd number of backticks: shown as written
            parts = [line]
        out.append("".join(f"<code>{text(p)}</code>" if i % 2 else text(p)
                           for i, p in enumerate(parts)))
    return "<br>".join(out)


def clean(value: Any) -> Any:
    """``value`` with every string as by :func:`visible` (the viewer shows text on one line and
    never sees a lone surrogate, which JSON cannot carry as UTF-8)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(k) if isinstance(k, str) else k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``,
    ``&``, U+2028 and U+2029 written as ``\\uXXXX`` escapes (``JSON.parse`` reads them back
    as the same characters).

    >>> script_json({"name": "</script><b>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    out = json.dumps(clean(value), ensure_ascii=False, separators=(",", ":"))
    for ch, esc in _SCRIPT_ESCAPES.items():
        out = out.replace(ch, esc)
    return out


__all__ = ["clean", "para", "script_json", "text"]
