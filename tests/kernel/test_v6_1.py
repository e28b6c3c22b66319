"""Scripted scenarios on the v6.1 mirror (facts.md sections 3, 4, 5, 9)."""

from __future__ import annotations

import types

import pytest

from spec.actions import (EBUSY, EINVAL, MEM_OFFLINE, MEM_ONLINE, hotadd, hotremove, read, step,
                          write)
from spec.errors import ActionError
from spec.kernel import Kernel
from spec.kernel.lib import kstrtobool, strncmp, sysfs_streq
from spec.kernel.notifier import notifier_chain_register
from spec.kernel.structs import NotifierBlock

from .conftest import calls, run_op, world


def _online16(k: Kernel, text: str = "online") -> None:
    run_op(k, hotadd(16))
    run_op(k, write("w0", 16, text), ["NOTIFY_OK", "0"])


def test_string_helpers() -> None:
    assert strncmp(b"o", b"online", 1) == 0 and strncmp(b"offline", b"online", 6) != 0
    assert sysfs_streq(b"online\n", b"online") and not sysfs_streq(b"o", b"online")
    assert not sysfs_streq(b"online\n\n", b"online")
    assert kstrtobool(b"1") == (0, True) and kstrtobool(b"0") == (0, False)
    assert kstrtobool(b"on") == (0, True) and kstrtobool(b"2")[0] == -EINVAL


def test_chain_register_order() -> None:
    nl: list[NotifierBlock] = []
    for name, prio in (("tier", 0), ("slub", 1), ("inject", 0), ("ipc", 10)):
        notifier_chain_register(nl, NotifierBlock(name, "ok_callback", prio))
    assert [n.name for n in nl] == ["ipc", "slub", "tier", "inject"]


def test_o_is_einval_before_the_lock(k61: Kernel) -> None:
    run_op(k61, hotadd(16))
    o = k61.apply(write("w0", 16, "o"))
    assert (o.point, o.ret) == ("ret", -EINVAL)
    assert k61.apply(write("w0", 16, "")).ret == 0


def test_online_movable_sets_only_n_memory(k61: Kernel) -> None:
    run_op(k61, hotadd(16))
    obs = run_op(k61, write("w0", 16, "online_movable"), ["NOTIFY_OK", "0"])
    assert [o.point for o in obs] == [
        "wait:device_hotplug_lock", "call", "call", "call",
        "commit", "call", "call", "call", "ret"]  # no point at taking or releasing the lock
    going = obs[1].calls[0]
    assert (going.status_change_nid, going.status_change_nid_normal) == (1, -1)
    assert obs[-1].ret == len("online_movable")
    m = k61.machine()
    assert m.blocks[2].zones == ("Movable",) and m.blocks[2].online_type == "offline"
    assert m.nodes[1].flags == {"N_MEMORY"} and m.slub_nodes == {0}
    assert k61.sysfs()["memory/memory16/valid_zones"] == "Movable\n"


def test_online_twice(k61: Kernel) -> None:
    _online16(k61)
    obs = run_op(k61, write("w0", 16, "online"))
    assert [o.point for o in obs] == ["wait:device_hotplug_lock", "ret"]
    assert obs[-1].ret == -EINVAL
    assert run_op(k61, write("w0", 16, "1", "online"))[-1].ret == 1   # count


def test_online_kernel_nids_and_slub(k61: Kernel) -> None:
    _online16(k61, "online_kernel")
    m = k61.machine()
    assert m.nodes[1].flags == {"N_MEMORY", "N_NORMAL_MEMORY"} and m.slub_nodes == {0, 1}
    assert m.nodes[1].present_pages == 65536


