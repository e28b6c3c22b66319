"""The history invariants that need the Monitor's memory of an operation: ghost fields.

Models: ``notifier_protocol``, ``chain_order`` and ``rejected_write`` are judged by
spec/invariants.py's :class:`Monitor` on what an operation did since it began (which callees a
GOING_X reached and which of them answered it, the run of callees of the event being
delivered, the block's state when a write began, whether another thread changed that block
since). The spec's State does not hold that history, so :class:`GhostLayout` adds, per
thread, the fields of the Monitor's ``OpTrack`` these three read:

- ``rev`` / ``rlen`` / ``rstop``: the event of the current run of callees, its length (capped at
  the chain's length + 1: every longer run is judged alike) and whether its last callee's
  answer had NOTIFY_STOP_MASK;
- ``open`` / ``closed``: the GOING_X waiting to be closed, and the event that closed it;
- ``seen<c>`` / ``okg<c>`` / ``clo<c>``: callee c (by its place in the chain) got the GOING_X,
  answered it with neither an errno nor NOTIFY_STOP_MASK, got the closing event;
- ``pre`` / ``preot``: a write's block state (and online type) when the write began;
- ``calls`` / ``dist``: the operation made a notifier call; another thread changed the write's
  block (its state or online type) meanwhile.

:class:`GhostSystem` is the transition system with these fields: every path of the spec's step
(:mod:`checker.smt.symspec`) also updates them as Monitor.step would on that step's
observation (its calls, in order, each with the callee's answer, and the return value if the
operation returns), and carries, per invariant, the condition under which the Monitor reports
it on that step. An operation's ghosts are reset when it begins and when it returns; the
Monitor's "operation in flight" is the spec's operation record (``t<n>.kind`` non-zero), which
begins and ends in the same steps. The agreement test (tests/checker/smt/test_ghosts.py) runs
the Monitor along every reachable (state, Monitor state) pair and checks that the encoded
ghosts equal the Monitor's and each predicate is true exactly when the Monitor reports it; a
BMC counterexample is judged by the Monitor again (bmc._judge).

Leaves out: the 6.17 node notifier (NODE_* events; symspec renders the v3.4 and v6.1 steps),
and callees outside the world's chain in the callee sets (a call to one is a chain_order
violation at once; whether it answered the GOING_X is not tracked).
The base encoding and its lemma certificates do not change: only the three invariants here are
checked on this larger system.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import z3

from checker.smt.encoding import EVENTS, KINDS, OTYPES, STATES, Layout
from checker.smt.paths import And, If, Not, Or, Path, Val, num
from checker.smt.symspec import SymSpec
from checker.smt.system import System
from spec.actions import NOTIFY_STOP_MASK, notifier_to_errno
from spec.config import World
from spec.invariants import MonitorState
from spec.profiles import Profile

GHOST_INVARIANTS = ("notifier_protocol", "chain_order", "rejected_write")
GOING = ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE")
CLOSE = {"MEM_ONLINE": "MEM_GOING_ONLINE", "MEM_CANCEL_ONLINE": "MEM_GOING_ONLINE",
         "MEM_OFFLINE": "MEM_GOING_OFFLINE", "MEM_CANCEL_OFFLINE": "MEM_GOING_OFFLINE"}
EINVAL_RET = -22
SETS = ("seen", "okg", "clo")


def _eq(a: Val, b: Val) -> Val:
    if isinstance(a, z3.ExprRef) or isinstance(b, z3.ExprRef):
        return num(a) == num(b)
    return a == b


def _same(a: Val, b: Val) -> bool:
    """``a`` is syntactically ``b`` (a field the path leaves as it was)."""
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
        return bool(a.eq(b))
    return not isinstance(a, z3.ExprRef) and not isinstance(b, z3.ExprRef) and a == b


class GhostLayout(Layout):
    """The base layout and, per thread ``t``, the ghost fields ``g<t>.*`` (module docstring)."""

    def __init__(self, world: World, profile: Profile) -> None:
        super().__init__(world, profile)
        self.base_names = self.names
        mem_chain, _ = world.notifier_chains(profile.node_chain)
        self.chain = tuple(c.name for c in mem_chain)
        nc = len(self.chain)
        going = tuple(EVENTS.index(e) for e in GOING)
        closing = tuple(EVENTS.index(e) for e in CLOSE)
        for t in range(len(self.threads)):
            g = f"g{t}."
            self.bools += [g + "rstop", g + "calls", g + "dist"]
            self.bools += [f"{g}{s}{c}" for s in SETS for c in range(nc)]
            self.ints[g + "rev"] = (0,) + going + closing
            self.ints[g + "rlen"] = tuple(range(nc + 2))
            self.ints[g + "open"] = (0,) + going
            self.ints[g + "closed"] = (0,) + closing
            self.ints[g + "pre"] = (0,) + STATES
            self.ints[g + "preot"] = tuple(range(len(OTYPES)))
        self.names = tuple(self.bools) + tuple(self.ints)

    def idle_ghosts(self, t: int) -> dict[str, int | bool]:
        """Thread t's ghost fields with no operation in flight."""
        g = f"g{t}."
        return {n: (False if n in self.bools else 0) for n in self.names if n.startswith(g)}

    def encode_ghosts(self, ms: MonitorState) -> dict[str, int | bool]:
        """The ghost fields of a Monitor state (the agreement test's comparison key)."""
        out: dict[str, int | bool] = {}
        nc = len(self.chain)
        for t, op in enumerate(ms.ops):
            out.update(self.idle_ghosts(t))
            if op is None:
                continue
            g = f"g{t}."
            out[g + "rev"] = EVENTS.index(op.run_event) if op.run_event else 0
            out[g + "rlen"] = min(len(op.run), nc + 1)
            out[g + "rstop"] = bool(op.run and op.run_last_ret & NOTIFY_STOP_MASK)
            out[g + "open"] = EVENTS.index(op.open_event) if op.open_event else 0
            out[g + "closed"] = EVENTS.index(op.closed_by) if op.closed_by else 0
            for s, names in zip(SETS, (op.seen_going, op.ok_going, op.closers)):
                for c, cb in enumerate(self.chain):
                    out[f"{g}{s}{c}"] = cb in names
            out[g + "pre"] = op.pre_state
            out[g + "preot"] = OTYPES.index(op.pre_online_type)
            out[g + "calls"] = op.had_calls
            out[g + "dist"] = op.disturbed
        return out


