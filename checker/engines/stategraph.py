"""An exploration kept as a networkx graph: the reachable states of a Model and its transitions.

Nodes are integers (breadth-first order, 0 the initial state) with attributes ``key`` (the
model's state key), ``label`` (a one-line summary of the machine: each block's state, each
node's state bits, each busy thread and held lock), ``depth`` and ``quiescent``. An edge u -> v
has ``actions``: the Actions that lead from u to v (several may, e.g. writes refused at once),
and ``label``: the first one's label. Functions: :func:`build`, :func:`shortest_actions` and
:func:`trace_to` (a shortest path as a replayable Trace), :func:`components` (strongly connected
components), :func:`to_dot` and :func:`write` (DOT text always; SVG or PNG through Graphviz
``dot`` or matplotlib; GraphML).

The graph is of the model alone: the invariant monitor's history (what the explorer also keys
on) is not part of a node, so it has the model's states, which may be fewer than the explorer's
count. It is meant for small worlds: :func:`build` refuses worlds above ``max_states``.

>>> from checker.model import SpecModel
>>> from spec.worlds import builtin_world
>>> g = build(SpecModel(builtin_world("qemu-2node")), max_depth=2)
>>> g.nodes[0]["depth"], g.graph["complete"]
(0, False)
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from checker.engines.reach import Plain, reach
from checker.model import Model
from checker.formats.steps import dot_string, visible
from checker.formats.traces import Trace, TraceStep, annotate
from spec.actions import STATE_TEXT, Action
from spec.errors import MemhpError

DEFAULT_LIMIT = 5000
#: above this many states, SVG and PNG are laid out by Graphviz sfdp (force-directed, about a
#: second for 666 states) instead of dot, whose layered layout took minutes for that graph
DOT_MAX = 150
#: seconds a Graphviz layout may take before the picture is given up (one line, exit 2)
DRAW_TIMEOUT = 120
LEGEND = ("doubled: the initial state; dashed: inside an operation; red: where a finding's "
          "shortest trace violates the invariant; bold red edges: that trace")
SUFFIXES = (".dot", ".svg", ".png", ".graphml")


class StateGraphError(MemhpError):
    """A graph that cannot be built or written (too many states, no drawing tool)."""


def summary(model: Model, state: Any) -> str:
    """One line: ``memory0=online memory16=absent | node1{N_MEMORY} | w0:write memory1 @pc``."""
    w = model.world
    m = model.machine(state)
    parts = []
    for spec, b in zip(w.blocks, m.blocks):
        parts.append(f"memory{spec.id}=" + (STATE_TEXT.get(b.state, str(b.state)) if b.registered
                                            else "present" if b.present else "absent"))
    nodes = [f"node{n}{{{','.join(sorted(node.flags))}}}" + ("" if node.online else "(off)")
             for n, node in enumerate(m.nodes)]
    out = " ".join(parts) + " | " + " ".join(nodes)
    threads = getattr(state, "threads", None)
    if threads:
        busy = [" ".join(x for x in (f"{name}:{op.kind}", f"memory{w.blocks[op.block].id}",
                                     op.req, f"@{op.pc or op.next}") if x)
                for name, op in zip(model.threads, threads) if op is not None]
        if busy:
            out += " | " + " ".join(busy)
    if m.locks:
        out += " | locks " + " ".join(f"{lock}={who}" for lock, who in m.locks)
    return out


def edge_label(a: Action) -> str:
    """An action in words: ``w0: write "offline" to memory1/state``, ``fw: step [ok]``."""
    from checker.formats.steps import action_text

    return f"{a.thread or 'userspace'}: {action_text(a)}"


def build(model: Model, max_states: int = DEFAULT_LIMIT, max_depth: int | None = None) -> nx.DiGraph:
    """Breadth-first search of ``model`` that keeps every state and transition. Raises
    :class:`StateGraphError` when more than ``max_states`` states are reachable (within
    ``max_depth``)."""
    search = _Graph(model, max_states, max_depth)
    r = reach(search, max_depth=max_depth)
    g = search.g
    g.graph["complete"] = r.complete
    g.graph["states"] = search.states
    return g


class _Graph(Plain):
    """The state graph as a search: a node per state (numbered in breadth-first order), an edge
    per pair of states with every action between them."""

    def __init__(self, model: Model, max_states: int, max_depth: int | None) -> None:
        super().__init__(model)
        self.g = nx.DiGraph(world=model.world.name, profile=model.profile.name, model=model.name)
        self.index: dict[Hashable, int] = {}
        self.states: list[Any] = []
        self.max_states, self.max_depth = max_states, max_depth

    def add(self, k: Hashable, s: Any, depth: int) -> int:
        n = self.index.get(k)
        if n is None:
            n = len(self.states)
            if n >= self.max_states:
                model, d = self.model, self.max_depth
                raise StateGraphError(
                    f"world {model.world.name!r} ({model.name}) has more than {self.max_states:,} "
                    f"reachable states{'' if d is None else f' within depth {d}'}; "
                    f"a state graph is drawn for small worlds only (bound it with --max-depth, "
                    f"or raise --graph-limit)")
            self.index[k] = n
            self.states.append(s)
            self.g.add_node(n, key=k, label=summary(self.model, s), depth=depth,
                            quiescent=bool(self.model.quiescent(s)))
        return n

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        for k, s0, label in super().starts():
            self.add(k, s0, 0)
            yield k, s0, label

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        u = self.index[key]
        for a, k2, s2 in super().successors(key, node, depth):
            v = self.add(k2, s2, depth + 1)
            if self.g.has_edge(u, v):
                self.g.edges[u, v]["actions"].append(a)
            else:
                self.g.add_edge(u, v, actions=[a], label=edge_label(a))
            yield a, k2, s2


def shortest_actions(g: nx.DiGraph, target: int, source: int = 0) -> list[Action]:
    """The actions of a shortest path from ``source`` to ``target`` (first action per edge)."""
    try:
        path = nx.shortest_path(g, source, target)
    except (nx.NetworkXNoPath, nx.NodeNotFound) as e:
        raise StateGraphError(f"no path from state {source} to state {target} ({e})") from None
    return [g.edges[u, v]["actions"][0] for u, v in zip(path, path[1:])]


def trace_to(g: nx.DiGraph, model: Model, target: int, source: int = 0) -> Trace:
    """A shortest path from the initial state to ``target`` as a Trace (with the observations
    the model shows), ready for every trace format and for replay."""
    if source != 0:
        raise StateGraphError("a Trace starts at the initial state (source 0)")
    s = model.initial()[0]
    steps = []
    for a in shortest_actions(g, target, source):
        s, obs = model.step(s, a)
        steps.append(TraceStep(a, obs))
    return annotate(Trace(model.profile.name, model.world, steps), model)


def find(g: nx.DiGraph, pred: Callable[[Any], bool]) -> list[int]:
    """The nodes whose model state satisfies ``pred`` (in breadth-first order)."""
    return [n for n, s in enumerate(g.graph["states"]) if pred(s)]


def components(g: nx.DiGraph) -> list[set[int]]:
    """Strongly connected components, largest first (ties: the one with the smallest node)."""
    return sorted((set(c) for c in nx.strongly_connected_components(g)),
                  key=lambda c: (-len(c), min(c)))


def terminal_components(g: nx.DiGraph) -> list[set[int]]:
    """The components no transition leaves: where every long enough run ends up."""
    cond = nx.condensation(g)
    return sorted((set(cond.nodes[c]["members"]) for c in cond.nodes if cond.out_degree(c) == 0),
                  key=lambda c: (-len(c), min(c)))


def mark(g: nx.DiGraph, traces: list[tuple[str, list[Action]]]) -> int:
    """Mark each finding's shortest trace on ``g``: its edges ``on_trace``, its last state
    ``violates`` (the finding's name). A trace is walked edge by edge from the initial state; a
    step no edge carries ends its walk. Returns how many traces were marked to their end."""
    done = 0
    for name, actions in traces:
        u = 0
        for a in actions:
            nxt = [v for v in g.successors(u) if a in g.edges[u, v]["actions"]]
            if not nxt:
                break
            g.edges[u, nxt[0]]["on_trace"] = True
            u = nxt[0]
        else:
            g.nodes[u].setdefault("violates", []).append(name)
            done += 1
    return done


def to_dot(g: nx.DiGraph) -> str:
    """The graph as Graphviz DOT text: the initial state doubled, states inside an operation
    dashed, the violating states of findings red and their traces bold red (see LEGEND), each
    edge labelled with its action (and how many more lead the same way)."""
    title = (f"{g.graph.get('model', '')} world {g.graph.get('world', '')}: "
             f"{g.number_of_nodes()} states, {g.number_of_edges()} edges. {LEGEND}")
    lines = [f"digraph {dot_string(g.graph.get('world', 'memhp'))} {{",
             f"  label={dot_string(title)};",
             "  node [shape=box, fontsize=9, fontname=monospace];",
             "  edge [fontsize=8, fontname=monospace];"]
    for n, d in g.nodes(data=True):
        label = d["label"].replace(" | ", "\n")
        style = []
        if n == 0:
            style.append("peripheries=2")
        dashed = not d.get("quiescent", True)
        if d.get("violates"):
            style.append('style="filled' + (',dashed"' if dashed else '"'))
            style += ["fillcolor=\"#f4a6a6\"", "color=red"]
            label += "\nviolates " + ", ".join(d["violates"])
        elif dashed:
            style.append("style=dashed")
        extra = (", " + ", ".join(style)) if style else ""
        lines.append(f"  s{n} [label={dot_string(f'{n}: ' + label)}{extra}];")
    for u, v, d in g.edges(data=True):
        more = len(d["actions"]) - 1
        label = d["label"] + (f" (+{more})" if more else "")
        red = ", color=red, penwidth=2.5" if d.get("on_trace") else ""
        lines.append(f"  s{u} -> s{v} [label={dot_string(label)}{red}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _plain_copy(g: nx.DiGraph) -> nx.DiGraph:
    """The graph with only GraphML-friendly attributes (strings, ints, bools); every string on
    one line and printable (XML 1.0 has no control characters, UTF-8 no lone surrogates)."""
    h = nx.DiGraph()
    h.graph.update({k: visible(v) if isinstance(v, str) else v for k, v in g.graph.items()
                    if isinstance(v, (str, int, bool))})
    for n, d in g.nodes(data=True):
        h.add_node(n, label=visible(d["label"]), depth=d["depth"], quiescent=d["quiescent"])
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, label=visible(d["label"]),
                   actions="\n".join(visible(edge_label(a)) for a in d["actions"]))
    return h


def write(g: nx.DiGraph, path: str | Path) -> str:
    """Write ``g`` to ``path`` by its suffix (.dot, .svg, .png, .graphml); returns how it was
    drawn. SVG and PNG use Graphviz ``dot`` if installed, else matplotlib, else fail with a
    message that says what to install."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise StateGraphError(f"{p}: unknown picture type (expected one of {', '.join(SUFFIXES)})")
    try:
        if suffix == ".dot":
            p.write_text(to_dot(g), encoding="utf-8")  # DOT's default charset
            return "DOT"
        if suffix == ".graphml":
            nx.write_graphml(_plain_copy(g), p)
            return "GraphML"
        layout = "dot" if g.number_of_nodes() <= DOT_MAX else "sfdp"
        if shutil.which(layout):
            argv = [layout, f"-T{suffix[1:]}", "-o", str(p)]
            if layout == "sfdp":
                argv[1:1] = ["-Goverlap=prism", "-Gsplines=false"]
            try:
                r = subprocess.run(argv, input=to_dot(g), capture_output=True, encoding="utf-8",
                                   errors="replace", timeout=DRAW_TIMEOUT)
            except subprocess.TimeoutExpired:
                _remove(p)
                raise StateGraphError(
                    f"{p}: Graphviz {layout} did not lay out {g.number_of_nodes():,} states in "
                    f"{DRAW_TIMEOUT} s; write .dot or .graphml, or bound the graph with "
                    f"--max-depth") from None
            if r.returncode != 0:
                _remove(p)
                raise StateGraphError(f"{p}: Graphviz {layout} failed: {visible(r.stderr.strip()[:200])}")
            return f"Graphviz {layout}" + ("" if layout == "dot" else
                                           f" (force-directed: more than {DOT_MAX} states)")
        return _matplotlib(g, p)
    except OSError as e:
        raise StateGraphError(f"{p}: cannot write ({e.strerror})") from None


def _remove(p: Path) -> None:
    """No half-drawn picture is left behind."""
    try:
        p.unlink()
    except OSError:
        pass


def _matplotlib(g: nx.DiGraph, p: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise StateGraphError(
            f"{p}: drawing {p.suffix} needs Graphviz (apt-get install graphviz) or matplotlib "
            f"(pip install matplotlib); neither is installed. Write .dot or .graphml instead") from None
    fig = plt.figure(figsize=(12, 9))
    pos = nx.spring_layout(g, seed=1)
    nx.draw_networkx(g, pos, node_size=120, font_size=6,
                     node_color=["#f4a6a6" if g.nodes[n].get("violates") else
                                 "#f2c14e" if n == 0 else "#9ecae1" for n in g.nodes],
                     edge_color=["red" if d.get("on_trace") else "black"
                                 for _, _, d in g.edges(data=True)])
    fig.suptitle(LEGEND, fontsize=8)
    fig.savefig(p)
    plt.close(fig)
    return "matplotlib"
