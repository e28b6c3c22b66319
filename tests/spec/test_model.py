"""The spec's step function on scripted scenarios whose outcome facts.md states."""

from __future__ import annotations

import pytest

from spec.actions import (
    EBUSY, EINVAL, EPERM, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_BAD, Action,
    hotadd, notifier_to_errno, read, step, write,
)
from spec.errors import ActionError
from spec.model import Spec
from spec.profiles import get_profile
from spec.state import PAGES_ISOLATED, PAGES_ONLINE
from spec.worlds import builtin_world


def spec(profile: str = "v3.4") -> Spec:
    w = builtin_world("default").with_profile(profile)
    return Spec(w, get_profile(profile))


def run(sp: Spec, s, actions):
    """Apply actions; each is an Action, or a thread name to step with the first choice."""
    obs_all = []
    for a in actions:
        if isinstance(a, str):
            a = next(x for x, _, _ in sp.successors(s) if x.kind == "step" and x.thread == a)
        s, obs = sp.step(s, a)
        obs_all.append(obs)
    return s, obs_all


def finish(sp: Spec, s, thread: str, choices=()):
    """Step ``thread`` until its operation returns, using ``choices`` in order where asked."""
    choices = list(choices)
    calls = []
    for _ in range(100):
        a = step(thread)
        try:
            s2, obs = sp.step(s, a)
        except ActionError:
            s2, obs = sp.step(s, step(thread, choices.pop(0)))
        s = s2
        calls += obs.calls
        if obs.ret is not None:
            return s, obs.ret, calls
    raise AssertionError("operation did not return")


def test_online_of_hotadded_block_v34() -> None:
    sp = spec()
    s = sp.initial()
    s, _ = sp.step(s, hotadd(16))
    s, ret, _ = finish(sp, s, "fw")
    assert ret == 0 and s.machine.blocks[2].registered
    assert s.machine.nodes[1].online  # 3.4: hotadd_new_pgdat + node_set_online
    s, obs = sp.step(s, write("w0", 16, "online"))
    s, ret, calls = finish(sp, s, "w0", ["NOTIFY_OK", "0"])
    assert ret == len("online")
    going = [c for c in calls if c.event == "MEM_GOING_ONLINE"]
    assert [c.callback for c in going] == ["slub", "tier", "inject"]
    assert all(c.status_change_nid == 1 and not c.allocatable for c in going)
    assert [c.callback for c in calls if c.event == "MEM_ONLINE"] == ["slub", "tier", "inject"]
    assert all(c.allocatable for c in calls if c.event == "MEM_ONLINE")
    assert "N_HIGH_MEMORY" in s.machine.nodes[1].flags
    assert 1 in s.machine.slub_nodes


@pytest.mark.parametrize("text,v34,v61", [
    (b"o", "online", -EINVAL), (b"online_movable", "online", "online"), (b"offline", "offline", "offline"),
    (b"bogus", -EINVAL, -EINVAL), (b"", 0, 0), (b"online\n", "online", "online"),
    (b"Online", -EINVAL, -EINVAL), (b"online\0junk", "online", "online"),
])
def test_parsing(text: bytes, v34, v61) -> None:
    for profile, want in (("v3.4", v34), ("v6.1", v61)):
        sp = spec(profile)
        s, _ = sp.step(sp.initial(), hotadd(16))
        s, _, _ = finish(sp, s, "fw")
        s2, obs = sp.step(s, write("w0", 16, text))
        if isinstance(want, int):
            assert obs.ret == want, (profile, text)
        else:
            assert obs.point.startswith("wait:"), (profile, text)
            op = s2.threads[0]
            assert op is not None and op.req == want.split("_")[0].replace("online", "online")


def test_offline_of_block_spanning_zones_is_einval() -> None:
    for profile in ("v3.4", "v6.1"):
        sp = spec(profile)
        s, _ = sp.step(sp.initial(), write("w0", 0, "offline"))
        s, ret, calls = finish(sp, s, "w0")
        assert ret == -EINVAL and not calls
        assert s.machine.blocks[0].state == MEM_ONLINE


def test_notify_stop_leaves_inject_without_going_online() -> None:
    sp = spec()
    s, _ = sp.step(sp.initial(), hotadd(16))
    s, _, _ = finish(sp, s, "fw")
    s, _ = sp.step(s, write("w0", 16, "online"))
    s, ret, calls = finish(sp, s, "w0", ["NOTIFY_STOP"])
    assert ret == len("online")
    assert [(c.event, c.callback) for c in calls] == [
        ("MEM_GOING_ONLINE", "slub"), ("MEM_GOING_ONLINE", "tier"),
        ("MEM_ONLINE", "slub"), ("MEM_ONLINE", "tier"), ("MEM_ONLINE", "inject")]


