"""Agreement of the Z3 relation with the spec and the Monitor (test helpers).

The backbone of the Z3 engine's tests: on the reachable states (or (state, Monitor state) pairs)
of small worlds, the successors the relation admits are exactly the spec's (the two
interpretations of spec/steps agree), each encoded state invariant says what the Monitor says,
and each path's ghost update and history predicates are the Monitor's own (the two
interpretations of spec/history agree). Paths are compiled to Python (pyeval) so that thousands
of states take seconds.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator
from typing import Any

import z3

from checker.engines.explore import explore, verdicts
from checker.engines.reach import Monitored, Plain, reach
from checker.model import SpecModel
from checker.engines.smt.bmc import Checker
from checker.engines.smt.ghosts import GHOST_INVARIANTS, GhostSystem
from checker.engines.smt.props import Props
from checker.engines.smt.system import System
from spec.invariants import Monitor
from spec.steps import Steps
from tests.checker.engines.smt.pyeval import compile_conj, compile_term


def bfs(sm: SpecModel, limit: int | None) -> list[Any]:
    """The spec's reachable states, breadth first (the first ``limit``)."""
    search = _States(sm, exact=True)
    reach(search, max_states=limit)
    return search.states[:limit]


class _States(Plain):
    """Every state in the order the reach first sees it."""

    def __init__(self, sm: SpecModel, exact: bool = False) -> None:
        super().__init__(sm, exact)
        self.states: list[Any] = []

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        for k, s, label in super().starts():
            self.states.append(s)
            yield k, s, label

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        for a, k2, s2 in super().successors(key, node, depth):
            if k2 not in self.reached.parent:  # the reach stores k2 before this resumes
                self.states.append(s2)
            yield a, k2, s2


def monitor_says(sm: SpecModel, mon: Monitor, s: Any) -> set[str]:
    """The state invariants the Monitor reports in ``s``."""
    m = sm.machine(s)
    busy = frozenset(op.block for op in s.threads if op is not None)
    v: list = []
    mon._always(m, busy, v, set())
    if sm.quiescent(s):
        mon._quiescent(m, sm.view(s), v, set())
    return {x.invariant for x in v}


def state_agreement(sm: SpecModel, sy: System, states: list[Any]) -> None:
    """On each state: the relation's successors are the spec's, and each encoded state
    invariant holds exactly where the Monitor reports no violation of it."""
    P = Props(sy.L)
    mon = Monitor(sm.world, sm.profile, sm.threads, True)
    s0 = sm.initial()[0]
    mon.initial(sm.machine(s0), sm.view(s0))
    solver = z3.Solver()
    for s in dict.fromkeys(states):
        want: dict = {}
        for a, s2, _ in sm.successors(s):
            assert a not in want
            want[a] = sy.L.encode(s2)
        vals = sy.L.encode(s)
        got: dict = {}
        for a, v in sy.successors(vals, solver):
            assert a not in got, f"two successors for {a}"
            got[a] = v
        assert got == want, sy.L.describe(vals)
        says = monitor_says(sm, mon, s)
        for name in P.names():
            holds = z3.simplify(z3.substitute(P.holds(name, sy.X), *[
                (sy.X[k], z3.BoolVal(x) if isinstance(x, bool) else z3.BitVecVal(x, 32))
                for k, x in vals.items()]))
            assert z3.is_true(holds) == (name not in says), (name, sy.L.describe(vals))


def history_agreement(sy: GhostSystem, limit: int | None = None) -> dict[str, int]:
    """On every reachable (state, Monitor state) pair (the first ``limit``): each successor
    takes exactly one path, whose update gives the spec's next state and the Monitor's next
    ghosts, and whose predicates are true exactly for the history invariants the Monitor
    reports on that step. Returns, per invariant, how many steps break it."""
    sm = sy.model()
    L = sy.L
    guards = [compile_conj(p.guard) for p in sy.paths]
    upd = [{k: compile_term(v) for k, v in p.upd.items()} for p in sy.paths]
    bad = [{n: compile_term(b[n]) for n in GHOST_INVARIANTS} for b in sy.path_bad]
    by_action: dict = {}
    for k, p in enumerate(sy.paths):
        by_action.setdefault(p.action, []).append(k)
    mon = Monitor(sy.world, sm.profile, sm.threads, True)
    s0 = sm.initial()[0]
    ms0, _, _ = mon.initial(sm.machine(s0), sm.view(s0))
    assert {**L.encode(s0), **L.encode_ghosts(ms0)} == sy.initial_values()
    hits = {n: 0 for n in GHOST_INVARIANTS}

    class Agree(Monitored):
        says: dict[Any, list[Any]]  # this expansion's violations by action

        def found(self, vs: list[Any], twins: Any, key: Any, a: Any, obs: Any, depth: int) -> None:
            if a is not None:
                self.says[a] = vs

        def successors(self, key: Any, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
            s, ms = node
            vals = {**L.encode(s), **L.encode_ghosts(ms)}
            en: dict = {}
            for a, ks in by_action.items():
                for k in ks:
                    if guards[k](vals):
                        assert a not in en, f"two paths for {a}"
                        en[a] = k
            self.says = {}
            succ = list(super().successors(key, node, depth))
            assert set(en) == {label[0] for label, _, _ in succ}, L.describe(vals)
            for (a, _obs, _post), _k2, (s2, ms2) in succ:
                vs = self.says.get(a, [])
                k = en[a]
                nxt = dict(vals)
                for f, fn in upd[k].items():
                    v = fn(vals)
                    nxt[f] = bool(v) if f in L.bools else int(v)
                want = {**L.encode(s2), **L.encode_ghosts(ms2)}
                assert nxt == want, (a, sorted(f for f in want if nxt[f] != want[f]), L.describe(vals))
                says = {v.invariant for v in vs}
                for n in GHOST_INVARIANTS:
                    got = bool(bad[k][n](vals))
                    assert got == (n in says), (n, a, [v.message for v in vs], L.describe(vals))
                    hits[n] += got
            return succ

    reach(Agree(sm, mon, exact=True), max_states=limit)
    return hits


def explorer_violated(w: Any, steps: type[Steps] = Steps) -> set[str]:
    m = SpecModel(w, steps=steps)
    return {v.name for v in verdicts(m, explore(m), None) if v.verdict == "violated"}


def explorer_shortest(m: SpecModel, inv: str) -> int:
    res = explore(m, stop_on={inv})
    return min(len(v.trace) for v in verdicts(m, res, None) if v.name == inv and v.trace)


def bmc_at_explorer_length(sy: System, inv: str) -> None:
    """BMC on ``sy`` finds ``inv`` at the explorer's shortest length on the same definition,
    with a trace of that length (decoded, replayed and judged by the Monitor)."""
    want = explorer_shortest(sy.model(), inv)
    o = Checker(sy, time.monotonic() + 300).bmc([inv], want)[inv]
    assert o.verdict == "violated" and o.bound == want and o.trace is not None
    assert len(o.trace) == want and o.trace.invariant == inv
