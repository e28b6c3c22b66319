"""Hostile text and strict readers of what memhp renders, shared by the tests that feed traces,
worlds and sysfs snapshots holding such text to every renderer (Markdown, Mermaid, DOT, ITF).

The readers accept only the shapes memhp writes: a line of a Mermaid diagram or a DOT file that
matches none of them is a value that escaped its quoting. They also decode each quoted value,
so a test can check that it shows what the input held (as
:func:`checker.formats.steps.visible` writes it on one line)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from typing import Any

#: every character or sequence some format reads as syntax, one per string, then all at once
HOSTILE: list[str] = [
    "a\nb", "a\r\nb", "x|y|z", "`tick`", "```", "````\n# heading", "<script>alert(1)</script>",
    "a;b", "#35;", '%%{init: {"theme": "dark"}}%%', "a-->>b: x", '"quoted"', "back\\slash\\",
    "\udcff\udc80", "]]", "}", "\u2028\u202e", "&lt;&amp;", "*x* _y_ [l](javascript:alert(1))",
    "<!-- memhp-trace/1 -->\n```json\n{}\n```", "end", " lead and trail ", "\t\x00\x1b[31m",
]
HOSTILE.append("".join(HOSTILE))

BENIGN = "plain"


# --- Markdown ---------------------------------------------------------------------------------

_FENCE = re.compile(r"(`{3,})([A-Za-z]*)")


def md_blocks(doc: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(the lines outside fenced code blocks, each fence as (info string, its lines)), read as
    CommonMark does: a fence closes at a line of at least as many backticks and nothing else."""
    outside: list[str] = []
    fences: list[tuple[str, list[str]]] = []
    fence: tuple[int, str, list[str]] | None = None
    for line in doc.split("\n"):
        if fence is None:
            m = _FENCE.fullmatch(line)
            if m:
                fence = (len(m.group(1)), m.group(2), [])
            else:
                outside.append(line)
        elif re.fullmatch(r"`{%d,} *" % fence[0], line):
            fences.append((fence[1], fence[2]))
            fence = None
        else:
            fence[2].append(line)
    assert fence is None, "a fence is never closed"
    return outside, fences


_MD_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|&(lt|gt|amp);")
#: what may not appear in Markdown text unescaped (outside an escape or an entity)
_MD_BARE = re.compile(r"[`|<>\[\]*#~$\\]")


def md_unescape(text: str) -> str:
    """Markdown text as it shows: backslash escapes and the entities memhp writes resolved.
    Asserts that nothing in it is Markdown syntax."""
    bare = _MD_ESCAPED.sub("", text)
    assert not _MD_BARE.search(bare), f"unescaped Markdown syntax in {text!r}"
    return _MD_ESCAPED.sub(lambda m: m.group(1) or html.unescape(f"&{m.group(2)};"), text)


