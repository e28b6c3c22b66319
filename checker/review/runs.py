"""Running one operation of a Model to completion, under every choice sequence (checker.diff).

An operation (a write, a hot-add or eject, a read) starts in a quiescent state and runs on its
thread, step by step, until it returns; where a step takes a choice (a callback's answer, a
migration outcome) every option is followed. Works on the spec (through its step function) and on
the kernel mirror (through its replaying driver). Leaves out: other threads (nothing else runs
while the operation does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checker.traces import node_changes
from spec.actions import Action, NotifierCall, Observation
from spec.errors import ActionError, MemhpError


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