class GhostSystem(System):
    """The transition system over :class:`GhostLayout`: each path also updates the ghosts, and
    ``path_bad`` holds, per path, when the Monitor reports each of GHOST_INVARIANTS."""

    L: GhostLayout

    def _layout(self, world: World, profile: Profile) -> Layout:
        return GhostLayout(world, profile)

    def _paths(self, sym: type[SymSpec]) -> list[Path]:
        out = []
        self.path_bad: list[dict[str, Val]] = []
        for path in super()._paths(sym):
            upd, bad = _ghost_step(self.L, self.X, path)
            out.append(replace(path, upd={**path.upd, **upd}))
            self.path_bad.append(bad)
        self._gbad: dict[str, z3.BoolRef] = {}
        return out

    def initial_values(self) -> dict[str, int | bool]:
        vals = super().initial_values()
        for t in range(len(self.L.threads)):
            vals.update(self.L.idle_ghosts(t))
        return vals

    def ghost_bad(self, name: str) -> z3.BoolRef:
        """The template: the step from X along path sel breaks ``name``."""
        if name not in self._gbad:
            from checker.smt.steps import path_disjunction

            self._gbad[name] = path_disjunction(self, [bad[name] for bad in self.path_bad])
        return self._gbad[name]

    def ghost_bad_at(self, name: str, k: int) -> z3.BoolRef:
        """Step k (frame k to k+1) breaks ``name``."""
        return self.subst(self.ghost_bad(name), self.frame(k), None, self.sel_at(k))  # type: ignore[return-value]


