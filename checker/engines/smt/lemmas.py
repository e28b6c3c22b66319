"""Structural lemmas and the Houdini loop that proves them together with the invariants.

Models: a few candidate lemmas, each one disjunction over the value tuples of a projection of
the state that the spec's reachable states show (a breadth-first search of the spec, up to a
state budget):

- ``control:<thread>``: the thread's operation record (kind, block, pc, next, event, chain
  position, arguments, waited-for lock, ...) together with which locks it holds;
- ``locks``: every lock's holder with the control point (kind, pc, next) of every thread;
- ``block:memoryX``: the block's fields (presence, registration, state, page location, zones,
  online type, links) with the control point of each thread working on that block;
- ``node:N``: the node's fields (online, present pages, node-state bits, SLUB structures) with the
  page location and zones of its blocks and the control point of each thread working on them.

Where a candidate comes from is irrelevant to soundness: :func:`houdini` keeps a candidate only
if Z3 proves it, with all the other kept ones, to hold initially (BMC to depth k - 1) and to be
k-inductive with simple-path constraints (every frame within the field domains). A candidate
(lemma or invariant) false in some frame of a model of the failed step case is dropped and the
query repeated, so the loop ends after at most one query per candidate plus one. Whatever
survives is one inductive conjunction: each member is proved, none is assumed.

Leaves out: lemmas that are not projections of the reached states (for example arithmetic
relations between present pages and block sizes written by hand) and the state fields a
projection omits (a write's byte count and pending return value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import z3

from checker.engines.reach import Plain, reach
from checker.engines.smt.encoding import Layout
from checker.engines.smt.props import Props
from checker.engines.smt.system import System

Frame = dict[str, Any]
Vals = dict[str, Any]
#: a decision diagram: its root and its nodes, each (depth, ((value, child), ...))
Diagram = tuple[int, dict[int, tuple[int, tuple[tuple[Any, int], ...]]]]
#: reached states for the candidates (a larger world's candidates come from a prefix of its
#: breadth-first search; Houdini then drops those the prefix made too strong). The default
#: world has about 234,000 (mined in seconds).
STATE_BUDGET = 400000
#: thread fields left out of ``control``: data, not control
DATA = ("count",)
#: what a block or node lemma knows of a thread working on the block
CTL = ("kind", "pc", "next", "event", "req", "via", "lock", "ret", "chain_ret", "cb", "stale")


class Terms:
    """The terms projections range over: the layout's fields and two derived kinds,
    ``held:<lock>:<t>`` (thread t holds the lock) and ``on:<t>:<i>:<f>`` (field f of thread
    t if it works on block i, else the idle value). :meth:`values` evaluates them on an
    encoded state and :meth:`expr` renders them on a frame: the one definition of each."""

    def __init__(self, L: Layout) -> None:
        self.L = L
        self.nt = len(L.threads)
        self.on_fields = CTL + ("a2", "a3", "zone")

    @staticmethod
    def held(lock: str, t: int) -> str:
        return f"held:{lock}:{t}"

    @staticmethod
    def on(t: int, i: int, f: str) -> str:
        return f"on:{t}:{i}:{f}"

    def values(self, vals: Vals) -> Vals:
        """``vals`` with the derived terms added."""
        out = dict(vals)
        for lk in self.L.locks:
            h = vals["lock:" + lk]
            for t in range(self.nt):
                out[self.held(lk, t)] = h == t
        for t in range(self.nt):
            busy = vals[f"t{t}.kind"] != 0
            blk = vals[f"t{t}.block"]
            for i in range(self.L.nblocks):
                mine = busy and blk == i
                for f in self.on_fields:
                    out[self.on(t, i, f)] = vals[f"t{t}.{f}"] if mine else (False if f == "stale" else 0)
        return out

    def expr(self, key: str, S: Frame) -> Any:
        if key.startswith("held:"):
            lk, t = key[len("held:"):].rsplit(":", 1)
            return S["lock:" + lk] == int(t)
        if key.startswith("on:"):
            _, t, i, f = key.split(":")
            off: Any = False if f == "stale" else 0
            return z3.If(z3.And(S[f"t{t}.kind"] != 0, S[f"t{t}.block"] == int(i)), S[f"t{t}.{f}"], off)
        return S[key]


class Projection:
    """A candidate lemma: the state's projection on ``keys`` (terms of :class:`Terms`) is
    one of ``rows``. It is rendered as a multi-valued decision diagram over the keys in their
    order (rows sharing a prefix share its test; equal sets of suffixes share one node), so
    the formula grows with the diagram, not with the number of rows."""

    def __init__(self, name: str, keys: list[str]) -> None:
        self.name, self.keys = name, keys
        self.get = itemgetter(*keys) if len(keys) > 1 else (lambda v, k=keys[0]: (v[k],))
        self.rows: set[tuple[Any, ...]] = set()
        self._diagram: Diagram | None = None
        self._nrows = 0

    @property
    def nrows(self) -> int:
        """The number of rows (mined, or recorded with a loaded diagram)."""
        return len(self.rows) or self._nrows

    def set_diagram(self, diagram: Diagram, nrows: int) -> None:
        """Use a diagram read from a lemma certificate (:mod:`checker.engines.smt.certificate`)."""
        self._diagram, self._nrows = diagram, nrows

    def add(self, derived: Vals) -> None:
        self.rows.add(self.get(derived))

    def diagram(self) -> Diagram:
        """The rows as a reduced diagram: (root, {node: (depth, ((value, child), ...))});
        node 0 is the accepting leaf, and a node's children have smaller numbers."""
        if self._diagram is None:
            self._diagram = self._build()
        return self._diagram

    def _build(self) -> Diagram:
        rows = sorted(self.rows)
        nodes: dict[int, tuple[int, tuple[tuple[Any, int], ...]]] = {}
        ids: dict[tuple[int, tuple[tuple[Any, int], ...]], int] = {}
        depth = len(self.keys)

        def build(d: int, lo: int, hi: int) -> int:
            if d == depth:
                return 0
            edges = []
            j = lo
            while j < hi:
                v, k = rows[j][d], j
                while k < hi and rows[k][d] == v:
                    k += 1
                edges.append((v, build(d + 1, j, k)))
                j = k
            node = (d, tuple(edges))
            if node not in ids:
                ids[node] = len(ids) + 1
                nodes[ids[node]] = node
            return ids[node]

        return build(0, 0, len(rows)), nodes

    def holds(self, S: Frame, terms: Terms) -> z3.BoolRef:
        if not self.nrows:
            return z3.BoolVal(False)
        root, nodes = self.diagram()
        exprs = [terms.expr(k, S) for k in self.keys]
        memo: dict[int, Any] = {0: z3.BoolVal(True)}
        for nid in sorted(nodes):  # children are numbered before their parents
            d, edges = nodes[nid]
            memo[nid] = z3.Or([z3.And(exprs[d] == v, memo[c]) for v, c in edges])
        return memo[root]  # type: ignore[no-any-return]


