"""Traces every format is checked on: the golden traces of the default world (v3.4), the v6.1
findings of the QEMU world, and hand-built v6.1 and v3.4 traces that a real kernel can
reproduce (whole operations one after another, injected errors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.engines.explore import explore
from checker.model import SpecModel
from checker.formats.traces import Trace, TraceStep, annotate
from spec.actions import Action, hotadd, hotremove, inject, read, write
from spec.config import World
from spec.worlds import builtin_world

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "default-v3.4"


def build(world: str | World, starts: list[tuple[Action, dict[int, str]]]) -> Trace:
    """Run each starting action, then step its thread until the operation returns; ``choices``
    maps the n-th step of the operation (1-based) to the choice it takes (default: the first)."""
    w = builtin_world(world) if isinstance(world, str) else world
    model = SpecModel(w)
    s = model.initial()[0]
    steps = []
    for a, choices in starts:
        s, obs = model.step(s, a)
        steps.append(TraceStep(a, obs))
        n = 0
        while obs.ret is None:
            n += 1
            opts = [x.choice for x, _, _ in model.successors(s)
                    if x.kind == "step" and x.thread == obs.thread]
            st = Action("step", thread=obs.thread, choice=choices.get(n, opts[0]))
            s, obs = model.step(s, st)
            steps.append(TraceStep(st, obs))
    return annotate(Trace(w.profile, w, steps), model)


def v61_cycle() -> Trace:
    """qemu-2node (v6.1): a failed online under an injected -ENOMEM, then hot-add, online,
    read, offline and eject of memory32: every step reproducible on the QEMU test VM."""
    return build("qemu-2node", [
        (hotadd(32), {}),
        (inject("MEM_GOING_ONLINE", "-12"), {}),
        (write("w0", 32, "online_movable"), {}),
        (inject("MEM_GOING_ONLINE", "0"), {}),
        (write("w0", 32, "online_movable\n"), {}),
        (read(32), {}),
        (write("w0", 32, "bogus"), {}),
        (write("w0", 32, "offline"), {}),
        (hotremove(32), {}),
    ])


def v34_injected() -> Trace:
    """default (v3.4): hot-add memory16, then an online that the last callback (the injector's
    place) fails with -ENOMEM, then a good online: reproducible with the error injector."""
    return build("default", [
        (hotadd(16), {}),
        (write("w0", 16, "online"), {3: "NOTIFY_OK", 4: "-ENOMEM"}),
        (write("w0", 16, "online"), {}),
    ])


def odd_bytes() -> Trace:
    """default (v3.4): writes whose bytes need escaping everywhere (Mermaid, printf, JSON)."""
    return build("default", [
        (write("w0", 1, b"a;b#c<d>'%s\\\xff\n"), {}),
        (write("w0", 1, b""), {}),
    ])


def race() -> Trace:
    """race (v3.4, two writers): w1's write of memory16 runs while w0's offline of memory1 is
    in flight, so two userspace participants and a trace no real kernel can be made to show."""
    w = builtin_world("race")
    model = SpecModel(w)
    s = model.initial()[0]
    steps = []
    for a in (hotadd(16), Action("step", thread="fw"), write("w0", 1, "offline"),
              Action("step", thread="w0"), write("w1", 16, "online"),
              Action("step", thread="w1"), Action("step", thread="w0")):
        s, obs = model.step(s, a)
        steps.append(TraceStep(a, obs))
    return annotate(Trace(w.profile, w, steps), model)


@pytest.fixture(scope="session")
def golden_traces() -> dict[str, Trace]:
    return {p.stem: Trace.load(p) for p in sorted(GOLDEN.glob("*.json"))}


@pytest.fixture(scope="session")
def v61_traces() -> dict[str, Trace]:
    res = explore(SpecModel(builtin_world("qemu-2node")), max_depth=8)
    out = {f"{inv}--{cause}": t for (inv, cause), t in res.traces.items()}
    assert len(out) >= 2, "the bounded v6.1 exploration no longer finds its two findings"
    out["cycle"] = v61_cycle()
    return out


@pytest.fixture(scope="session")
def all_traces(golden_traces, v61_traces) -> dict[str, Trace]:
    return {**{f"v3.4/{k}": t for k, t in golden_traces.items()},
            **{f"v6.1/{k}": t for k, t in v61_traces.items()},
            "v3.4/injected": v34_injected(), "v3.4/odd-bytes": odd_bytes(), "v3.4/race": race()}
