"""Running one operation of a Model to completion, under every choice sequence (checker.review.diff).

An operation (a write, a hot-add or eject, a read) starts in a quiescent state and runs on its
thread, step by step, until it returns; where a step takes a choice (a callback's answer, a
migration outcome) every option is followed. Works on the spec (through its step function) and on
the kernel mirror (through its replaying driver). A step of the mirror that reaches a modelled
BUG() ends its run there (the observation's point is ``BUG:<function>``, ``ret`` None): the
kernel would have oopsed. Leaves out: other threads (nothing else runs while the operation does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.model import Model
from checker.formats.traces import node_changes
from spec.actions import Action, NotifierCall, Observation
from spec.errors import ActionError, MemhpError
from spec.invariants import BUG_POINT


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



def start_actions(model: Model, state: Any) -> list[Action]:
    """Operations that can start in ``state`` on the first writer and the firmware."""
    first = model.world.writer_threads()[:1]
    return [a for a in model.start_actions(state)
            if a.kind in ("hotadd", "hotremove", "read") or a.thread in first]


def run_ops(model: Model, state: Any, start: Action, view0: Any) -> list[OpRun]:
    """``start`` run to completion under every choice sequence."""
    out: list[OpRun] = []
    s1, o1 = model.step(state, start)
    pre_m = model.machine(state)
    stack: list[tuple[Any, tuple[str, ...], tuple[tuple[Action, Observation], ...], tuple[Any, ...]]] = [
        (s1, (), ((start, o1),), (pre_m, model.machine(s1)))]
    while stack:
        s, choices, steps, machines = stack.pop()
        last = steps[-1][1]
        if last.ret is not None or start.kind == "read" or last.point.startswith(BUG_POINT):
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
        for a, s2, o2 in model.thread_steps(s, start.thread or ""):
            stack.append((s2, choices + ((a.choice,) if a.choice is not None else ()),
                          steps + ((a, o2),), machines + (model.machine(s2),)))
    out.sort(key=lambda r: r.choices)
    return out


def replay_ops(model: Model, ops: list[tuple[Action, tuple[str, ...]]]) -> list[OpRun]:
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