def _ghost_step(L: GhostLayout, X: dict[str, Any], path: Path) -> tuple[dict[str, Val], dict[str, Val]]:
    """The ghost fields a path writes and, per invariant, when its step breaks it: Monitor.step
    on this path's observation (module docstring), rendered over the pre-state X."""
    bad: dict[str, list[Val]] = {n: [] for n in GHOST_INVARIANTS}
    upd: dict[str, Val] = {}
    t, a, nt, nc = path.thread, path.action, len(L.threads), len(L.chain)
    write = KINDS.index("write")
    for k in range(nt):  # another thread changed a write's block: the write is disturbed
        if k == t:
            continue
        changed = []
        for i in range(L.nblocks):
            for f in ("state", "otype"):
                n = f"b{i}.{f}"
                if n in path.upd and not _same(path.upd[n], X[n]):
                    changed.append(And(_eq(X[f"t{k}.block"], i), Not(_eq(path.upd[n], X[n]))))
        if changed:
            d = f"g{k}.dist"
            upd[d] = Or(X[d], And(_eq(X[f"t{k}.kind"], write), Or(*changed)))
    if t < 0:
        if path.calls:
            bad["notifier_protocol"].append(True)
        return upd, {n: Or(*v) for n, v in bad.items()}
    g = f"g{t}."
    old: dict[str, Val] = {n[len(g):]: X[n] for n in L.names if n.startswith(g)}
    if a.kind in ("write", "hotadd", "hotremove"):  # the Monitor's new OpTrack
        ex: Val = True
        is_write: Val = a.kind == "write"
        new = {n[len(g):]: v for n, v in L.idle_ghosts(t).items()}
        if a.kind == "write":
            assert path.block is not None
            new["pre"] = X[f"b{path.block}.state"]
            if L.profile.online_types:
                new["preot"] = X[f"b{path.block}.otype"]
    else:
        ex = Not(_eq(X[f"t{t}.kind"], 0))
        is_write = _eq(X[f"t{t}.kind"], write)
        new = dict(old)
    np, co = bad["notifier_protocol"], bad["chain_order"]
    if path.calls:
        np.append(Not(ex))  # an event outside any operation
    for c in path.calls:
        ev, e = c.event, EVENTS.index(c.event)
        ci = L.chain.index(c.callback) if c.callback in L.chain else -1
        np.append(And(ex, Or(*[Not(_eq(X[f"g{k}.open"], 0)) for k in range(nt) if k != t])))
        same = _eq(new["rev"], e)
        rlen = If(same, new["rlen"], 0)
        co.append(And(ex, Or(And(same, new["rstop"]), Not(_eq(rlen, ci)))))
        co.append(And(ex, Not(same), Not(_eq(new["rev"], 0)), _lt(new["rlen"], nc), Not(new["rstop"])))
        if ev in GOING:
            np.append(And(ex, Not(same), Or(Not(_eq(new["open"], 0)), Not(_eq(new["closed"], 0)))))
            new["open"] = If(same, new["open"], e)
            if ci >= 0:
                new[f"seen{ci}"] = True
                if not notifier_to_errno(c.ret) and not c.ret & NOTIFY_STOP_MASK:
                    new[f"okg{ci}"] = True
        else:
            np.append(And(ex, Not(same), Not(_eq(new["open"], EVENTS.index(CLOSE[ev])))))
            new["open"] = If(same, new["open"], 0)
            new["closed"] = If(same, new["closed"], e)
            if ci >= 0:
                new[f"clo{ci}"] = True
            if ev in ("MEM_ONLINE", "MEM_OFFLINE"):
                np.append(And(ex, Not(new[f"seen{ci}"]) if ci >= 0 else True))
        new["calls"] = True
        new["rev"] = e
        new["rlen"] = If(_lt(rlen, nc + 1), num(rlen) + 1, nc + 1) if isinstance(rlen, z3.ExprRef) \
            else min(rlen + 1, nc + 1)
        new["rstop"] = bool(c.ret & NOTIFY_STOP_MASK)
    if path.end is not None:  # Monitor._end
        np.append(And(ex, Not(_eq(new["open"], 0))))
        co.append(And(ex, Not(_eq(new["rev"], 0)), _lt(new["rlen"], nc), Not(new["rstop"])))
        np += [And(ex, new[f"okg{c}"], Not(new[f"clo{c}"])) for c in range(nc)]
        if path.block is not None and is_write is not False:
            i, ret = path.block, path.end
            st = path.upd.get(f"b{i}.state", X[f"b{i}.state"])
            ot = path.upd.get(f"b{i}.otype", X[f"b{i}.otype"])
            otype_changed = Not(_eq(ot, new["preot"])) if L.profile.online_types else False
            bad["rejected_write"].append(And(
                ex, is_write, _lt(ret, 0), Not(new["dist"]),
                Or(Not(_eq(st, new["pre"])),
                   And(_eq(ret, EINVAL_RET), Or(new["calls"], otype_changed)))))
        new = {n[len(g):]: v for n, v in L.idle_ghosts(t).items()}
    for f, v in new.items():
        if not _same(v, old[f]):
            upd[g + f] = If(ex, v, old[f])
    return upd, {n: Or(*v) for n, v in bad.items()}


def _lt(a: Val, b: int) -> Val:
    return num(a) < b if isinstance(a, z3.ExprRef) else a < b
