"""The HTML report: one self-contained page of what verify, prove, review, diff and conform
found, with a step-through viewer of every trace (docs/reports.md).

API: :func:`html_page` from the JSON documents the commands write (memhp-result/1,
memhp-review/1, memhp-diff/1, memhp-conform/1, already validated against their schemas).

The page works offline: its style sheet and script (``assets/report.css``,
``assets/viewer.js``) are inlined, it loads nothing (a Content-Security-Policy allows only
those two, by their hashes), and the traces' data sits in one
``<script type="application/json">`` element that the script reads with ``JSON.parse`` and
shows with ``textContent``. Every value from a document is escaped (:mod:`.quote`).

Leaves out: a page per trace (one page holds all; viewers are built when opened), and pictures
that need Graphviz (the link graph is drawn by the page itself).
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from typing import Any

from checker.formats.html.quote import script_json, text
from checker.formats.html.sections import SECTIONS, Page
from spec.errors import MemhpError

TITLE = "memhp-check report"


def asset(name: str) -> str:
    """The text of ``assets/<name>`` (shipped with the package)."""
    try:
        return (resources.files(__name__) / "assets" / name).read_text(encoding="utf-8")
    except OSError as e:
        raise MemhpError(f"the HTML report's asset {name} is missing ({e.strerror}); reinstall "
                         f"memhp-check") from None


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def _label(doc: dict[str, Any]) -> str:
    kind = doc.get("schema")
    if kind == "memhp-result/1":
        return f"{doc.get('command', 'result')} {doc.get('profile', '')} {doc.get('world', '')}"
    if kind == "memhp-review/1":
        return f"review against {doc.get('against', '')}"
    if kind == "memhp-diff/1":
        return f"diff {doc.get('a', '')} vs {doc.get('b', '')}"
    return f"conform {doc.get('kernel', '')}"


def html_page(docs: list[dict[str, Any]], graph: bool = True) -> str:
    """The whole page for ``docs`` (in their order). ``graph``: draw the sysfs link graph in
    the state panel."""
    page = Page(graph)
    sections, toc = [], []
    for n, doc in enumerate(docs):
        kind = doc.get("schema") if isinstance(doc, dict) else None
        render = SECTIONS.get(kind) if isinstance(kind, str) else None
        if render is None:
            raise MemhpError(f"document {n + 1}: its 'schema' is {kind!r}; the HTML report "
                             f"shows {', '.join(SECTIONS)}")
        sections.append(f'<section class="doc" id="doc{n}">{render(page, doc, n)}</section>')
        toc.append(f'<a href="#doc{n}">{text(_label(doc))}</a>')
    css, js = asset("report.css"), asset("viewer.js")
    csp = (f"default-src 'none'; style-src {_hash(css)}; script-src {_hash(js)}; "
           f"img-src data:; base-uri 'none'; form-action 'none'")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(TITLE)}</title>",
        f"<style>{css}</style></head><body>",
        f'<header class="top"><h1>{text(TITLE)}</h1><nav class="toc">{"".join(toc)}</nav>'
        f'<div class="hint">Open a trace to step through it: click a step, or use \u2190 \u2192 '
        f'(Home: boot, End: the last step). The violating step is shaded red.</div></header>',
        "<main>", *sections, "</main>",
        f'<script type="application/json" id="memhp-data">{script_json({"traces": page.traces})}'
        f"</script>",
        f"<script>{js}</script>",
        "</body></html>", ""])


__all__ = ["TITLE", "asset", "html_page"]
