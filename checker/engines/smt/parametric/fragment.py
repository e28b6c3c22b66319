"""Check that the proof queries stay in the decidable fragment (EPR with stratified functions).

Models: the quantifier-alternation graph of mypyvy/Ivy. For every formula that enters a query,
in the polarity it enters with (invariants assumed in the pre-state, negated in the post-state;
axioms, initial states and transitions assumed), an existential quantifier under a universal one
adds an edge from the universal variable's sort to the existential's, and every function from a
sort to an uninterpreted sort adds an edge too. The fragment is decidable when the graph has no
cycle (Z3 then instantiates finitely many terms, and its answers are complete).
"""

from __future__ import annotations

from typing import Any

import z3

UNINTERPRETED = ("B", "N", "C", "T")


def edges(e: Any, positive: bool = True) -> set[tuple[str, str]]:
    """Alternation edges of ``e`` asserted with the given polarity (sort names)."""
    out: set[tuple[str, str]] = set()

    def go(x: Any, pos: bool, univ: tuple[str, ...]) -> None:
        if z3.is_quantifier(x):
            names = [x.var_sort(i).name() for i in range(x.num_vars())]
            forall = x.is_forall() == pos
            if forall:
                go(x.body(), pos, univ + tuple(names))
            else:
                out.update((u, n) for u in univ for n in names)
                go(x.body(), pos, univ)
            return
        if z3.is_not(x):
            go(x.arg(0), not pos, univ)
        elif z3.is_and(x) or z3.is_or(x):
            for c in x.children():
                go(c, pos, univ)
        elif z3.is_implies(x):
            go(x.arg(0), not pos, univ)
            go(x.arg(1), pos, univ)
        elif z3.is_app(x) and (z3.is_eq(x) or z3.is_app_of(x, z3.Z3_OP_ITE) or z3.is_distinct(x)) \
                and any(z3.is_bool(c) for c in x.children()):
            for c in x.children():  # both polarities
                go(c, True, univ)
                go(c, False, univ)
        elif z3.is_app(x):
            for c in x.children():
                go(c, pos, univ)

    go(e, positive, ())
    return out


def function_edges(sig: Any) -> set[tuple[str, str]]:
    """Edges of the state functions into uninterpreted sorts (``blk``: threads to blocks)."""
    from checker.engines.smt.parametric.vocab import STATE

    out = set()
    for args, rng in STATE.values():
        if rng in UNINTERPRETED:
            out.update((sig.sort(a).name(), sig.sort(rng).name()) for a in args)
    return out


def acyclic(graph: set[tuple[str, str]]) -> bool:
    nodes = {a for a, _ in graph} | {b for _, b in graph}
    succ = {n: {b for a, b in graph if a == n} for n in nodes}
    state: dict[str, int] = {}

    def visit(n: str) -> bool:
        state[n] = 1
        for m in succ[n]:
            if state.get(m) == 1 or (m not in state and not visit(m)):
                return False
        state[n] = 2
        return True

    return all(state.get(n) == 2 or visit(n) for n in nodes)
