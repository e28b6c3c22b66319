"""The compiled explorer: breadth first over packed ints, with the interpreted explorer's result.

Models: the explorer of :mod:`checker.engines.explore` on the spec of one world and profile,
run on the code :mod:`checker.engines.compiled.codegen` generates from the one definition of
the steps and of the Monitor's history. A search state is one int (:mod:`.pack`); two are the
same search state exactly when the interpreted explorer's keys, (state key, Monitor state), are
equal, so states, transitions, depth, findings and twins are the same numbers.

The history findings and twins come from the generated code, with causes filled in from the
state before the step. The state checks (state strings, SLUB structures, page accounting, node
state, sysfs) are the spec's Monitor's own, run on the decoded machine once per distinct
(machine, blocks in flight) and cached, as the interpreted Monitor caches them. Each finding's
trace is rebuilt from the parent map, replayed through the interpreted spec for its
observations, and judged again by the interpreted Monitor, which must report the same
(invariant, cause) at its last step; otherwise the run stops with :class:`Disagreement` (an
internal error, never a verdict).

Leaves out: models other than the spec (the kernel mirrors run interpreted), symmetry and
partial-order reduction.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Callable

from checker.engines.compiled.codegen import CompileError, generate
from checker.engines.compiled.notes import NotedSystem
from checker.engines.compiled.pack import Packing
from checker.engines.explore import ExploreResult, Hit, key_chain
from checker.engines.reach import RSS_EVERY, rss_bytes
from checker.engines.smt.symbolic import SymbolicError, Timeout
from checker.formats.traces import Trace, annotate, judge
from checker.model import SpecModel
from spec.actions import Action
from spec.errors import MemhpError
from spec.invariants import Monitor, Violation


class Disagreement(MemhpError):
    """The compiled and the interpreted spec differ: an internal error of the code generator."""


#: the time code generation may take before the compiled search gives up (``auto`` then runs
#: the interpreted search)
COMPILE_SECONDS = 120


class DomainEscape(MemhpError):
    """A computed value left the bits its field is packed in: the compiled search cannot go on
    (``explore(engine="auto")`` runs the interpreted search instead)."""


def _escape(path: int, field: str, value: int) -> None:
    raise DomainEscape(f"the compiled search stops: path {path} sets {field} to {value}, outside "
                       "the bits it is packed in; run it with --engine interpreted")


def compilable(model: Any) -> str | None:
    """None if ``model`` is the spec (the one model the code generator compiles), else why not."""
    if type(model) is not SpecModel:
        return "only the spec is compiled; the kernel mirrors and patched mirrors run interpreted"
    return None


class Compiled:
    """The generated successor function of ``model`` (a SpecModel) and what reads it."""

    def __init__(self, model: SpecModel, deadline: float | None = None) -> None:
        self.model = model
        t0 = time.monotonic()
        sy = NotedSystem(model.world, model.profile, model.steps_class, deadline)
        s0 = model.initial()[0]
        self.P = Packing(sy.L, s0.machine)
        self.source = generate(sy, self.P)
        digest = hashlib.sha256(self.source.encode()).hexdigest()[:12]
        ns: dict[str, Any] = {"_escape": _escape}
        exec(compile(self.source, f"<memhp-compiled {model.world.name} {model.profile.name} {digest}>",
                     "exec"), ns)
        self.expand: Callable[..., None] = ns["expand"]
        self.causes: tuple[Callable[[int], str], ...] = ns["CAUSES"]
        self.cause_of: list[tuple[int, str]] = ns["CAUSE_OF"]
        self.twin_names: list[str] = ns["TWINS"]
        self.actions: list[Action] = [p.action for p in sy.paths]
        self.initial = self.P.pack(sy.initial_values())
        # the Z3 terms of the system are not kept: the search needs only the code
        if self.P.decode_state(self.initial) != model.initial()[0]:
            raise Disagreement("the compiled initial state is not the spec's")
        self.seconds = time.monotonic() - t0


def explore_compiled(model: SpecModel, max_depth: int | None = None,
                     stop_on: set[str] | None = None,
                     progress: Callable[[int, int, int, float], None] | None = None,
                     max_states: int | None = None, max_rss: int | None = None,
                     compiled: Compiled | None = None) -> ExploreResult:
    """:func:`checker.engines.explore.explore` of ``model`` on its compiled form (module
    docstring); the budgets mean what they mean there."""
    if compiled is None:
        try:
            compiled = Compiled(model, time.monotonic() + COMPILE_SECONDS)
        except Timeout:
            raise CompileError(f"generating the code for world {model.world.name} took over "
                               f"{COMPILE_SECONDS} s") from None
        except SymbolicError as e:
            raise CompileError(f"the steps of world {model.world.name} cannot be compiled: {e}") from None
    c = compiled
    res = ExploreResult()
    res.compile_seconds = c.seconds
    t0 = time.monotonic()
    P, expand, causes, cause_of, twin_names = c.P, c.expand, c.causes, c.cause_of, c.twin_names
    # the key: every field but the write byte counts (SpecModel.key), or all of them
    key_mask = P.key_mask if model.reduce else P.full
    check_mask = P.check_mask
    monitor = Monitor(model.world, model.profile, model.threads, True)
    s0 = c.initial
    st0 = P.decode_state(s0)
    _, v0, tw0 = monitor.initial(st0.machine, model.view(st0))
    stop_on = stop_on or set()
    hits: dict[tuple[str, str], tuple[Violation, int | None, int, int]] = {}
    for v in v0:
        hits.setdefault((v.invariant, v.cause), (v, None, -1, 0))
    for tw in tw0:
        res.twins.setdefault(tw, 0)
    twin_seen = set(res.twins)
    checks: dict[int, tuple[tuple[Violation, ...], frozenset[str]]] = {}
    clean: tuple[tuple[Violation, ...], frozenset[str]] = ((), frozenset())

    def state_checks(s2: int) -> tuple[tuple[Violation, ...], frozenset[str]]:
        st = P.decode_state(s2)
        busy = frozenset(op.block for op in st.threads if op is not None)
        v: list[Violation] = []
        tw: set[str] = set()
        monitor._always(st.machine, busy, v, tw)
        if st.quiescent:
            monitor._quiescent(st.machine, model.view(st), v, tw)
        out = (tuple(v), frozenset(tw)) if v or tw else clean  # one object for every clean state
        checks[s2 & check_mask] = out
        return out

    # parent map: each stored key points at its parent's key, the very object stored as that
    # key (fkeys), so a stored state costs one dict entry and one int
    k0 = s0 & key_mask
    parent: dict[int, int] = {k0: -1}
    frontier, fkeys = [s0], [k0]
    level = maxd = transitions = 0
    stop = False
    cut: str | None = None
    last = t0
    expanded = 0
    out: list[int] = []
    lab: list[int] = []
    bad: list[tuple[int, int]] = []
    tw: list[tuple[int, int]] = []
    while frontier:
        if max_depth is not None and level >= max_depth:
            cut = "depth"
            break
        nxt: list[int] = []
        nkeys: list[int] = []
        d2 = level + 1
        for s, sk in zip(frontier, fkeys):
            if max_states is not None and len(parent) >= max_states:
                cut = "states"
                break
            if max_rss is not None and expanded % RSS_EVERY == 0:
                used = rss_bytes()
                if used is not None and used > max_rss:
                    cut = "memory"
                    break
            expanded += 1
            out.clear()
            lab.clear()
            expand(s, out, lab, bad, tw)
            transitions += len(out)
            if bad:
                for i, k in bad:
                    key = (cause_of[k][1], causes[k](s))
                    if key not in hits:
                        hits[key] = (Violation(key[0], key[1], ""), sk, lab[i], d2)
                    if key[0] in stop_on:
                        stop = True
                bad.clear()
            if tw:
                for k, _ in tw:
                    name = twin_names[k]
                    if name not in twin_seen:
                        twin_seen.add(name)
                        res.twins[name] = d2
                tw.clear()
            for i, s2 in enumerate(out):
                k2 = s2 & key_mask
                if k2 in parent:  # judged when first reached: its hits and twins are recorded
                    continue
                ck = checks.get(s2 & check_mask)
                if ck is None:
                    ck = state_checks(s2)
                if ck[0] or ck[1]:
                    for v in ck[0]:
                        key = (v.invariant, v.cause)
                        if key not in hits:
                            hits[key] = (v, sk, lab[i], d2)
                        if v.invariant in stop_on:
                            stop = True
                    for name in ck[1]:
                        if name not in twin_seen:
                            twin_seen.add(name)
                            res.twins[name] = d2
                parent[k2] = sk
                nxt.append(k2 if k2 == s2 else s2)  # one object where the key is the state
                nkeys.append(k2)
            if stop:
                cut = "stop"
                break
            if progress is not None and not expanded & 0x3FF:
                now = time.monotonic()
                if now - last > 1.0:
                    progress(len(parent), transitions, level, now - t0)
                    last = now
        if nxt:
            maxd = d2
        if progress is not None and cut is None:
            now = time.monotonic()
            if now - last > 1.0:
                progress(len(parent), transitions, d2, now - t0)
                last = now
        if cut is not None:
            break
        frontier, fkeys, level = nxt, nkeys, d2
    res.states, res.transitions, res.depth = len(parent), transitions, maxd
    if cut is not None:
        res.complete, res.cut, res.checked = False, cut, level
    res.seconds = time.monotonic() - t0
    for key, (v, pkey, p, d) in hits.items():
        res.traces[key], hit = _trace(c, model, parent, pkey, p, v, key_mask)
        res.hits[key] = Hit(hit, pkey, c.actions[p] if p >= 0 else None,
                            res.traces[key].steps[-1].obs if p >= 0 else None, d)
    return res


def _trace(c: Compiled, model: SpecModel, parent: dict[int, int], pkey: int | None, p: int,
           v: Violation, key_mask: int) -> tuple[Trace, Violation]:
    """The shortest trace to the finding: the keys from the start to ``pkey`` followed on full
    states, then path ``p``; replayed through the spec and judged by its Monitor."""
    actions: list[Action] = []
    if pkey is not None:
        keys = key_chain(parent, pkey)
        s = c.initial
        out: list[int] = []
        lab: list[int] = []
        for k in keys[1:]:
            out.clear()
            lab.clear()
            c.expand(s, out, lab, [], [])
            i = next(i for i, s2 in enumerate(out) if s2 & key_mask == k)
            actions.append(c.actions[lab[i]])
            s = out[i]
        actions.append(c.actions[p])
    steps, vs = judge(model, actions)
    same = [x for x in vs if (x.invariant, x.cause) == (v.invariant, v.cause)]
    if not same:
        raise Disagreement(f"the compiled spec reports {v.invariant} ({v.cause}) after "
                           f"{len(actions)} steps; the interpreted spec's Monitor does not")
    hit = same[0]
    t = Trace(model.profile.name, model.world, steps, hit.invariant, hit.cause, hit.message)
    return annotate(t, model), hit


__all__ = ["Compiled", "Disagreement", "DomainEscape", "compilable", "explore_compiled"]