def test_cancel_offline_after_undo(k61: Kernel) -> None:
    _online16(k61)
    obs = run_op(k61, write("w0", 16, "offline"), ["NOTIFY_OK", "-EBUSY"])
    cancel = [c for o in obs for c in o.calls if c.event == "MEM_CANCEL_OFFLINE"]
    assert [c.callback for c in cancel] == ["slub", "tier", "inject"]
    assert all(c.allocatable for c in cancel)           # undo_isolate_page_range first
    assert obs[-1].ret == -EBUSY
    assert k61.machine().blocks[2].state == MEM_ONLINE


def test_offline_memory0_and_holes(k61: Kernel) -> None:
    for b in (0, 1):   # memory0: no single zone; memory1: a memory hole
        obs = run_op(k61, write("w0", b, "offline"))
        assert obs[-1].ret == -EINVAL and not calls(obs)
        assert "going_offline" in [o.point for o in obs]
        assert k61.machine().blocks[b].state == MEM_ONLINE


def test_offline_via_online_file_and_migration_options(k61: Kernel) -> None:
    _online16(k61)
    k61.apply(write("w0", 16, "0", "online"))
    assert k61.apply(step("w0")).point == "going_offline"
    assert k61.apply(read(16)).read == "going-offline\n"
    k61.apply(step("w0"))
    k61.apply(step("w0", "NOTIFY_OK"))
    k61.apply(step("w0", "0"))
    assert k61.apply(step("w0"), first_choice=True).point == "commit"
    assert k61.last_options == ("ok", "-EBUSY", "-EINTR")  # no timeout since 4.15
    obs = run_op(k61, step("w0"))
    assert obs[-1].ret == 1
    m = k61.machine()
    assert m.blocks[2].state == MEM_OFFLINE and m.blocks[2].zones == ()
    assert m.nodes[1].flags == frozenset() and m.nodes[1].present_pages == 0


def test_eject_removes_the_block(k61: Kernel) -> None:
    _online16(k61)
    obs = run_op(k61, hotremove(16), ["NOTIFY_OK", "0", "ok"])
    assert obs[0].point == "wait:device_hotplug_lock" and obs[-1].ret == 0
    b = k61.machine().blocks[2]
    assert (b.present, b.registered, b.resource, b.links, b.backlinks) == (
        False, False, False, frozenset(), frozenset())
    assert k61.machine().nodes[1].online          # node 1 has a CPU
    assert "memory/memory16/state" not in k61.sysfs()
    assert run_op(k61, hotadd(16))[-1].ret == 0   # the resource was released


def test_eject_of_offline_block_and_failure(k61: Kernel) -> None:
    run_op(k61, hotadd(16))
    obs = run_op(k61, hotremove(16))
    assert [o.point for o in obs] == ["wait:device_hotplug_lock", "ret"]
    _online16(k61)
    obs = run_op(k61, hotremove(16), ["NOTIFY_BAD"])
    assert obs[-1].ret == -EBUSY and k61.machine().blocks[2].registered


def test_patched_mirror_overrides_everywhere() -> None:
    impl = types.ModuleType("patched_slub")
    exec("def slab_mem_going_online_callback(k, arg):\n    return -12\n", impl.__dict__)
    k = Kernel(world(profile="v6.1"), impl)
    run_op(k, hotadd(16))
    obs = run_op(k, write("w0", 16, "online_kernel"))
    assert obs[-1].ret == -12
    assert calls(obs) == [("MEM_GOING_ONLINE", "slub"), ("MEM_CANCEL_ONLINE", "slub"),
                          ("MEM_CANCEL_ONLINE", "tier"), ("MEM_CANCEL_ONLINE", "inject")]
    assert k.clone().machine() == k.machine()


def test_writers_serialise_on_device_hotplug_lock() -> None:
    k = Kernel(world("race", "v6.1"))
    run_op(k, hotadd(16))
    k.apply(write("w0", 16, "online"))
    k.apply(step("w0"))
    k.apply(write("w1", 0, "offline"))
    assert k.runnable() == ["w0"]
    with pytest.raises(ActionError):
        k.apply(step("w1"))
