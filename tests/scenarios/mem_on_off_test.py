"""The kernel's selftest tools/testing/selftests/memory-hotplug/mem-on-off-test.sh, replayed on
the model (facts.md section 6.2), for every profile whose kernel has the selftest and the memory
notifier error injector (3.7 and later).

What the script does is rendered step by step from facts.md 6.2 (cited as "6.2.N" below); what it
*expects* is written down from the script's text, independently of the model: the test then runs
the script's writes through the spec and checks each expectation. The model supplies only what
the kernel answers (return values, ``state`` and ``removable`` reads, notifier calls).

Choices the script leaves to ``$RANDOM`` are made deterministically: phase B offlines in sysfs
order (6.2.4, modern script: blocks in order until the target is reached), phase D1 offlines
the blocks that phase B offlined (a draw the script can make). Options are the modern defaults
(6.2.2: error -12, priority 0, ratio 2). The machine (``selftest.toml``) has two hot-added
pc-dimms, as the QEMU runs of docs/qemu.md do before running the script.

Leaves out: the old script's variant (ratio 10, every RANDOM pick must succeed), module loading
(modprobe is modelled as the injector being registered from boot with every error 0), and the
wall-clock behaviour of the script.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.review.diff import run_ops
from checker.model import SpecModel
from spec.actions import ENOMEM, Action, NotifierCall, hotadd, inject, write
from spec.config import load_world
from spec.profiles import get_profile

WORLD = Path(__file__).with_name("selftest.toml")
#: kernels that have the selftest and CONFIG_MEMORY_NOTIFIER_ERROR_INJECT (3.7+), among profiles
PROFILES = ("v3.8", "v4.15", "v5.6", "v6.1", "v6.17")
ERROR = -12  # 6.2.2: -e errno, default -12
RATIO = 2  # 6.2.2: -r ratio, modern default 2


@dataclass
class Write:
    phase: str
    block: int
    text: str
    ret: int | None
    state: str  # what `cat state` reads afterwards
    calls: tuple[NotifierCall, ...]
    nodes_before: Any
    nodes_after: Any


@dataclass
class Run:
    profile: str
    hotpluggable: list[int] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    retval: int = 0
    messages: list[str] = field(default_factory=list)
    skipped: bool = False


class _Machine:
    def __init__(self, profile: str) -> None:
        w = load_world(WORLD).with_profile(profile)
        self.model = SpecModel(w, get_profile(profile))
        self.state = self.model.initial()[0]

    def op(self, a: Action) -> Any:
        runs = run_ops(self.model, self.state, a, self.model.view(self.state))
        assert len(runs) == 1, f"{a.label()}: the selftest machine has no choices, got {len(runs)} runs"
        self.state = runs[0].post
        return runs[0]

    def read(self, block: int, file: str) -> str:
        v = self.model.view(self.state).get(f"memory/memory{block}/{file}")
        return v if isinstance(v, str) else ""

    def blocks(self) -> list[int]:
        return sorted(int(p.split("/")[1][6:]) for p in self.model.view(self.state)
                      if p.startswith("memory/memory") and p.endswith("/state"))


def run(profile: str) -> Run:
    m = _Machine(profile)
    r = Run(profile)
    for b in (32, 33):  # the pc-dimms are plugged before the script runs
        m.op(hotadd(b))

    def write_state(phase: str, block: int, text: str) -> Write:
        before = m.model.machine(m.state).nodes
        run_ = m.op(write("w0", block, text + "\n"))
        wr = Write(phase, block, text, run_.ret, m.read(block, "state"), run_.calls, before,
                   m.model.machine(m.state).nodes)
        r.writes.append(wr)
        return wr

    def online(block: int) -> bool:  # memory_is_online: grep -q online (6.2.7)
        return "online" in m.read(block, "state")

    def offline(block: int) -> bool:  # memory_is_offline: grep -q offline; going-offline matches
        return "offline" in m.read(block, "state")

    # 6.2.1 prerequisite: memory* directories and at least one `removable` containing 1
    r.hotpluggable = [b for b in m.blocks() if "1" in m.read(b, "removable")]
    if not r.hotpluggable:
        r.skipped = True
        return r
    # 6.2.3 phase A: online every hot-pluggable block that is offline; each must succeed
    for b in [b for b in r.hotpluggable if offline(b)]:
        wr = write_state("A", b, "online")
        if wr.ret is None or wr.ret < 0 or not online(b):
            r.retval = 1
            r.messages.append(f"A: memory{b}: unexpected fail")
    # 6.2.4 phase B: offline ceil(n * ratio / 100) online hot-pluggable blocks, counting successes
    target = math.ceil(len(r.hotpluggable) * RATIO / 100)
    done: list[int] = []
    for b in [b for b in r.hotpluggable if online(b)]:
        if len(done) >= target:
            break
        wr = write_state("B", b, "offline")
        if wr.ret is not None and wr.ret >= 0 and offline(b):
            done.append(b)
    if len(done) < target:
        r.retval = 1
        r.messages.append("B: FAILED - unable to offline some memory blocks, device busy?")
    # 6.2.5 phase C: online every offline hot-pluggable block again; each must succeed
    for b in [b for b in r.hotpluggable if offline(b)]:
        wr = write_state("C", b, "online")
        if wr.ret is None or wr.ret < 0 or not online(b):
            r.retval = 1
            r.messages.append(f"C: memory{b}: unexpected fail")
    # 6.2.6 phase D (messages only: failures here do not change retval in the modern script)
    m.op(inject("MEM_GOING_OFFLINE", "0"))  # D1
    for b in done:
        wr = write_state("D1", b, "offline")
        if wr.ret is None or wr.ret < 0 or not offline(b):
            r.messages.append(f"D1: memory{b}: unexpected fail")
    m.op(inject("MEM_GOING_ONLINE", str(ERROR)))  # D2
    for b in [b for b in r.hotpluggable if offline(b)]:
        wr = write_state("D2", b, "online")
        if wr.ret is not None and wr.ret >= 0 or not offline(b):
            r.messages.append(f"D2: memory{b}: unexpected success")
    m.op(inject("MEM_GOING_ONLINE", "0"))  # D3
    for b in [b for b in r.hotpluggable if offline(b)]:
        wr = write_state("D3", b, "online")
        if wr.ret is None or wr.ret < 0 or not online(b):
            r.messages.append(f"D3: memory{b}: unexpected fail")
    m.op(inject("MEM_GOING_OFFLINE", str(ERROR)))  # D4
    for b in [b for b in r.hotpluggable if online(b)]:
        wr = write_state("D4", b, "offline")
        if wr.ret is not None and wr.ret >= 0 or not online(b):
            r.messages.append(f"D4: memory{b}: unexpected offline")  # the script's own wording
    m.op(inject("MEM_GOING_OFFLINE", "0"))  # clear the injection
    return r


__all__ = ["run", "Run", "Write", "PROFILES", "ERROR", "ENOMEM"]