def candidates(L: Layout) -> list[Projection]:
    """The candidate lemmas of a layout (rows still empty)."""
    w, nt, T = L.world, len(L.threads), Terms
    out = []
    for t, name in enumerate(L.threads):
        keys = [f"t{t}.{f}" for f in
                ("kind", "block", "req", "via", "pc", "otype", "event", "cb", "chain_ret", "a0",
                 "a1", "a2", "a3", "zone", "lock", "next", "stale") if f not in DATA]
        keys += [T.held(lk, t) for lk in L.locks]
        out.append(Projection(f"control:{name}", keys))
    keys = ["lock:" + lk for lk in L.locks]
    keys += [f"t{t}.{f}" for t in range(nt) for f in ("kind", "block", "pc", "next", "lock")]
    out.append(Projection("locks", keys))
    bfields = ("present", "registered", "resource", "state", "pages", "zones", "otype")
    for i, b in enumerate(w.blocks):
        keys = [f"b{i}.{f}" for f in bfields]
        keys += [f"b{i}.{lk}{n}" for lk in ("link", "back") for n in range(L.nnodes)]
        keys += ["lock:" + lk for lk in L.locks]
        keys += [T.on(t, i, f) for t in range(nt) for f in CTL]
        out.append(Projection(f"block:memory{b.id}", keys))
    for n in range(L.nnodes):
        keys = [f"n{n}.online", f"n{n}.present", f"slub{n}"] + [f"n{n}.{f}" for f in L.flags]
        for i, b in enumerate(w.blocks):
            if b.node == n:
                keys += [f"b{i}.{f}" for f in ("present", "state", "pages", "zones")]
                keys += [T.on(t, i, f) for t in range(nt) for f in CTL + ("a2", "a3", "zone")]
        out.append(Projection(f"node:{n}", keys))
    return out


