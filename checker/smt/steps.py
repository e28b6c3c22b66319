"""The history invariants that are judged on one step, as predicates over a transition.

Models: ``bad(X, sel)``: the step that path ``sel`` takes from frame X breaks the invariant as
spec/invariants.py's :class:`Monitor` judges it. Each path (:mod:`checker.smt.paths`) knows its
notifier calls (event, callee, position in the chain, allocatability of the block, the nids of
``struct memory_notify``), its update (hence the post-state) and the thread and block of its
operation; the predicate is the disjunction over paths of ``sel == p`` and that path's verdict.

- ``alloc_going_online`` / ``alloc_online`` / ``alloc_going_offline`` / ``alloc_cancel_offline``
  (Monitor._alloc): each call of the event against the block's allocatability at the call (and,
  for CANCEL_OFFLINE, the block's pages after the step);
- ``status_change_nid``: at the call that starts a GOING_X event (Monitor._nid), the nids
  against the node's flags and pages before the step (the zone after it, for online's _normal);
  and a node whose memory flag flips in the step while the operation's pending nid is another
  (Monitor._flip). The Monitor's ``pending_nid`` is the status_change_nid of the operation's
  GOING call; the spec keeps it in the operation record: ``Op.arg[2]`` (``a2``) is written just
  before the GOING chain starts and never again in the operation, and ``Op.event`` is empty
  until the first chain of the operation, which is always its GOING_X. So pending_nid is ``a2``
  once ``event`` is set. With no callback on the chain nothing observes the nid, and the
  Monitor judges no flip; neither does this predicate. No ghost field is needed.
- ``remove_only_offline`` (Monitor._eject): the operation's block goes from present to absent
  while its pre-state is not offline, unless it reads going-offline and the operation's GOING was
  closed by MEM_OFFLINE. The Monitor's ``closed_by`` is the event of the first closing call;
  in the spec that is ``Op.event`` once a closing chain has started (its first call is made in
  the step that starts it, and no operation starts another chain after its closing one).

The "first call of an event" of the Monitor (its ``run`` of callees is empty) is the call at
chain position 0 here. These derivations hold of the spec's operations (and of a mutated spec
that keeps ``a2`` and ``event`` as the spec writes them: the agreement test runs on every step
mutant too); the agreement test
(tests/checker/smt/test_steps.py) checks on every reachable state of the tiny world, with the
Monitor's own state run along every path, that each predicate is true exactly when the Monitor
reports the violation; and a BMC counterexample is judged by the Monitor again (bmc._judge).

Leaves out: ``notifier_protocol``, ``chain_order`` and ``rejected_write`` (their verdicts need
per-operation history that the spec's state does not determine: they are judged over ghost
fields in :mod:`checker.smt.ghosts`), and the 6.17 node notifier (NODE_* events; symspec
renders the v3.4 and v6.1 steps, where ``struct memory_notify`` carries the nids).

k-induction of a step invariant (:func:`kind_step`, :func:`houdini_steps`): the step case has k
transitions from frame 0 to frame k; the hypotheses are the step invariants on steps 0..k-2,
proved state invariants and lemmas in every frame, the field domains and pairwise distinct frames
0..k-1; the goal is step k-1. The base case is BMC of the first k-1 steps. Sound by the usual
argument: a shortest run to a bad step has distinct states before that step, all reachable (so
they satisfy what is proved of reachable states), and all its earlier steps good.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from checker.smt.encoding import EVENTS, NONE
from checker.smt.paths import And, If, Not, Or, Path, Val, num
from checker.smt.system import System
from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE
from spec.state import KERNEL_ZONES

RES, ISO, ONL = 0, 1, 2
#: the step invariants, in the order of spec/invariants.py
STEP_INVARIANTS = ("alloc_going_online", "alloc_online", "alloc_going_offline",
                   "alloc_cancel_offline", "status_change_nid", "remove_only_offline")
GOING = ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE")
CLOSING = ("MEM_ONLINE", "MEM_CANCEL_ONLINE", "MEM_OFFLINE", "MEM_CANCEL_OFFLINE")
Frame = dict[str, Any]


def _eq(a: Val, b: Val) -> Val:
    if isinstance(a, z3.ExprRef) or isinstance(b, z3.ExprRef):
        return num(a) == num(b)
    return a == b


def _bool(v: Val) -> z3.BoolRef:
    return v if isinstance(v, z3.ExprRef) else z3.BoolVal(bool(v))


def path_disjunction(sy: System, per_path: list[Val]) -> z3.BoolRef:
    """``sel == k and per_path[k]`` for some path k (the paths whose term is false left out)."""
    parts = []
    for k, e in enumerate(per_path):
        if isinstance(e, z3.ExprRef):
            e = z3.simplify(e)
            if z3.is_false(e):
                continue
        elif not e:
            continue
        parts.append(z3.And(sy.sel == k, _bool(e)))
    return z3.Or(parts) if parts else z3.BoolVal(False)


class StepProps:
    """The step predicates of one transition system (built once on its template frame)."""

    def __init__(self, sy: System) -> None:
        self.sy, self.L = sy, sy.L
        self.w, self.p = sy.world, sy.profile
        self.mem_flag = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in self.p.node_flags else "N_MEMORY"
        self.has_chain = bool(self.w.chain())
        zt = self.L.zone_tuples
        self.zt_kernel = tuple(k for k, z in enumerate(zt) if any(x in KERNEL_ZONES for x in z))
        self._bad: dict[str, z3.BoolRef] = {}

    def names(self) -> list[str]:
        """Every step invariant applies to every world (explore.applicable)."""
        return list(STEP_INVARIANTS)

    def bad(self, name: str) -> z3.BoolRef:
        """The template: the step from sy.X along path sy.sel breaks ``name``."""
        if name not in self._bad:
            self._bad[name] = path_disjunction(self.sy, [self.path_bad(name, p) for p in self.sy.paths])
        return self._bad[name]

    def path_bad(self, name: str, path: Path) -> Val:
        """The step along ``path`` breaks ``name`` (a term over sy.X, or a Python bool)."""
        fn: Callable[[Path], Val] = getattr(self, "_" + name)
        return fn(path)

    def bad_at(self, name: str, k: int) -> z3.BoolRef:
        """Step k (frame k to frame k+1, selector sel@k) breaks ``name``."""
        sy = self.sy
        return sy.subst(self.bad(name), sy.frame(k), None, sy.sel_at(k))  # type: ignore[return-value]

    # --- reading a path -----------------------------------------------------------------------
    def _pre(self, name: str) -> Any:
        return self.sy.X[name]

    def _post(self, path: Path, name: str) -> Val:
        return path.upd.get(name, self.sy.X[name])

    def _in(self, v: Val, codes: tuple[int, ...]) -> Val:
        return Or(*[_eq(v, c) for c in codes]) if codes else False

    # --- alloc_* (Monitor._alloc) -------------------------------------------------------------
    def _alloc_going_online(self, path: Path) -> Val:
        return Or(*[c.alloc for c in path.calls if c.event == "MEM_GOING_ONLINE"])

    def _alloc_online(self, path: Path) -> Val:
        return Or(*[Not(c.alloc) for c in path.calls if c.event == "MEM_ONLINE"])

    def _alloc_going_offline(self, path: Path) -> Val:
        return Or(*[c.alloc for c in path.calls if c.event in ("MEM_GOING_OFFLINE", "MEM_OFFLINE")])

    def _alloc_cancel_offline(self, path: Path) -> Val:
        calls = [c for c in path.calls if c.event == "MEM_CANCEL_OFFLINE"]
        if not calls:
            return False
        assert path.block is not None
        pages = self._post(path, f"b{path.block}.pages")
        return And(Not(_eq(pages, RES)), Or(*[Not(c.alloc) for c in calls]))

    # --- status_change_nid (Monitor._nid, Monitor._flip) --------------------------------------
    def _status_change_nid(self, path: Path) -> Val:
        if path.thread < 0 or path.block is None:
            return False
        t, i = path.thread, path.block
        pending: Val = NONE
        if self.has_chain:
            pending = If(self._pre(f"t{t}.event") != 0, self._pre(f"t{t}.a2"), NONE)
        parts: list[Val] = []
        for c in path.calls:
            if c.event in GOING and c.pos == 0:
                parts.append(self._nid_bad(path, i, c.event, c.nid, c.nid_normal))
                pending = c.nid
        for n in range(self.L.nnodes if self.has_chain else 0):  # no callee: no witness (Monitor._flip)
            f = f"n{n}.{self.mem_flag}"
            flipped = Not(_eq(self._pre(f), self._post(path, f)))
            parts.append(And(flipped, Not(_eq(pending, n))))
        return Or(*parts)

    def _nid_bad(self, path: Path, i: int, event: str, nid: Val, nid_normal: Val) -> Val:
        spec = self.w.blocks[i]
        j, pages = spec.node, self.w.ram_pages(spec.id)
        flag = self._pre(f"n{j}.{self.mem_flag}")
        normal_flag = self._pre(f"n{j}.N_NORMAL_MEMORY") if self.p.nid_normal else False
        if event == "MEM_GOING_ONLINE":
            flips = And(Not(flag), pages > 0)
            flips_normal = And(Not(normal_flag), pages > 0,
                               self._in(self._post(path, f"b{i}.zones"), self.zt_kernel))
        else:
            own = If(self._pre(f"b{i}.pages") != RES, pages, 0)
            flips = And(flag, num(self._pre(f"n{j}.present")) - num(own) <= 0)
            normal: Any = num(0)
            for k, s in enumerate(self.w.blocks):
                if s.node == j:
                    live = And(self._pre(f"b{k}.pages") != RES,
                               self._in(self._pre(f"b{k}.zones"), self.zt_kernel))
                    normal = normal + num(If(live, self.w.ram_pages(s.id), 0))
            flips_normal = And(normal_flag, self._in(self._pre(f"b{i}.zones"), self.zt_kernel),
                               normal - num(own) <= 0)
        bad = Not(_eq(nid, If(flips, j, -1)))
        if self.p.nid_normal:
            bad = Or(bad, And(Not(_eq(nid_normal, NONE)),
                              Not(_eq(nid_normal, If(flips_normal, j, -1)))))
        return bad

    # --- remove_only_offline (Monitor._eject) -------------------------------------------------
    def _remove_only_offline(self, path: Path) -> Val:
        if path.thread < 0 or path.block is None:
            return False
        t, i = path.thread, path.block
        offline_code = EVENTS.index("MEM_OFFLINE")
        closed_offline: Val = False
        if self.has_chain:
            closed_offline = _eq(self._pre(f"t{t}.event"), offline_code)
        for c in path.calls:
            if c.event in CLOSING and c.pos == 0:
                closed_offline = c.event == "MEM_OFFLINE"
        state = self._pre(f"b{i}.state")
        own = And(_eq(state, MEM_GOING_OFFLINE), closed_offline)
        return And(self._pre(f"b{i}.present"), Not(self._post(path, f"b{i}.present")),
                   Not(_eq(state, MEM_OFFLINE)), Not(own))


# --- k-induction of step invariants ---------------------------------------------------------------
class StepHoudini:
    """The outcome of :func:`houdini_steps` (as lemmas.HoudiniResult)."""

    def __init__(self, k: int, names: list[str]) -> None:
        self.k, self.kept = k, list(names)
        self.dropped: dict[str, str] = {}
        self.violated: dict[str, int] = {}  # name -> depth (transitions) of a base-case failure
        self.queries = 0


def houdini_steps(sat: Callable[..., Any], st: StepProps, names: list[str],
                  hyps: list[Callable[[Frame], Any]], k: int) -> StepHoudini:
    """The largest subset of the step invariants ``names`` that holds in the first k-1 steps
    and is k-inductive (module docstring); ``hyps`` are state predicates already proved of every
    reachable state (the kept conjunction of lemmas.houdini), assumed in every frame."""
    sy = st.sy
    res = StepHoudini(k, names)
    for d in range(k - 1):  # base case: no bad step d in a run from the initial state
        while res.kept:
            res.queries += 1
            now = {n: st.bad_at(n, d) for n in res.kept}
            m = sat(sy.init(0), *[sy.trans(i) for i in range(d + 1)], z3.Or(list(now.values())))
            if m is None:
                break
            for n, e in now.items():
                if z3.is_true(m.eval(e, model_completion=True)):
                    res.kept.remove(n)
                    res.violated[n] = d + 1
                    res.dropped[n] = f"violated at step {d + 1}"
    frames = [sy.frame(i) for i in range(k + 1)]
    fixed = [sy.L.domain(f) for f in frames] + [sy.trans(i) for i in range(k)]
    fixed += [h(f) for h in hyps for f in frames] + sy.distinct(0, k - 1)
    while res.kept:
        hyp = [z3.Not(st.bad_at(n, i)) for i in range(k - 1) for n in res.kept]
        goal = {n: st.bad_at(n, k - 1) for n in res.kept}
        res.queries += 1
        m = sat(*fixed, *hyp, z3.Or(list(goal.values())))
        if m is None:
            break
        pre = sy.L.describe(sy.L.read_model(m, frames[k - 1]))
        act = sy.action(m, k - 1).label()
        for n, e in goal.items():
            if z3.is_true(m.eval(e, model_completion=True)):
                res.kept.remove(n)
                res.dropped[n] = f"not {k}-inductive with the rest; step {act} from the pre-state: {pre}"
    return res


def kind_step(ch: Any, name: str, kmax: int, lemmas: tuple[str, ...] = ()) -> Any:
    """checker.smt.bmc.Checker.kind for a step invariant: a violation within kmax - 1 steps, else
    the smallest k <= kmax at which it is k-inductive with ``lemmas`` (state invariants proved
    separately), else a cti with the pre-state of the failing step."""
    from checker.smt.bmc import Outcome

    if kmax > 1:
        o = ch.bmc([name], kmax - 1)[name]
        if o.verdict == "violated":
            return o
    hyps = [lambda S, n=n: ch.props.holds(n, S) for n in lemmas]
    h = None
    for k in range(1, kmax + 1):
        h = houdini_steps(ch._sat, ch.steps(), [name], hyps, k)
        if name in h.kept:
            return Outcome("proved", k, strengthened_by=list(lemmas))
    assert h is not None
    return Outcome("cti", kmax, message=h.dropped[name], strengthened_by=list(lemmas))
