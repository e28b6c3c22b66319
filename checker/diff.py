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

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterator

from checker.traces import Trace, TraceStep, node_changes
from spec.actions import Action, NotifierCall, Observation, errno_name
from spec.errors import ActionError, MemhpError

ASPECTS = ("boot", "alphabet", "outcome", "ret", "events", "order", "args", "allocatable",
           "callback_ret", "node_state", "sysfs")


@dataclass(frozen=True)
class OpRun:
    """One operation run to completion on one model from a quiescent state."""

    start: Action
    choices: tuple[str, ...]
    steps: tuple[tuple[Action, Observation], ...]
    post: Any
    ret: int | None
    calls: tuple[NotifierCall, ...]
    node: tuple[str, ...]
    sysfs: tuple[tuple[str, Any], ...]  # (path, new value or None when removed)
    machines: tuple[Any, ...] = ()  # the Machine before the operation and after each step


@dataclass
class Difference:
    aspect: str
    key: tuple[Any, ...]
    summary: str  # one line a reviewer reads
    a: str  # what A shows
    b: str  # what B shows
    #: the trace, in operations: (start action, A's choices, B's choices)
    ops: list[tuple[Action, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    step: int = 0  # the operation (1-based) where this aspect differs; 0: at boot
    where: list[str] = field(default_factory=list)  # other operations showing the same
    trace_a: Trace | None = None
    trace_b: Trace | None = None
    tags: list[str] = field(default_factory=list)  # documented changes (facts.md section 7)
    #: the same aspect and operation with other values (from other choices or states): (a, b)
    variants: list[tuple[str, str]] = field(default_factory=list)
    #: the step (1-based) of trace_a and of trace_b where the two first show something different
    #: to userspace or a callback (a call, its arguments, a return value); the operation's last
    #: step where only node states or sysfs differ; 0 at boot
    part_a: int = 0
    part_b: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "aspect": self.aspect, "summary": self.summary, "a": self.a, "b": self.b,
            "step": self.step, "part_a": self.part_a, "part_b": self.part_b,
            "tags": self.tags, "also": self.where[:20],
            "variants": [{"a": x, "b": y} for x, y in self.variants],
            "ops": [{"action": a.to_json(), "choices_a": list(ca), "choices_b": list(cb)}
                    for a, ca, cb in self.ops],
            "trace_a": self.trace_a.to_json() if self.trace_a is not None else None,
            "trace_b": self.trace_b.to_json() if self.trace_b is not None else None,
        }


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


# --- running one operation ---------------------------------------------------------------

def _thread_steps(model: Any, state: Any, thread: str) -> list[tuple[Action, Any, Observation]]:
    """Every next step of ``thread`` (one per choice the step offers)."""
    if getattr(model, "spec", None) is not None:
        return _spec_thread_steps(model, state, thread)
    k = model._replay(state.path)
    obs = k.apply(Action("step", thread=thread), first_choice=True)
    a = Action("step", thread=thread, choice=k.last_choice)
    out = [(a, model._state(k, state, a, obs), obs)]
    for c in (k.last_options or ())[1:]:
        a2 = Action("step", thread=thread, choice=c)
        s2, o2 = model.step(state, a2)
        out.append((a2, s2, o2))
    return out


def _spec_thread_steps(model: Any, state: Any, thread: str) -> list[tuple[Action, Any, Observation]]:
    sp = model.spec
    try:
        s1, o1 = sp.step(state, Action("step", thread=thread))
        return [(Action("step", thread=thread), s1, o1)]
    except ActionError as e:
        opts = _options(str(e))
        if opts is None:
            raise
    return [(a, *sp.step(state, a)) for a in (Action("step", thread=thread, choice=c) for c in opts)]


_OPTS = re.compile(r"needs a choice among \[(.*)\]$")


def _options(message: str) -> list[str] | None:
    m = _OPTS.search(message)
    if m is None:
        return None
    return [x.strip().strip("'\"") for x in m.group(1).split(",")]


def start_actions(model: Any, state: Any) -> list[Action]:
    """Operations that can start in ``state`` on the first writer and the firmware."""
    spec = getattr(model, "spec", None)
    if spec is not None:
        acts = spec.start_actions(state)
    else:
        acts = model._replay(state.path).start_actions()
    first = model.world.writer_threads()[:1]
    return [a for a in acts if a.kind in ("hotadd", "hotremove", "read") or a.thread in first]


def run_ops(model: Any, state: Any, start: Action, view0: Any) -> list[OpRun]:
    """``start`` run to completion under every choice sequence."""
    out: list[OpRun] = []
    s1, o1 = model.step(state, start)
    pre_m = model.machine(state)
    stack: list[tuple[Any, tuple[str, ...], tuple[tuple[Action, Observation], ...], tuple[Any, ...]]] = [
        (s1, (), ((start, o1),), (pre_m, model.machine(s1)))]
    while stack:
        s, choices, steps, machines = stack.pop()
        last = steps[-1][1]
        if last.ret is not None or start.kind == "read":
            calls = tuple(c for _, o in steps for c in o.calls)
            post_m = model.machine(s)
            view1 = model.view(s)
            changed = tuple(sorted((p, view1.get(p)) for p in set(view0) | set(view1)
                                   if view0.get(p) != view1.get(p)))
            out.append(OpRun(start, choices, steps, s, last.ret, calls,
                             tuple(node_changes(pre_m, post_m)), changed, machines))
            continue
        if len(steps) > 400:
            raise MemhpError(f"{start.label()}: the operation did not return within 400 steps")
        for a, s2, o2 in _thread_steps(model, s, start.thread or ""):
            stack.append((s2, choices + ((a.choice,) if a.choice is not None else ()),
                          steps + ((a, o2),), machines + (model.machine(s2),)))
    out.sort(key=lambda r: r.choices)
    return out


# --- comparing two runs --------------------------------------------------------------------

def _gen(text: str) -> str:
    return re.sub(r"memory\d+", "memory*", text)


def op_label(a: Action) -> str:
    if a.kind == "write":
        return f"echo {(a.text or b'').decode('utf-8', 'replace')!r} > memory*/{a.file}"
    if a.kind == "read":
        return f"cat memory*/{a.file}"
    return f"firmware {a.kind} memory*"


def _ret(r: int | None) -> str:
    return "-" if r is None else errno_name(r)


def _events(calls: tuple[NotifierCall, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for c in calls:
        if not out or out[-1] != c.event:
            out.append(c.event)
    return tuple(out)


def compare_runs(ra: OpRun, rb: OpRun) -> list[tuple[str, tuple[Any, ...], str, str, str]]:
    """The aspects in which two runs of the same operation differ:
    (aspect, key, summary, what A shows, what B shows)."""
    label = op_label(ra.start)
    out = []
    if ra.ret != rb.ret:
        out.append(("ret", (label, _ret(ra.ret), _ret(rb.ret)), f"{label} returns differently",
                    _ret(ra.ret), _ret(rb.ret)))
    ca = tuple((c.event, c.callback) for c in ra.calls)
    cb = tuple((c.event, c.callback) for c in rb.calls)
    if ca != cb:
        ea, eb = _events(ra.calls), _events(rb.calls)
        if sorted(ca) == sorted(cb):
            out.append(("order", (label, ea, eb), f"{label}: the same events in another order",
                        " ".join(ea), " ".join(eb)))
        else:
            if ea != eb:
                out.append(("events", (label, ea, eb), f"{label}: different notifier events",
                            " ".join(ea) or "(none)", " ".join(eb) or "(none)"))
            else:
                out.append(("events", (label, ea, "callbacks"), f"{label}: {' '.join(ea)} reach "
                            "other callbacks", ", ".join(f"{e}->{c}" for e, c in ca),
                            ", ".join(f"{e}->{c}" for e, c in cb)))
    for x, y in _common_calls(ra.calls, rb.calls):
        for fld in ("status_change_nid", "status_change_nid_normal", "start_pfn", "nr_pages"):
            vx, vy = getattr(x, fld), getattr(y, fld)
            if vx != vy:
                out.append(("args", (fld, x.event, vx is None, vy is None),
                            f"{x.event}: {fld} differs", f"{fld}={'absent' if vx is None else vx}",
                            f"{fld}={'absent' if vy is None else vy}"))
        if x.allocatable != y.allocatable:
            out.append(("allocatable", (x.event, x.allocatable, y.allocatable),
                        f"{x.event}: pages {'allocatable' if x.allocatable else 'not allocatable'}"
                        f" in A, {'allocatable' if y.allocatable else 'not allocatable'} in B",
                        f"alloc={'y' if x.allocatable else 'n'}", f"alloc={'y' if y.allocatable else 'n'}"))
        if x.ret != y.ret:
            out.append(("callback_ret", (x.event, x.callback, x.ret, y.ret),
                        f"{x.event}->{x.callback} answers differently", f"{x.ret:#x}", f"{y.ret:#x}"))
    if ra.node != rb.node:
        na, nb = " ".join(ra.node) or "(no change)", " ".join(rb.node) or "(no change)"
        out.append(("node_state", (label, na, nb), f"{label}: node states change differently", na, nb))
    da, db = dict(ra.sysfs), dict(rb.sysfs)
    for path in sorted(set(da) | set(db)):
        if da.get(path, "-") != db.get(path, "-"):
            g = _gen(path)
            out.append(("sysfs", (g,), f"{g} changes differently",
                        _show(da.get(path, "(unchanged)")), _show(db.get(path, "(unchanged)"))))
    return out


def _common_calls(xs: tuple[NotifierCall, ...], ys: tuple[NotifierCall, ...]
                  ) -> list[tuple[NotifierCall, NotifierCall]]:
    """Calls of the same event to the same callback (the n-th such call on each side)."""
    def index(calls: tuple[NotifierCall, ...]) -> dict[tuple[str, str, int], NotifierCall]:
        seen: dict[tuple[str, str], int] = {}
        out = {}
        for c in calls:
            n = seen.get((c.event, c.callback), 0)
            seen[(c.event, c.callback)] = n + 1
            out[(c.event, c.callback, n)] = c
        return out
    ix, iy = index(xs), index(ys)
    return [(ix[k], iy[k]) for k in ix if k in iy]


def _show(v: Any) -> str:
    if v is None:
        return "(removed)"
    if isinstance(v, tuple):
        return "-> " + str(v[1])
    return repr(v)


# --- the product exploration ---------------------------------------------------------------

class _Memo:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.cache: dict[Hashable, dict[Action, list[OpRun]]] = {}
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
        return hit


def _compatible(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    n = min(len(x), len(y))
    return x[:n] == y[:n]


DEFAULT_DEPTH = 4


class _Judge:
    """The invariant Monitor over whole operations: between two operations every thread is
    idle, so the monitor's state is empty and each run can be judged on its own."""

    def __init__(self, model: Any) -> None:
        from spec.invariants import Monitor

        self.model = model
        self.monitor = Monitor(model.world, model.profile, model.threads,
                               getattr(model, "view_from_machine", False))
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


def diff_models(ma: Any, mb: Any, depth: int = DEFAULT_DEPTH,
                max_pairs: int | None = 20000, judge: bool = False) -> DiffResult:
    """Breadth-first over pairs of quiescent states, ``depth`` operations deep."""
    import time

    t0 = time.monotonic()
    res = DiffResult(ma.profile.name if not getattr(ma, "impl", None) else ma.name,
                     mb.profile.name if not getattr(mb, "impl", None) else mb.name,
                     ma.world.name, depth, True)
    found: dict[tuple[Any, ...], Difference] = {}
    sa, sb = ma.initial()[0], mb.initial()[0]
    _boot(ma, mb, sa, sb, found)
    memo_a, memo_b = _Memo(ma), _Memo(mb)
    # files that exist on one side only are reported once, at boot, not at every operation
    one_sided = {k[2] for k in found if k[:2] == ("boot", "file")}
    parent: dict[Hashable, tuple[Hashable | None, tuple[OpRun, OpRun] | None]] = {}
    k0 = (ma.key(sa), mb.key(sb))
    parent[k0] = (None, None)
    queue: deque[tuple[Hashable, Any, Any, int]] = deque([(k0, sa, sb, 0)])
    judges = (_Judge(ma), _Judge(mb)) if judge else None
    while queue:
        key, sa, sb, d = queue.popleft()
        if d >= depth:
            res.complete = False
            continue
        oa, ob = memo_a.ops(sa, set()), memo_b.ops(sb, set())
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
                    if judges is not None:
                        path = _path(parent, key)
                        judges[0].judge([p[0] for p in path], ra)
                        judges[1].judge([p[1] for p in path], rb)
                    for aspect, k, summ, va, vb in compare_runs(ra, rb):
                        if aspect == "sysfs" and k[0] in one_sided:
                            continue
                        _record(found, aspect, k, summ, va, vb, parent, key, (ra, rb), d + 1,
                                start, ma, mb)
                    k2 = (ma.key(ra.post), mb.key(rb.post))
                    if k2 not in parent and _in_step(ma, ra.post, mb, rb.post):
                        parent[k2] = (key, (ra, rb))
                        queue.append((k2, ra.post, rb.post, d + 1))
            for rb in runs_b:
                if not any(_compatible(ra.choices, rb.choices) for ra in runs_a):
                    _outcome(found, rb, runs_a, "B", parent, key, d, ma, mb)
        if max_pairs is not None and len(parent) >= max_pairs:
            res.complete = False
            break
    if judges is not None:
        res.violations = {"a": judges[0].found, "b": judges[1].found}
    res.pairs = len(parent)
    res.runs = memo_a.runs + memo_b.runs
    res.differences = _merge(sorted(found.values(), key=lambda x: (
        ASPECTS.index(x.aspect), x.summary, x.step, len(x.trace_a or ()))))
    for x in res.differences:
        x.tags = tag(x, ma.world)
    res.seconds = time.monotonic() - t0
    return res


def _in_step(ma: Any, sa: Any, mb: Any, sb: Any) -> bool:
    """Whether the two machines' blocks agree (present, registered, state): only such pairs are
    explored further, so a difference is shown where it arises rather than as a consequence of
    an earlier one (an offline that succeeded on one side only)."""
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


def _trace(model: Any, runs: list[OpRun]) -> Trace:
    steps = [TraceStep(a, o) for r in runs for a, o in r.steps]
    return Trace(model.profile.name, model.world, steps)


def _boot(ma: Any, mb: Any, sa: Any, sb: Any, found: dict[tuple[Any, ...], Difference]) -> None:
    na, nb = ma.machine(sa).nodes, mb.machine(sb).nodes
    for n, (x, y) in enumerate(zip(na, nb)):
        if x.flags != y.flags or x.online != y.online:
            fa = f"{'online' if x.online else 'offline'} {' '.join(sorted(x.flags)) or '(no flags)'}"
            fb = f"{'online' if y.online else 'offline'} {' '.join(sorted(y.flags)) or '(no flags)'}"
            found[("boot", "node", n)] = Difference("boot", ("boot", "node", n),
                                                    f"node{n} as booted", fa, fb)
    va, vb = ma.view(sa), mb.view(sb)
    kinds_a = {_gen(p) for p in va}
    kinds_b = {_gen(p) for p in vb}
    for g in sorted(kinds_a ^ kinds_b):
        side = "A" if g in kinds_a else "B"
        found[("boot", "file", g)] = Difference("boot", ("boot", "file", g), f"{g} exists only in {side}",
                                                "present" if side == "A" else "absent",
                                                "present" if side == "B" else "absent")
    for p in sorted(set(va) & set(vb)):
        if va[p] != vb[p]:
            g = _gen(p)
            if ("boot", "value", g) not in found:
                found[("boot", "value", g)] = Difference("boot", ("boot", "value", g),
                                                         f"{g} reads differently at boot",
                                                         _show(va[p]), _show(vb[p]))


# --- naming the documented changes ---------------------------------------------------------

def tag(d: Difference, world: Any) -> list[str]:
    """Which change of facts.md section 7 a difference shows (a difference may show none)."""
    tags = []
    text = " ".join(str(x) for x in d.key) + " " + d.a + " " + d.b
    last = d.ops[-1][0] if d.ops else None
    if "N_HIGH_MEMORY" in text or "N_MEMORY" in text or "has_memory" in text or (
            d.aspect == "node_state"):
        tags.append("node-state flags (B1)")
    if "status_change_nid_normal" in text:
        tags.append("status_change_nid_normal (B1)")
    if ("online_kernel" in text or "online_movable" in text) and "NODE_" not in text:
        tags.append("online_kernel / online_movable (B1)")
    if d.aspect == "outcome" and "-EAGAIN" in text:
        tags.append("offline timeout (B5)")
    if d.aspect == "allocatable" and "MEM_CANCEL_OFFLINE" in text:
        tags.append("order of MEM_CANCEL_OFFLINE and undo_isolate_page_range (B16)")
    if last is not None and last.block is not None and d.aspect not in ("boot",):
        spec = next((b for b in world.blocks if b.id == last.block), None)
        if spec is not None and spec.hole_pages and (
                (last.kind == "write" and last.text and last.text.startswith(b"off"))
                or (last.kind == "write" and last.file == "online" and last.text == b"0")):
            tags.append("blocks with holes (B9)")
    if "NODE_" in text:
        tags.append("NUMA node notifier (B15)")
    if d.aspect == "ret" and {d.a, d.b} == {"1", "-EINVAL"}:
        tags.append("already in that state: 1 vs -EINVAL (B3)")
    if "removable" in text:
        tags.append("removable (B10)")
    if "end_phys_index" in text:
        tags.append("end_phys_index removed (3.16)")
    if d.aspect == "alphabet" and "/online" in text:
        tags.append("generic online attribute (B2)")
    if last is not None and last.kind == "write" and last.file == "state" and last.text in (
            b"o", b"bogus", b"online\n"):
        tags.append("parsing: strncmp prefix vs sysfs_streq (4.3)")
    if last is not None and last.kind == "hotremove" and d.aspect in ("ret", "events", "sysfs"):
        tags.append("ACPI eject: offline_pages only (3.4) vs offline and remove (3.9+)")
    return tags


def replay_ops(model: Any, ops: list[tuple[Action, tuple[str, ...]]]) -> list[OpRun]:
    """Run ``ops`` (start action, exact choice sequence) one after the other."""
    s = model.initial()[0]
    out = []
    for start, choices in ops:
        runs = run_ops(model, s, start, model.view(s))
        match = [r for r in runs if r.choices == tuple(choices)]
        if not match:
            raise ActionError(f"{start.label()} with choices {list(choices)} is not possible on "
                              f"{model.name}")
        run = match[0]
        out.append(run)
        s = run.post
    return out


def iter_aspects(ra: list[OpRun], rb: list[OpRun]) -> Iterator[set[tuple[Any, ...]]]:
    """For each operation of two replays, the difference keys it shows."""
    for x, y in zip(ra, rb):
        yield {(asp,) + k for asp, k, *_ in compare_runs(x, y)}
