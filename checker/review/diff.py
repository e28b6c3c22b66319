"""Behavioural diff of two Models: what a user or a notifier callback can see that tells them apart.

Models compared: two profiles' specs (``memhp diff A B``), or a base mirror and a patched one
(``memhp review``). Both run the same world. The diff explores the *product* of the two models,
breadth first, one whole operation at a time: from a pair of quiescent states, every operation
that can start (a write to ``state`` or ``online`` of each world text, a firmware hot-add or
eject, a read) is run to completion on both models, under every sequence of nondeterministic
choices (callback answers, migration outcomes). A run on one side is paired with each run on the
other whose choice sequence is a prefix of its own, or extends it, so an outcome that exists on
one side only (the 120 s timeout's -EAGAIN) shows as such. Each pair of runs is compared aspect by
aspect:

* ``ret``: the value the write or the firmware operation returned;
* ``events`` / ``order``: the notifier events, their callbacks and their order;
* ``args``: ``struct memory_notify`` / ``node_notify`` arguments of the same events;
* ``allocatable``: whether the block's pages could be allocated when an event was delivered;
* ``callback_ret``: what a callback answered;
* ``node_state``: node-state flags and node online changes the operation made;
* ``sysfs``: files whose content the operation changed differently;
* ``outcome``: a choice (a callback answer, a migration outcome) possible on one side only;
* ``alphabet``: an operation possible on one side only (a file that exists only there);
* ``boot``: node states and sysfs files of the machine as booted.

A *difference* is keyed by its aspect and what differs, with block ids generalised (``memory*``),
so the same behaviour seen on several blocks or after several prefixes is one entry; breadth
first order makes the first trace recorded for a key a shortest one (in operations). Each entry
names the operation (1-based) where its aspect first differs; the operations before it may
differ in other aspects, listed as their own entries.

Leaves out: interleavings of concurrent operations (operations run one at a time, so a
difference that needs two threads racing is not shown; the explorer covers races per model),
error injection through debugfs, and steps' internal points (``wait:``, ``commit``), which differ
between lock models and are not observable from userspace or a callback.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from collections.abc import Hashable, Iterator
from typing import Any

from checker.engines.reach import Search, reach
from checker.model import Model
from checker.review.compare import Difference, compare_runs, generic, iter_aspects, op_label, show, tag
from checker.review.runs import OpRun, replay_ops, run_ops, start_actions
from checker.formats.traces import Trace, TraceStep, annotate
from spec.actions import Action

__all__ = ["ASPECTS", "DEFAULT_DEPTH", "Difference", "DiffResult", "OpRun", "diff_models",
           "iter_aspects", "replay_ops", "run_ops", "start_actions", "compare_runs", "op_label",
           "tag"]

ASPECTS = ("boot", "alphabet", "outcome", "ret", "events", "order", "args", "allocatable",
           "callback_ret", "node_state", "sysfs")


@dataclass
class DiffResult:
    a: str
    b: str
    world: str
    depth: int
    complete: bool
    pairs: int = 0
    runs: int = 0
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)
    #: what stopped an incomplete diff (checker.engines.reach.Reached.cut), and the most
    #: operations any pair stored is from boot
    cut: str | None = None
    reached: int = 0
    #: with a cut: every pair fewer operations than this from boot was expanded
    checked: int | None = None
    #: with ``judge``: each side's invariant violations in the operations it ran, shortest first
    violations: dict[str, dict[tuple[str, str], tuple[str, Trace]]] = field(default_factory=dict)

    def by_aspect(self) -> dict[str, list[Difference]]:
        out: dict[str, list[Difference]] = {}
        for d in self.differences:
            out.setdefault(d.aspect, []).append(d)
        return out

    def tags(self) -> list[str]:
        seen: list[str] = []
        for d in self.differences:
            for t in d.tags:
                if t not in seen:
                    seen.append(t)
        return seen


# --- the product exploration ---------------------------------------------------------------

class _Memo:
    """Each state's operation runs, for the pairs that share the state; the ``keep`` states used
    last are kept (a run holds every step's machine: keeping them all costs gigabytes)."""

    keep = 1024

    def __init__(self, model: Model) -> None:
        self.model = model
        self.cache: OrderedDict[Hashable, dict[Action, list[OpRun]]] = OrderedDict()
        self.runs = 0

    def ops(self, state: Any, skip_kinds: set[str]) -> dict[Action, list[OpRun]]:
        key = self.model.key(state)
        hit = self.cache.get(key)
        if hit is None:
            view0 = self.model.view(state)
            hit = {}
            for a in start_actions(self.model, state):
                hit[a] = run_ops(self.model, state, a, view0)
                self.runs += len(hit[a])
            self.cache[key] = hit
            if len(self.cache) > self.keep:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        return hit


def _compatible(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    n = min(len(x), len(y))
    return x[:n] == y[:n]


DEFAULT_DEPTH = 4


class _Judge:
    """The invariant Monitor over whole operations: between two operations every thread is
    idle, so the monitor's state is empty and each run can be judged on its own."""

    def __init__(self, model: Model) -> None:
        from spec.invariants import Monitor

        self.model = model
        self.monitor = Monitor(model.world, model.profile, model.threads,
                               model.view_from_machine)
        s0 = model.initial()[0]
        self.ms0, _, _ = self.monitor.initial(model.machine(s0), model.view(s0))
        self.found: dict[tuple[str, str], tuple[str, Trace]] = {}
        self.seen: set[Hashable] = set()

    def judge(self, prefix: list[OpRun], run: OpRun) -> None:
        key = (self.model.key(run.post), run.steps)
        if key in self.seen:
            return
        self.seen.add(key)
        ms = self.ms0
        n = len(run.steps)
        for i, (a, obs) in enumerate(run.steps):
            post = run.machines[i + 1]
            last = i == n - 1
            ms, vs, _ = self.monitor.step(ms, run.machines[i], a, obs, post, last,
                                          lambda: self.model.view(run.post))
            for v in vs:
                k = (v.invariant, v.cause)
                if k not in self.found:
                    tr = _trace(self.model, prefix + [run])
                    del tr.steps[sum(len(r.steps) for r in prefix) + i + 1:]
                    tr.invariant, tr.cause, tr.message = v.invariant, v.cause, v.message
                    self.found[k] = (v.message, tr)


def diff_models(ma: Any, mb: Any, depth: int | None = DEFAULT_DEPTH,
                max_pairs: int | None = 20000, judge: bool = False,
                max_rss: int | None = None, deadline: float = float("inf"),
                progress: Any = None) -> DiffResult:
    """Breadth-first over pairs of quiescent states, ``depth`` operations deep (None: until no
    new pair), within ``max_pairs`` pairs, ``max_rss`` bytes of this process's resident set
    (looked at every 16 pairs) and the ``deadline`` (``time.monotonic()``); ``res.cut`` says
    which bound stopped it."""
    import time

    t0 = time.monotonic()
    res = DiffResult(ma.profile.name if not getattr(ma, "impl", None) else ma.name,
                     mb.profile.name if not getattr(mb, "impl", None) else mb.name,
                     ma.world.name, depth or 0, True)
    found: dict[tuple[Any, ...], Difference] = {}
    sa, sb = ma.initial()[0], mb.initial()[0]
    _boot(ma, mb, sa, sb, found)
    # files that exist on one side only are reported once, at boot, not at every operation
    one_sided = {k[2] for k in found if k[:2] == ("boot", "file")}
    judges = (_Judge(ma), _Judge(mb)) if judge else None
    search = _Pairs(ma, mb, sa, sb, found, one_sided, judges)
    r = reach(search, max_depth=depth, max_states=max_pairs, max_rss=max_rss, deadline=deadline,
              progress=progress, rss_every=16)
    res.complete, res.cut, res.reached, res.checked = r.complete, r.cut, r.depth, r.checked
    if depth is None:
        res.depth = r.depth
    memo_a, memo_b = search.memo
    if judges is not None:
        res.violations = {"a": judges[0].found, "b": judges[1].found}
    res.pairs = r.states
    res.runs = memo_a.runs + memo_b.runs
    res.differences = _merge(sorted(found.values(), key=lambda x: (
        ASPECTS.index(x.aspect), x.summary, x.step, len(x.trace_a or ()))))
    for x in res.differences:
        x.tags = tag(x, ma.world)
    res.seconds = time.monotonic() - t0
    return res


class _Pairs(Search):
    """The diff as a search over pairs (state of A, state of B) of quiescent states: each
    operation both sides can start is run on both, its outcomes compared and recorded in
    ``found``; pairs whose blocks agree are explored further (:func:`_in_step`)."""

    def __init__(self, ma: Any, mb: Any, sa: Any, sb: Any, found: dict[tuple[Any, ...], Difference],
                 one_sided: set[Any], judges: tuple[_Judge, _Judge] | None) -> None:
        self.ma, self.mb, self.sa, self.sb = ma, mb, sa, sb
        self.found, self.one_sided, self.judges = found, one_sided, judges
        self.memo = (_Memo(ma), _Memo(mb))

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        yield (self.ma.key(self.sa), self.mb.key(self.sb)), (self.sa, self.sb), None

    def successors(self, key: Hashable, node: Any, d: int) -> Iterator[tuple[Any, Hashable, Any]]:
        ma, mb, found, parent = self.ma, self.mb, self.found, self.reached.parent
        sa, sb = node
        oa, ob = self.memo[0].ops(sa, set()), self.memo[1].ops(sb, set())
        for start in list(oa) + [s for s in ob if s not in oa]:
            runs_a, runs_b = oa.get(start), ob.get(start)
            if runs_a is None or runs_b is None:
                side = "A" if runs_b is None else "B"
                label = op_label(start)
                _record(found, "alphabet", (label, side), f"{label} possible only in {side}",
                        "possible" if side == "A" else "not possible",
                        "possible" if side == "B" else "not possible", parent, key, None, d + 1,
                        start, ma, mb)
                continue
            for ra in runs_a:
                partners = [rb for rb in runs_b if _compatible(ra.choices, rb.choices)]
                if not partners:
                    _outcome(found, ra, runs_b, "A", parent, key, d, ma, mb)
                for rb in partners:
                    if self.judges is not None:
                        path = _path(parent, key)
                        self.judges[0].judge([p[0] for p in path], ra)
                        self.judges[1].judge([p[1] for p in path], rb)
                    for aspect, k, summ, va, vb in compare_runs(ra, rb):
                        if aspect == "sysfs" and k[0] in self.one_sided:
                            continue
                        _record(found, aspect, k, summ, va, vb, parent, key, (ra, rb), d + 1,
                                start, ma, mb)
                    if _in_step(ma, ra.post, mb, rb.post):
                        yield (ra, rb), (ma.key(ra.post), mb.key(rb.post)), (ra.post, rb.post)
            for rb in runs_b:
                if not any(_compatible(ra.choices, rb.choices) for ra in runs_a):
                    _outcome(found, rb, runs_a, "B", parent, key, d, ma, mb)


def _in_step(ma: Any, sa: Any, mb: Any, sb: Any) -> bool:
    """Whether the two machines' blocks agree (present, registered, state): only such pairs are
    explored further, so a difference is shown where it arises rather than as a consequence of
    an earlier one (an offline that succeeded on one side only). A side past a modelled BUG()
    (checker.model.MirrorModel.crashed) has nowhere to go."""
    if getattr(sa, "bug", None) is not None or getattr(sb, "bug", None) is not None:
        return False
    ba, bb = ma.machine(sa).blocks, mb.machine(sb).blocks
    return all((x.present, x.registered, x.state) == (y.present, y.registered, y.state)
               for x, y in zip(ba, bb))


def _merge(diffs: list[Difference]) -> list[Difference]:
    """One entry per (aspect, summary): the shortest trace first, other values as variants."""
    out: dict[tuple[str, str], Difference] = {}
    for d in diffs:
        head = out.get((d.aspect, d.summary))
        if head is None:
            out[(d.aspect, d.summary)] = d
        elif (d.a, d.b) != (head.a, head.b) and (d.a, d.b) not in head.variants:
            head.variants.append((d.a, d.b))
    return list(out.values())


def _outcome(found: dict[tuple[Any, ...], Difference], run: OpRun, others: list[OpRun], side: str,
             parent: dict[Hashable, Any], key: Hashable, d: int, ma: Any, mb: Any) -> None:
    best = max((len(_common(run.choices, o.choices)) for o in others), default=0)
    choice = run.choices[best] if best < len(run.choices) else "(none)"
    label = op_label(run.start)
    _record(found, "outcome", (label, choice, side), f"{label}: outcome {choice} possible only in {side}",
            "possible" if side == "A" else "not possible", "possible" if side == "B" else "not possible",
            parent, key, None, d + 1, run.start, ma, mb, run.choices[:best + 1])


def _common(x: tuple[str, ...], y: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    return x[:n]


def _record(found: dict[tuple[Any, ...], Difference], aspect: str, k: tuple[Any, ...], summary: str,
            va: str, vb: str, parent: dict[Hashable, Any], key: Hashable,
            runs: tuple[OpRun, OpRun] | None, step: int, start: Action, ma: Any, mb: Any,
            choices: tuple[str, ...] | None = None) -> None:
    fk = (aspect,) + k
    where = f"op {step}: {start.label()}"
    if fk in found:
        if len(found[fk].where) < 50 and start.label() not in " ".join(found[fk].where):
            found[fk].where.append(where)
        return
    path = _path(parent, key)
    if runs:
        last = (start, runs[0].choices, runs[1].choices)
    else:
        last = (start, choices or (), choices or ())
    diff = Difference(aspect, fk, summary, va, vb,
                      [(r[0].start, r[0].choices, r[1].choices) for r in path] + [last], step)
    diff.trace_a = _trace(ma, [r[0] for r in path] + ([runs[0]] if runs else []))
    diff.trace_b = _trace(mb, [r[1] for r in path] + ([runs[1]] if runs else []))
    if runs:
        pa, pb = _parting(runs[0], runs[1])
        diff.part_a = len(diff.trace_a) - len(runs[0].steps) + pa
        diff.part_b = len(diff.trace_b) - len(runs[1].steps) + pb
    found[fk] = diff


def _visible(run: OpRun) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    for i, (_, o) in enumerate(run.steps, 1):
        out += [(i, c) for c in o.calls]
        if o.ret is not None:
            out.append((i, ("ret", o.ret, o.read)))
    return out


def _parting(ra: OpRun, rb: OpRun) -> tuple[int, int]:
    """The steps of two runs of one operation where what they show first differs."""
    va, vb = _visible(ra), _visible(rb)
    for (ia, xa), (ib, xb) in zip(va, vb):
        if xa != xb:
            return ia, ib
    if len(va) != len(vb):
        n = min(len(va), len(vb))
        return (va[n][0] if n < len(va) else len(ra.steps)), (vb[n][0] if n < len(vb) else len(rb.steps))
    return len(ra.steps), len(rb.steps)


def _path(parent: dict[Hashable, Any], key: Hashable) -> list[tuple[OpRun, OpRun]]:
    out = []
    while key is not None:
        pkey, runs = parent[key]
        if runs is not None:
            out.append(runs)
        key = pkey
    out.reverse()
    return out


def _trace(model: Model, runs: list[OpRun]) -> Trace:
    steps = [TraceStep(a, o) for r in runs for a, o in r.steps]
    return annotate(Trace(model.profile.name, model.world, steps), model)


def _boot(ma: Any, mb: Any, sa: Any, sb: Any, found: dict[tuple[Any, ...], Difference]) -> None:
    na, nb = ma.machine(sa).nodes, mb.machine(sb).nodes
    for n, (x, y) in enumerate(zip(na, nb)):
        if x.flags != y.flags or x.online != y.online:
            fa = f"{'online' if x.online else 'offline'} {' '.join(sorted(x.flags)) or '(no flags)'}"
            fb = f"{'online' if y.online else 'offline'} {' '.join(sorted(y.flags)) or '(no flags)'}"
            found[("boot", "node", n)] = Difference("boot", ("boot", "node", n),
                                                    f"node{n} as booted", fa, fb)
    va, vb = ma.view(sa), mb.view(sb)
    kinds_a = {generic(p) for p in va}
    kinds_b = {generic(p) for p in vb}
    for g in sorted(kinds_a ^ kinds_b):
        side = "A" if g in kinds_a else "B"
        found[("boot", "file", g)] = Difference("boot", ("boot", "file", g), f"{g} exists only in {side}",
                                                "present" if side == "A" else "absent",
                                                "present" if side == "B" else "absent")
    for p in sorted(set(va) & set(vb)):
        if va[p] != vb[p]:
            g = generic(p)
            if ("boot", "value", g) not in found:
                found[("boot", "value", g)] = Difference("boot", ("boot", "value", g),
                                                         f"{g} reads differently at boot",
                                                         show(va[p]), show(vb[p]))


