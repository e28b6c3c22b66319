"""Kernel.fork / snapshot and the MirrorModel's snapshots: a copy behaves as a replay from boot does."""

from __future__ import annotations

import pytest

from checker.model import MirrorModel
from checker.review.runs import run_ops, start_actions
from spec.actions import Action
from spec.kernel import Kernel
from tests.kernel.conftest import world


def run_op(k: Kernel, start: Action) -> None:
    """``start`` to its return, each choice the first offered."""
    obs = k.apply(start, first_choice=True)
    while obs.ret is None:
        obs = k.apply(Action("step", thread=start.thread), first_choice=True)


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_fork_is_independent_and_equal_to_a_replay(profile: str) -> None:
    w = world("default", profile)
    k = Kernel(w)
    run_op(k, Action("write", thread="w0", block=1, file="state", text=b"offline"))
    assert k.idle()
    f = k.fork()
    assert f.machine() == k.machine() == k.clone().machine()
    assert f.sysfs() == k.sysfs()
    run_op(f, Action("write", thread="w0", block=1, file="state", text=b"online"))
    # the fork moved on; the original did not
    assert f.machine() != k.machine()
    assert k.machine() == k.clone().machine()
    # and the fork is what a replay of its own log gives
    assert f.machine() == f.clone().machine() and f.sysfs() == f.clone().sysfs()


def test_fork_of_a_kernel_in_flight_replays() -> None:
    k = Kernel(world("default", "v6.1"))
    k.apply(Action("write", thread="w0", block=1, file="state", text=b"offline"))
    assert not k.idle()
    f = k.fork()  # generators cannot be copied: the fork is a replay
    assert f.machine() == k.machine() and f._log == k._log


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_operations_run_the_same_with_and_without_kept_kernels(profile: str) -> None:
    """Every operation from every state two operations deep: the same runs whether the model
    rebuilds states from snapshots (and carries a live kernel through an operation) or boots
    and replays each one."""
    w = world("default", profile)

    class Replaying(MirrorModel):
        """Every state rebuilt by booting and replaying its whole path."""

        def _replay(self, path, anchor=0, base=None):  # type: ignore[no-untyped-def]
            return super()._replay(path)

        def _take(self, state):  # type: ignore[no-untyped-def]
            return self._replay(state.path)

    fast, slow = MirrorModel(w), Replaying(w)

    def layer(m: MirrorModel, states: list) -> tuple[list, list]:
        out, seen = [], []
        for s in states:
            for a in start_actions(m, s):
                for r in run_ops(m, s, a, m.view(s)):
                    out.append(r.post)
                    seen.append((a.label(), r.choices, r.ret, r.calls, r.node, r.sysfs,
                                 m.machine(r.post)))
        return out, seen

    sf, ss = fast.initial(), slow.initial()
    for _ in range(2):
        sf, got = layer(fast, sf)
        ss, want = layer(slow, ss)
        assert got == want
    assert all(s.base is not None for s in sf)  # the fast model did rebuild from snapshots