@pytest.mark.parametrize("profile,alloc", [("v3.4", False), ("v6.1", True)])
def test_cancel_offline_order(profile: str, alloc: bool) -> None:
    sp = spec(profile)
    s = sp.initial()
    if profile == "v6.1":  # 6.1 refuses memory1 (a hole): use a hot-added block
        s, _ = sp.step(s, hotadd(17))
        s, _, _ = finish(sp, s, "fw")
        s, _ = sp.step(s, write("w0", 17, "online_kernel"))
        s, _, _ = finish(sp, s, "w0", ["NOTIFY_OK", "0"])
    block = 1 if profile == "v3.4" else 17
    s, _ = sp.step(s, write("w0", block, "offline"))
    s, ret, calls = finish(sp, s, "w0", ["NOTIFY_BAD"])
    assert ret == notifier_to_errno(NOTIFY_BAD) == -EPERM
    cancel = [c for c in calls if c.event == "MEM_CANCEL_OFFLINE"]
    assert [c.callback for c in cancel] == ["slub", "tier", "inject"]  # the whole chain
    assert all(c.allocatable is alloc for c in cancel)
    i = 1 if profile == "v3.4" else 3
    assert s.machine.blocks[i].pages == PAGES_ONLINE and s.machine.blocks[i].state == MEM_ONLINE


def test_going_offline_is_visible_to_reads() -> None:
    sp = spec()
    s, _ = sp.step(sp.initial(), write("w0", 1, "offline"))
    s, obs = run(sp, s, ["w0"])  # take state_mutex, set going-offline
    assert obs[-1].point == "going_offline"
    _, obs = sp.step(s, read(1))
    assert obs.read == "going-offline\n"


def test_injected_errno_and_unmovable_pages_v61() -> None:
    w = builtin_world("qemu-2node")
    sp = Spec(w, get_profile(w.profile))
    s = sp.initial()
    s, _ = sp.step(s, Action("inject", choice="MEM_GOING_OFFLINE", text=b"-16"))
    s, _ = sp.step(s, hotadd(32))
    s, _, _ = finish(sp, s, "fw")
    s, _ = sp.step(s, write("w0", 32, "online_movable"))
    s, ret, _ = finish(sp, s, "w0")
    assert ret == len("online_movable") and s.machine.blocks[2].zones == ("Movable",)
    s, _ = sp.step(s, write("w0", 32, "offline"))
    s, ret, calls = finish(sp, s, "w0")
    assert ret == -EBUSY and s.machine.blocks[2].state == MEM_ONLINE
    assert {c.event for c in calls} == {"MEM_GOING_OFFLINE", "MEM_CANCEL_OFFLINE"}
    s, _ = sp.step(s, write("w0", 4, "offline"))  # boot block with unmovable pages
    s, ret, calls = finish(sp, s, "w0")
    assert ret == -EBUSY and not calls


def test_step_needs_its_choice() -> None:
    sp = spec()
    s, _ = sp.step(sp.initial(), write("w0", 1, "offline"))
    s, _ = run(sp, s, ["w0", "w0"])  # take state_mutex: going_offline; wait for mem_hotplug_mutex
    with pytest.raises(ActionError):  # isolation + slub's call takes no choice
        sp.step(s, step("w0", "NOTIFY_OK"))
    s, obs = sp.step(s, step("w0"))
    assert s.machine.blocks[1].pages == PAGES_ISOLATED and obs.calls[0].callback == "slub"
    with pytest.raises(ActionError):  # tier's answer is a choice
        sp.step(s, step("w0"))


def test_enabled_is_pure() -> None:
    sp = spec()
    s = sp.initial()
    before = hash(s)
    list(sp.successors(s))
    assert hash(s) == before and s == sp.initial()


_ = (MEM_GOING_OFFLINE, MEM_OFFLINE)


def test_no_callback_no_status_change_nid_judgement() -> None:
    """A world without notifier callbacks observes no status_change_nid: a node that gains its
    first memory is no violation (the announcement has no witness), on every profile."""
    from pathlib import Path

    from checker.engines.explore import explore, verdicts
    from checker.model import SpecModel
    from spec.config import load_world

    bare = Path(__file__).resolve().parents[1] / "checker" / "engines" / "smt" / "worlds" / "bare.toml"
    for profile in ("v3.4", "v6.1", "v6.17"):
        m = SpecModel(load_world(bare).with_profile(profile))
        got = {v.name: v.verdict for v in verdicts(m, explore(m), None)}
        assert got["status_change_nid"] != "violated", profile
        assert got["node_state"] == "passed", profile  # the flip itself does happen
