"""The link graph of a sysfs view (networkx), and its pictures: DOT, Mermaid, SVG or PNG.

Graph: one vertex per node directory (``node0``: its masks), per memory block (``memory9``:
state, valid_zones, phys_index) and per section (``section18``, from phys_index and the
sections per block); edges ``nodeN -> memoryX`` (``link``), ``memoryX -> nodeN``
(``backlink``) and ``memoryX -> sectionS`` (``holds``). Link targets are resolved: a link that
points to a missing directory gets a vertex marked ``missing``.

Pictures fold runs of alike blocks: consecutive block ids with the same node(s), state,
valid_zones and no finding become one box (``memory32-199: 168 blocks``), so a 200-block machine
stays readable; a block with a finding is always drawn alone, in red. SVG and PNG come from
Graphviz ``dot`` when it is installed; without it, ask for ``.dot`` or ``.mmd`` (the message
says so). Leaves out cpu links and everything but memory hotplug.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from spec.audit import AuditFinding, View
from spec.errors import MemhpError

_BLOCK = re.compile(r"memory(\d+)")
_NODE = re.compile(r"node(\d+)")
FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
           ".svg": "svg", ".png": "png"}


class GraphError(MemhpError):
    pass


def build(view: View, findings: list[AuditFinding] = (), sections_per_block: int = 1) -> "nx.DiGraph[str]":
    """The networkx graph of ``view``; vertices named in findings carry ``bad=True``."""
    g: nx.DiGraph[str] = nx.DiGraph()
    for path, value in view.items():
        parts = path.rstrip("/").split("/")
        if len(parts) < 2:
            continue
        if parts[0] == "memory" and _BLOCK.fullmatch(parts[1]):
            name = parts[1]
            if name not in g:
                g.add_node(name, kind="block", id=int(name[6:]), state="?", zones="", missing=False)
            g.nodes[name]["missing"] = False
            if len(parts) == 3 and isinstance(value, str) and parts[2] in ("state", "valid_zones", "phys_index"):
                g.nodes[name][{"valid_zones": "zones"}.get(parts[2], parts[2])] = value.strip()
            elif len(parts) == 3 and isinstance(value, tuple) and _NODE.fullmatch(parts[2]):
                target = value[1].rsplit("/", 1)[-1]
                _ensure(g, target, "node")
                g.add_edge(name, target, kind="backlink")
        elif parts[0] == "node" and _NODE.fullmatch(parts[1]):
            _ensure(g, parts[1], "node")
            g.nodes[parts[1]]["missing"] = False
            if len(parts) == 3 and isinstance(value, tuple) and _BLOCK.fullmatch(parts[2]):
                target = value[1].rsplit("/", 1)[-1]
                _ensure(g, target, "block")
                g.add_edge(parts[1], target, kind="link")
    for v, data in list(g.nodes(data=True)):
        if data["kind"] == "block" and not data.get("missing"):
            first = data["id"] * sections_per_block
            for s in range(first, first + sections_per_block):
                g.add_node(f"section{s}", kind="section", id=s, missing=False)
                g.add_edge(v, f"section{s}", kind="holds")
    from spec.audit import AuditInputError, parse_nodelist

    for mask, short in (("has_memory", "memory"), ("has_normal_memory", "normal"), ("has_cpu", "cpu")):
        text = view.get(f"node/{mask}")
        try:
            ids = parse_nodelist(text) if isinstance(text, str) else None
        except AuditInputError:
            ids = None
        for n in ids or ():
            if f"node{n}" in g:
                g.nodes[f"node{n}"].setdefault("masks", []).append(short)
    for f in findings:
        if f.severity != "violation":
            continue
        for path in f.files:
            for part in path.split("/")[1:2] + path.split("/")[2:3]:
                if part in g and g.nodes[part]["kind"] in ("block", "node"):
                    g.nodes[part]["bad"] = True
    return g


def _ensure(g: "nx.DiGraph[str]", name: str, kind: str) -> None:
    if name not in g:
        m = re.search(r"\d+$", name)
        g.add_node(name, kind=kind, id=int(m.group()) if m else -1, state="?", zones="", missing=True)


@dataclass(frozen=True)
class Box:
    """One drawn box: a block, a folded run of alike blocks, or a node. ``key`` is letters,
    digits and underscores (a DOT and Mermaid id); ``lines`` the label's lines as read (a
    state or a link target from a snapshot may hold anything), ``label`` the same joined with
    ``\\n``."""

    key: str
    label: str
    kind: str
    bad: bool
    nodes: tuple[str, ...]  # the node vertices it links to
    lines: tuple[str, ...] = ()


def _box(key: str, lines: list[str], kind: str, bad: bool, nodes: tuple[str, ...] = ()) -> Box:
    return Box(key, "\\n".join(lines), kind, bad, nodes, tuple(lines))


def _key(prefix: str, vertex: str, pattern: re.Pattern[str]) -> str:
    """A box id for ``vertex``: ``prefix_vertex`` for a sysfs name (``node1``), else
    ``prefix_x_`` and the hex of its UTF-8 bytes (a link target named otherwise)."""
    if pattern.fullmatch(vertex):
        return f"{prefix}_{vertex}"
    return f"{prefix}_x_" + vertex.encode("utf-8", "surrogatepass").hex()


def fold(g: "nx.DiGraph[str]") -> tuple[list[Box], list[tuple[str, str, str]]]:
    """Boxes and edges (from, to, kind) with runs of alike blocks folded."""
    blocks = sorted((v for v, d in g.nodes(data=True) if d["kind"] == "block"), key=lambda v: g.nodes[v]["id"])
    boxes: list[Box] = []
    edges: list[tuple[str, str, str]] = []
    run: list[str] = []

    def sig(v: str) -> tuple[Any, ...]:
        d = g.nodes[v]
        links = tuple(sorted(u for u in g.predecessors(v) if g.nodes[u]["kind"] == "node"))
        back = tuple(sorted(u for u in g.successors(v) if g.nodes[u]["kind"] == "node"))
        return (d.get("state"), d.get("zones"), links, back, d.get("missing"))

    def flush() -> None:
        if not run:
            return
        d0 = g.nodes[run[0]]
        ids = [g.nodes[v]["id"] for v in run]
        if not _BLOCK.fullmatch(run[0]):  # a link to a block named otherwise: drawn by its name
            name, key = run[0], _key("b", run[0], _BLOCK)
        else:
            name = f"memory{ids[0]}" if len(run) == 1 else f"memory{ids[0]}-{ids[-1]}"
            key = "b_" + name.replace("-", "_")
        lines = [name] + ([] if len(run) == 1 else [f"{len(run)} blocks"])
        state = "missing" if d0.get("missing") else d0.get("state", "?")
        zones = f" {d0['zones']}" if d0.get("zones") else ""
        lines.append(f"{state}{zones}")
        bad = any(g.nodes[v].get("bad") for v in run)
        _, _, links, back, _ = sig(run[0])
        boxes.append(_box(key, lines, "block", bad, back))
        for n in links:
            edges.append((_key("n", n, _NODE), key, "link"))
        for n in back:
            edges.append((key, _key("n", n, _NODE), "backlink"))
        run.clear()

    prev_id, prev_sig = None, None
    for v in blocks:
        d, s = g.nodes[v], sig(v)
        alike = (run and not d.get("bad") and not g.nodes[run[-1]].get("bad")
                 and _BLOCK.fullmatch(v) and _BLOCK.fullmatch(run[-1])
                 and s == prev_sig and prev_id is not None and d["id"] == prev_id + 1)
        if not alike:
            flush()
        run.append(v)
        prev_id, prev_sig = d["id"], s
    flush()
    nodes = []
    for v, d in sorted(g.nodes(data=True), key=lambda x: x[1]["id"]):
        if d["kind"] == "node":
            lines = [v + (" (missing)" if d.get("missing") else "")]
            if d.get("masks"):
                lines.append(", ".join(d["masks"]))
            elif not d.get("missing"):
                lines.append("no memory, no cpu")
            nodes.append(_box(_key("n", v, _NODE), lines, "node", bool(d.get("bad") or d.get("missing"))))
    return nodes + boxes, edges


def to_dot(g: "nx.DiGraph[str]", title: str = "") -> str:
    """The DOT text of the folded graph: every label and the title a quoted DOT string, every
    id letters, digits and underscores."""
    from checker.formats.steps import dot_string

    boxes, edges = fold(g)
    out = ["digraph memhp {", "  rankdir=LR; node [fontname=Helvetica, fontsize=10];",
           f'  label={dot_string(title)}; labelloc=t;' if title else ""]
    for b in boxes:
        shape = "ellipse" if b.kind == "node" else "box"
        color = ', color=red, fontcolor=red, penwidth=2' if b.bad else ""
        fill = ', style=filled, fillcolor="#e8f0fe"' if b.kind == "node" else ""
        out.append(f'  {b.key} [shape={shape}, label={dot_string(chr(10).join(_lines(b)))}{color}{fill}];')
    pairs = {(a, c) for a, c, k in edges if k == "link"}
    for a, c, k in edges:
        if k == "link" and (c, a) in {(x, y) for x, y, kk in edges if kk == "backlink"}:
            out.append(f"  {a} -> {c} [dir=both, arrowtail=odot];")  # link and backlink
        elif k == "link":
            out.append(f'  {a} -> {c} [color=red, label="no backlink"];')
        elif (c, a) not in pairs:
            out.append(f'  {c} -> {a} [color=red, style=dashed, dir=back, label="backlink only"];')
    out.append("}")
    return "\n".join(x for x in out if x) + "\n"


def to_mermaid(g: "nx.DiGraph[str]") -> str:
    """The Mermaid flowchart of the folded graph: every label in quotes with what Mermaid
    reads as syntax as entity codes, every id letters, digits and underscores."""
    from checker.formats.markdown import mermaid_text

    boxes, edges = fold(g)
    out = ["flowchart LR"]
    for b in boxes:
        label = "<br/>".join(mermaid_text(part).replace('"', "#quot;")
                             for line in _lines(b) for part in line.split("\n"))
        out.append(f'  {b.key}(["{label}"])' if b.kind == "node" else f'  {b.key}["{label}"]')
        if b.bad:
            out.append(f"  style {b.key} stroke:#d00,stroke-width:2px,color:#d00")
    back = {(a, c) for a, c, k in edges if k == "backlink"}
    for a, c, k in edges:
        if k == "link":
            out.append(f"  {a} <--> {c}" if (c, a) in back else f"  {a} -- no backlink --> {c}")
        elif (c, a) not in {(x, y) for x, y, kk in edges if kk == "link"}:
            out.append(f"  {a} -. backlink only .-> {c}")
    return "\n".join(out) + "\n"


def _lines(b: Box) -> tuple[str, ...]:
    return b.lines or tuple(b.label.split("\\n"))


def write_picture(g: "nx.DiGraph[str]", out: str | Path, title: str = "") -> str:
    """Write ``out`` in the format its suffix names; returns the format. Written to a temporary
    file beside ``out`` and renamed when complete."""
    dest = Path(out)
    fmt = FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise GraphError(f"{out}: unknown picture format (use .svg, .png, .dot or .mmd)")
    if not dest.absolute().parent.is_dir():
        raise GraphError(f"{out}: the folder {dest.absolute().parent} does not exist")
    if fmt == "mermaid":
        data = to_mermaid(g).encode()
    else:
        dot = to_dot(g, title)
        if fmt == "dot":
            data = dot.encode()
        else:
            exe = shutil.which("dot")
            if exe is None:
                raise GraphError(f"{out}: drawing {fmt.upper()} needs Graphviz's dot "
                                 f"(apt-get install graphviz); or ask for {dest.with_suffix('.dot')} "
                                 f"or {dest.with_suffix('.mmd')}")
            try:
                p = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                                   timeout=60, check=False)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise GraphError(f"{out}: dot failed ({e})") from None
            if p.returncode != 0:
                err = p.stderr.decode(errors="replace").strip().splitlines()
                raise GraphError(f"{out}: dot failed ({err[0] if err else p.returncode})")
            data = p.stdout
    tmp = dest.absolute().parent / f".{dest.name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise GraphError(f"{out}: cannot write the picture ({e.strerror})") from None
    return fmt