def without_code_spans(line: str) -> str:
    """``line`` with its code spans (a run of backticks up to the next run of the same length,
    where ``<`` and the rest show as they are) replaced by ``CODE``; a backslash-escaped
    backtick opens nothing."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\":
            out.append(line[i:i + 2])
            i += 2
            continue
        m = re.compile(r"`+").match(line, i)
        if m is None:
            out.append(line[i])
            i += 1
            continue
        close = re.compile(r"(?<!`)%s(?!`)" % m.group()).search(line, m.end())
        if close is None:
            out.append(m.group())
        else:
            out.append("CODE")
        i = m.end() if close is None else close.end()
    return "".join(out)


def code_span(text: str) -> str:
    """The content of ``text``, which must be exactly one code span."""
    m = re.fullmatch(r"(`+)(.+?)\1", text)
    assert m, f"not a code span: {text!r}"
    inner = m.group(2)
    assert all(len(run) != len(m.group(1)) for run in re.findall(r"`+", inner)), text
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]
    return inner


# --- Mermaid ----------------------------------------------------------------------------------

MERMAID_ID = r"[A-Za-z0-9_]+"
#: message text: no Mermaid syntax but entity codes
MERMAID_TEXT = r"(?:[^#;<>%&`\n]|#(?:[0-9]+|[a-z]+);)*"
SEQUENCE_LINE = re.compile("|".join([
    r"sequenceDiagram",
    rf" {{4}}participant {MERMAID_ID}(?: as {MERMAID_TEXT})?",
    rf" {{4}}(?: {{4}})?{MERMAID_ID}--?>>{MERMAID_ID}: {MERMAID_TEXT}",
    rf" {{4}}(?: {{4}})?Note over {MERMAID_ID}: {MERMAID_TEXT}",
    r" {4}rect rgb\(\d+, \d+, \d+\)",
    r" {4}end",
]))
_QUOTED = r'"(?:[^"#;<>%&`\n]|#(?:[0-9]+|[a-z]+);|<br/>)*"'
FLOWCHART_LINE = re.compile("|".join([
    r"flowchart LR",
    rf"  {MERMAID_ID}\(\[{_QUOTED}\]\)",
    rf"  {MERMAID_ID}\[{_QUOTED}\]",
    rf"  style {MERMAID_ID} stroke:#d00,stroke-width:2px,color:#d00",
    rf"  {MERMAID_ID} (?:<-->|-- no backlink -->|-\. backlink only \.->) {MERMAID_ID}",
]))


def check_mermaid(diagram: str, grammar: re.Pattern[str]) -> list[str]:
    """The lines of ``diagram``, each checked against ``grammar`` and printable."""
    lines = diagram.rstrip("\n").split("\n")
    for line in lines:
        assert line.isprintable(), f"unprintable Mermaid line {line!r}"
        assert grammar.fullmatch(line), f"Mermaid line outside the grammar: {line!r}"
    return lines


def mermaid_decode(text: str) -> str:
    """Mermaid text as it shows (entity codes resolved)."""
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        return chr(int(code)) if code.isdigit() else html.unescape(f"&{code};")
    return re.sub(r"#([0-9]+|[a-z]+);", one, text)


# --- DOT --------------------------------------------------------------------------------------

DOT_ID = r"[A-Za-z_][A-Za-z0-9_]*"
DOT_STR = r'"(?:[^"\\\n]|\\.)*"'
_VALUE = rf"(?:{DOT_STR}|[A-Za-z0-9_.]+)"
_ATTRS = rf"\[(?:[a-z]+={_VALUE}(?:, [a-z]+={_VALUE})*)\]"
_DOT_LINES = [
    (re.compile(rf"digraph ({DOT_ID}|{DOT_STR}) \{{"), "graph"),
    (re.compile(rf"  label=({DOT_STR});(?: labelloc=t;)?"), "label"),
    (re.compile(r"  (?:rankdir=LR; )?(?:node|edge) \[[a-z]+=[A-Za-z0-9]+(?:, [a-z]+=[A-Za-z0-9]+)*\];"), "defaults"),
    (re.compile(rf"  ({DOT_ID}) ({_ATTRS});"), "node"),
    (re.compile(rf"  ({DOT_ID}) -> ({DOT_ID}) ({_ATTRS});"), "edge"),
    (re.compile(r"\}"), "end"),
]


def dot_decode(quoted: str) -> str:
    """A DOT string as Graphviz shows it: quotes gone, ``\\\\"``, ``\\\\\\\\`` and ``\\\\n``
    resolved (any other escape is refused), then HTML entities."""
    assert quoted[0] == quoted[-1] == '"', quoted
    def one(m: re.Match[str]) -> str:
        assert m.group(1) in '"\\n', f"escape \\{m.group(1)} in {quoted!r}"
        return "\n" if m.group(1) == "n" else m.group(1)
    return html.unescape(re.sub(r"\\(.)", one, quoted[1:-1]))


def _attrs(text: str) -> dict[str, str]:
    return {k: dot_decode(v) if v.startswith('"') else v
            for k, v in re.findall(rf"([a-z]+)=({_VALUE})", text[1:-1])}


def parse_dot(text: str) -> dict[str, Any]:
    """The graph of DOT text memhp wrote: ``name``, ``label``, ``nodes`` (id -> attributes),
    ``edges`` ([(tail, head, attributes)]), every string decoded. Every line must be one of
    the statements memhp writes."""
    g: dict[str, Any] = {"name": None, "label": None, "nodes": {}, "edges": []}
    lines = text.rstrip("\n").split("\n")
    for line in lines:
        assert line.isprintable(), f"unprintable DOT line {line!r}"
        for pattern, kind in _DOT_LINES:
            m = pattern.fullmatch(line)
            if m:
                break
        else:
            raise AssertionError(f"DOT line outside the grammar: {line!r}")
        if kind == "graph":
            g["name"] = dot_decode(m.group(1)) if m.group(1).startswith('"') else m.group(1)
        elif kind == "label":
            g["label"] = dot_decode(m.group(1))
        elif kind == "node":
            assert m.group(1) not in g["nodes"], f"node {m.group(1)} declared twice"
            g["nodes"][m.group(1)] = _attrs(m.group(2))
        elif kind == "edge":
            g["edges"].append((m.group(1), m.group(2), _attrs(m.group(3))))
    assert lines[0].startswith("digraph ") and lines[-1] == "}"
    return g


def graphviz_json(text: str) -> dict[str, Any] | None:
    """What Graphviz's own parser makes of ``text`` (``dot -Tjson``), or None without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    r = subprocess.run([exe, "-Tjson"], input=text.encode("utf-8"), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    data: dict[str, Any] = json.loads(r.stdout)
    return data


def graphviz_label(raw: str) -> str:
    """A label as ``dot -Tjson`` gives it (quotes already resolved) decoded as Graphviz shows
    it."""
    return dot_decode('"' + raw.replace('"', '\\"') + '"')