def mine(sy: System, budget: int = STATE_BUDGET, deadline: float = float("inf")
         ) -> tuple[list[Projection], int, bool]:
    """The candidates with the rows of the spec's first ``budget`` reached states (breadth
    first, stopped early at ``deadline``); also the number of states and whether the search
    was complete."""
    search = _Rows(sy)
    r = reach(search, max_states=budget + 1, deadline=deadline)
    return search.cands, r.states, r.complete


class _Rows(Plain):
    """Lemma mining as a search: each expanded state adds its row to every candidate."""

    def __init__(self, sy: System) -> None:
        super().__init__(sy.model(), exact=True)
        self.encode = sy.L.encode
        self.cands = candidates(sy.L)
        self.terms = Terms(sy.L)

    def visit(self, key: Any, node: Any, depth: int) -> None:
        derived = self.terms.values(self.encode(node))
        for c in self.cands:
            c.add(derived)


@dataclass
class HoudiniResult:
    k: int
    kept: list[str]
    #: dropped candidate -> why (base case at depth d, or the step case's pre-state)
    dropped: dict[str, str] = field(default_factory=dict)
    queries: int = 0


def houdini(sat: Callable[..., Any], sy: System, preds: dict[str, Callable[[Frame], Any]],
            k: int, assume: Iterable[Callable[[Frame], Any]] = ()) -> HoudiniResult:
    """The largest subset of ``preds`` that holds initially and is k-inductive (simple paths).
    ``assume``: predicates already proved of every reachable state, assumed in every frame of
    the step case.

    ``sat`` is :meth:`checker.engines.smt.bmc.Checker._sat` (a model or None; it raises Timeout)."""
    res = HoudiniResult(k, list(preds))
    init = [sy.init(0)] + [sy.trans(i) for i in range(k - 1)]
    for d in range(k):  # base case: one query for all, repeated without what it refutes
        while res.kept:
            res.queries += 1
            now = {n: preds[n](sy.frame(d)) for n in res.kept}
            m = sat(*init[:d + 1], z3.Not(z3.And(list(now.values()))))
            if m is None:
                break
            for n, e in now.items():
                if not z3.is_true(m.eval(e, model_completion=True)):
                    res.kept.remove(n)
                    res.dropped[n] = f"fails in a state {d} steps from the initial one"
    frames = [sy.frame(i) for i in range(k + 1)]
    fixed = [sy.L.domain(f) for f in frames] + [sy.trans(i) for i in range(k)] + sy.distinct(0, k)
    fixed += [a(f) for a in assume for f in frames]
    while res.kept:
        hyp = [preds[n](frames[i]) for i in range(k) for n in res.kept]
        post = {n: preds[n](frames[k]) for n in res.kept}
        res.queries += 1
        m = sat(*fixed, *hyp, z3.Not(z3.And(list(post.values()))))
        if m is None:
            break
        pre = sy.L.describe(sy.L.read_model(m, frames[0]))
        for n, e in post.items():
            if not z3.is_true(m.eval(e, model_completion=True)):
                res.kept.remove(n)
                res.dropped[n] = f"not {k}-inductive with the rest; pre-state: {pre}"
    return res


def conjunction(sy: System, props: Props, names: Iterable[str], lemmas: list[Projection]
                ) -> dict[str, Callable[[Frame], Any]]:
    """The candidates of one Houdini run: the invariants ``names`` and the lemmas (each built
    once on the relation's template frame and substituted into the frames asked for)."""
    out: dict[str, Callable[[Frame], Any]] = {}
    templates = {n: props.holds(n, sy.X) for n in names}
    terms = Terms(sy.L)
    templates.update({c.name: c.holds(sy.X, terms) for c in lemmas if c.nrows})
    memo: dict[tuple[str, int], Any] = {}

    def at(name: str, S: Frame) -> Any:
        key = (name, id(S))
        if key not in memo:
            memo[key] = (S, sy.subst(templates[name], S, None, sy.sel))
        return memo[key][1]

    for n in templates:
        out[n] = lambda S, n=n: at(n, S)
    return out
