"""What the spec predicts a real machine shows, operation by operation, for a Trace.

A real machine runs whole operations (one write(2), one hot-add, one eject), not the spec's
steps. ``operations`` cuts a trace into them: a start action (write, hotadd, hotremove, read,
inject) and the steps of its thread up to the step that returns. ``Predictor.advance`` replays one
operation on every branch of the spec (``spec.model.Spec`` of the profile asked for, never
results of earlier runs), following every choice the spec offers, and returns the set of
outcomes: the return value and the state after it.

Where the real kernel is not deterministic, the prediction is a set: whether a block holds
unmovable pages at the moment it is offlined is known for hot-added blocks in ZONE_MOVABLE
(never), but not for boot blocks (which of them hold unmovable pages varies from boot to boot)
nor for hot-added blocks onlined to a kernel zone (they soon hold unmovable pages, or not yet;
docs/qemu.md). For such an offline (a ``state``/``online`` write or an eject) the step is also
run on the world with that block's ``unmovable`` flag flipped; both outcomes form the set.

``expected`` renders a state as the guest agent reports it: the sysfs view of the world's blocks
and nodes (spec.sysfs.render) and each node's change of MemTotal since the trace began.

Leaves out: interleavings (a real machine runs one writer and the firmware one after the other;
traces that interleave operations are refused with a TraceError).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from spec.actions import MEM_ONLINE, Action
from spec.config import World
from spec.errors import TraceError
from spec.model import Spec
from spec.profiles import Profile
from spec.state import KERNEL_ZONES, State
from spec.sysfs import render

from checker.formats.traces import Trace

START_KINDS = ("write", "hotadd", "hotremove", "read", "inject")
PAGE_KB = 4


@dataclass(frozen=True)
class Operation:
    """Steps ``first..last`` (0-based, inclusive) of a trace: one thing a real machine does."""

    first: int
    last: int
    action: Action


def operations(trace: Trace) -> list[Operation]:
    ops: list[Operation] = []
    i, steps = 0, trace.steps
    while i < len(steps):
        a = steps[i].action
        if a.kind not in START_KINDS:
            raise TraceError(f"step {i + 1} ({a.label()}): a step of no operation in progress; "
                             "a real machine replays only operations one after another")
        j = i
        while steps[j].obs.ret is None:
            j += 1
            if j >= len(steps):
                raise TraceError(f"step {i + 1} ({a.label()}): the operation never returns in the trace")
            b = steps[j].action
            if b.kind != "step" or b.thread != a.thread:
                raise TraceError(f"step {j + 1} ({b.label()}): interleaves with the operation of "
                                 f"step {i + 1}; a real machine runs operations one after another")
        ops.append(Operation(i, j, a))
        i = j + 1
    return ops


@dataclass(frozen=True)
class Outcome:
    ret: int
    read: str | None
    state: State


class Predictor:
    """The spec of ``profile`` on ``world``, run operation by operation."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.world, self.profile = world, profile
        self.spec = Spec(world, profile)
        self._flipped: dict[int, Spec] = {}

    def initial(self) -> State:
        return self.spec.initial()

    def _flip(self, block: int) -> Spec:
        if block not in self._flipped:
            blocks = tuple(replace(b, unmovable=not b.unmovable) if b.id == block else b
                           for b in self.world.blocks)
            self._flipped[block] = Spec(replace(self.world, blocks=blocks), self.profile)
        return self._flipped[block]

    def uncertain(self, state: State, a: Action) -> bool:
        """Whether offlining ``a.block`` now may or may not meet unmovable pages."""
        if a.block is None or a.kind not in ("write", "hotremove"):
            return False
        if a.kind == "write" and not (a.file == "state" and (a.text or b"").strip() == b"offline"
                                      or a.file == "online" and (a.text or b"").strip() == b"0"):
            return False
        i = self.world.block_index(a.block)
        spec, b = self.world.blocks[i], state.machine.blocks[i]
        if not b.registered or b.state != MEM_ONLINE:
            return False
        return not spec.hotplug or any(z in KERNEL_ZONES for z in b.zones)

    def advance(self, state: State, a: Action) -> list[Outcome]:
        """Every outcome the spec allows for operation ``a`` from ``state``."""
        specs = [self.spec]
        if self.uncertain(state, a) and self.profile.name == self.world.profile:
            specs.append(self._flip(a.block))  # type: ignore[arg-type]
        out: list[Outcome] = []
        for sp in specs:
            for o in self._run(sp, state, a):
                if o not in out:
                    out.append(o)
        return out

    def _run(self, sp: Spec, state: State, a: Action) -> list[Outcome]:
        s, obs = sp.step(state, a)
        if obs.ret is not None:
            return [Outcome(obs.ret, obs.read, s)]
        out: list[Outcome] = []
        frontier = [s]
        seen = {s}
        while frontier:
            cur = frontier.pop()
            for b, s2, obs2 in sp.successors(cur):
                if b.kind != "step" or b.thread != a.thread:
                    continue
                if obs2.ret is not None:
                    o = Outcome(obs2.ret, obs2.read, State(s2.machine, s2.threads))
                    if o not in out:
                        out.append(o)
                elif s2 not in seen:
                    seen.add(s2)
                    frontier.append(s2)
        # back on the base spec's world: the flip holds for this one offline attempt only
        return out

    def expected(self, state: State, base: State) -> dict[str, str]:
        return expected(self.world, self.profile, state, base)


def expected(world: World, profile: Profile, state: State, base: State) -> dict[str, str]:
    """The agent's snapshot the spec predicts (links as ``@link``, node dirs as ``@dir``,
    ``meminfo/nodeN`` as the change of MemTotal in kB since ``base``)."""
    out: dict[str, str] = {}
    for k, v in render(world, profile, state.machine).items():
        if isinstance(v, tuple):
            out[k] = "@link"
        elif k.endswith("/"):
            out[k] = "@dir"
        else:
            out[k] = v.rstrip("\n")
    for n, (a, b) in enumerate(zip(base.machine.nodes, state.machine.nodes)):
        if b.online:
            out[f"meminfo/node{n}"] = str((b.present_pages - a.present_pages) * PAGE_KB)
    return out


__all__ = ["Operation", "operations", "Outcome", "Predictor", "expected"]
