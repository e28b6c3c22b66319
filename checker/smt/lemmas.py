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

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import z3

from checker.smt.encoding import Layout
from checker.smt.props import Props
from checker.smt.system import System

Frame = dict[str, Any]
Vals = dict[str, Any]
#: a term of a projection: its value on an encoded state, its Z3 expression on a frame
Term = tuple[Callable[[Vals], Any], Callable[[Frame], Any]]
#: reached states for the candidates (a larger world's candidates come from a prefix of its
#: breadth-first search; Houdini then drops those the prefix made too strong)
STATE_BUDGET = 20000
#: thread fields left out of ``control``: data, not control
DATA = ("count",)
#: what a block or node lemma knows of a thread working on the block
CTL = ("kind", "pc", "next", "event", "req", "via", "lock", "ret", "chain_ret", "cb", "stale")


def _field(name: str) -> Term:
    return (lambda v: v[name], lambda S: S[name])


def _held(lock: str, t: int) -> Term:
    return (lambda v: v["lock:" + lock] == t, lambda S: S["lock:" + lock] == t)


def _on(t: int, i: int, f: str) -> Term:
    """Field f of thread t if it works on block i, else 0."""
    k, b, x = f"t{t}.kind", f"t{t}.block", f"t{t}.{f}"
    off: Any = False if f == "stale" else 0
    return (lambda v: v[x] if v[k] != 0 and v[b] == i else off,
            lambda S: z3.If(z3.And(S[k] != 0, S[b] == i), S[x], off))


class Projection:
    """A candidate lemma: the state's projection on ``terms`` is one of ``rows``."""

    def __init__(self, name: str, terms: list[Term]) -> None:
        self.name, self.terms = name, terms
        self.rows: set[tuple[Any, ...]] = set()

    def add(self, vals: Vals) -> None:
        self.rows.add(tuple(py(vals) for py, _ in self.terms))

    def holds(self, S: Frame) -> z3.BoolRef:
        exprs = [zf(S) for _, zf in self.terms]
        return z3.Or([z3.And([e == v for e, v in zip(exprs, row)]) for row in sorted(self.rows)])


def candidates(L: Layout) -> list[Projection]:
    """The candidate lemmas of a layout (rows still empty)."""
    w, nt = L.world, len(L.threads)
    out = []
    for t, name in enumerate(L.threads):
        terms = [_field(f"t{t}.{f}") for f in
                 ("kind", "block", "req", "via", "pc", "otype", "event", "cb", "chain_ret", "a0",
                  "a1", "a2", "a3", "zone", "lock", "next", "stale") if f not in DATA]
        terms += [_held(lk, t) for lk in L.locks]
        out.append(Projection(f"control:{name}", terms))
    terms = [_field("lock:" + lk) for lk in L.locks]
    terms += [_field(f"t{t}.{f}") for t in range(nt) for f in ("kind", "block", "pc", "next", "lock")]
    out.append(Projection("locks", terms))
    bfields = ("present", "registered", "resource", "state", "pages", "zones", "otype")
    for i, b in enumerate(w.blocks):
        terms = [_field(f"b{i}.{f}") for f in bfields]
        terms += [_field(f"b{i}.{lk}{n}") for lk in ("link", "back") for n in range(L.nnodes)]
        terms += [_field("lock:" + lk) for lk in L.locks]
        terms += [_on(t, i, f) for t in range(nt) for f in CTL]
        out.append(Projection(f"block:memory{b.id}", terms))
    for n in range(L.nnodes):
        terms = [_field(f"n{n}.online"), _field(f"n{n}.present"), _field(f"slub{n}")]
        terms += [_field(f"n{n}.{f}") for f in L.flags]
        for i, b in enumerate(w.blocks):
            if b.node == n:
                terms += [_field(f"b{i}.{f}") for f in ("present", "state", "pages", "zones")]
                terms += [_on(t, i, f) for t in range(nt) for f in CTL + ("a2", "a3", "zone")]
        out.append(Projection(f"node:{n}", terms))
    return out


def mine(sy: System, budget: int = STATE_BUDGET, deadline: float = float("inf")
         ) -> tuple[list[Projection], int, bool]:
    """The candidates with the rows of the spec's first ``budget`` reached states (breadth
    first, stopped early at ``deadline``); also the number of states and whether the search
    was complete."""
    sm = sy.model()
    cands = candidates(sy.L)
    s0 = sm.initial()[0]
    seen, queue = {s0}, deque([s0])
    while queue and len(seen) <= budget and time.monotonic() < deadline:
        s = queue.popleft()
        vals = sy.L.encode(s)
        for c in cands:
            c.add(vals)
        for _a, s2, _obs in sm.successors(s):
            if s2 not in seen:
                seen.add(s2)
                queue.append(s2)
    return cands, len(seen), not queue


@dataclass
class HoudiniResult:
    k: int
    kept: list[str]
    #: dropped candidate -> why (base case at depth d, or the step case's pre-state)
    dropped: dict[str, str] = field(default_factory=dict)
    queries: int = 0


def houdini(sat: Callable[..., Any], sy: System, preds: dict[str, Callable[[Frame], Any]],
            k: int) -> HoudiniResult:
    """The largest subset of ``preds`` that holds initially and is k-inductive (simple paths).

    ``sat`` is :meth:`checker.smt.bmc.Checker._sat` (a model or None; it raises Timeout)."""
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
    fixed = [sy.L.domain(f) for f in frames] + [sy.trans(i) for i in range(k)]
    for i in range(k + 1):
        for j in range(i + 1, k + 1):
            fixed.append(z3.Or([frames[i][v] != frames[j][v] for v in sy.L.names]))
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
    templates.update({c.name: c.holds(sy.X) for c in lemmas if c.rows})
    memo: dict[tuple[str, int], Any] = {}

    def at(name: str, S: Frame) -> Any:
        key = (name, id(S))
        if key not in memo:
            memo[key] = (S, sy.subst(templates[name], S, None, sy.sel))
        return memo[key][1]

    for n in templates:
        out[n] = lambda S, n=n: at(n, S)
    return out
