"""Scripted scenarios on the v3.4 mirror (facts.md sections 2, 4, 5, 9)."""

from __future__ import annotations

import pytest

from spec.actions import (EBUSY, EEXIST, EINVAL, ENOMEM, EPERM, MEM_GOING_OFFLINE, MEM_OFFLINE,
                          MEM_ONLINE, NOTIFY_BAD, NOTIFY_STOP, hotadd, hotremove, read, step,
                          write)
from spec.errors import ActionError
from spec.kernel import Kernel
from spec.kernel.notifier import notifier_from_errno, notifier_to_errno

from .conftest import calls, run_op


def test_notifier_errno_conversions() -> None:
    assert notifier_to_errno(NOTIFY_BAD) == -EPERM
    assert notifier_to_errno(NOTIFY_STOP) == 0
    assert notifier_to_errno(notifier_from_errno(-ENOMEM)) == -ENOMEM
    assert notifier_from_errno(0) == 1


def test_hotadd_creates_offline_block_and_onlines_node(k34: Kernel) -> None:
    obs = run_op(k34, hotadd(16))
    # taking a lock is no point of its own, and the release at the end of add_memory is its
    # last shared action: the step after the wait runs to ret (STEPS.md)
    assert [o.point for o in obs] == ["wait:mem_hotplug_mutex", "ret"]
    assert obs[-1].ret == 0
    m = k34.machine()
    b = m.blocks[2]
    assert (b.present, b.registered, b.state, b.pages, b.zones) == (True, True, MEM_OFFLINE,
                                                                     "reserved", ("Normal",))
    assert b.links == b.backlinks == frozenset({1})
    assert m.nodes[1].online and m.nodes[1].present_pages == 0 and not m.nodes[1].flags


def test_online_after_hotadd_chain_order_and_nid(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    obs = run_op(k34, write("w0", 16, "online"), ["NOTIFY_OK", "0"])
    assert [o.point for o in obs] == [
        "wait:state_mutex:memory16", "wait:mem_hotplug_mutex", "call", "call", "call",
        "commit", "call", "call", "call",
        "unlock:mem_hotplug_mutex", "ret"]  # state_mutex's release goes on to ret
    assert calls(obs) == [("MEM_GOING_ONLINE", "slub"), ("MEM_GOING_ONLINE", "tier"),
                          ("MEM_GOING_ONLINE", "inject"), ("MEM_ONLINE", "slub"),
                          ("MEM_ONLINE", "tier"), ("MEM_ONLINE", "inject")]
    all_calls = [c for o in obs for c in o.calls]
    assert all(c.status_change_nid == 1 and c.status_change_nid_normal is None for c in all_calls)
    assert all(c.start_pfn == 16 * 65536 and c.nr_pages == 65536 for c in all_calls)
    assert [c.allocatable for c in all_calls] == [False] * 3 + [True] * 3
    assert obs[-1].ret == 6
    m = k34.machine()
    assert m.blocks[2].state == MEM_ONLINE and m.blocks[2].pages == "online"
    assert m.nodes[1].present_pages == 65536 and m.nodes[1].flags == {"N_HIGH_MEMORY"}
    assert m.slub_nodes == {0, 1}


def test_prefix_parsing(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    obs = run_op(k34, write("w0", 16, "o"), ["NOTIFY_OK", "0"])
    assert obs[-1].ret == 1 and k34.machine().blocks[2].state == MEM_ONLINE
    assert run_op(k34, write("w0", 16, "bogus"))[0].ret == -EINVAL
    # already online: the state check gives -EINVAL
    assert run_op(k34, write("w0", 16, "online_movable"))[-1].ret == -EINVAL


def test_empty_write_returns_zero(k34: Kernel) -> None:
    o = k34.apply(write("w0", 0, ""))
    assert (o.thread, o.point, o.ret) == ("w0", "ret", 0)
    assert k34.runnable() == []


def test_offline_memory0_is_einval(k34: Kernel) -> None:
    obs = run_op(k34, write("w0", 0, "offline"))
    assert [o.point for o in obs] == ["wait:state_mutex:memory0", "going_offline", "ret"]
    assert obs[-1].ret == -EINVAL and not calls(obs)
    assert k34.machine().blocks[0].state == MEM_ONLINE


def test_notify_stop_skips_later_callbacks_but_not_online(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    obs = run_op(k34, write("w0", 16, "online"), ["NOTIFY_STOP"])
    assert calls(obs) == [("MEM_GOING_ONLINE", "slub"), ("MEM_GOING_ONLINE", "tier"),
                          ("MEM_ONLINE", "slub"), ("MEM_ONLINE", "tier"), ("MEM_ONLINE", "inject")]
    assert obs[-1].ret == 6


def test_notify_bad_cancels_whole_chain(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    obs = run_op(k34, write("w0", 16, "online"), ["NOTIFY_BAD"])
    assert calls(obs) == [("MEM_GOING_ONLINE", "slub"), ("MEM_GOING_ONLINE", "tier"),
                          ("MEM_CANCEL_ONLINE", "slub"), ("MEM_CANCEL_ONLINE", "tier"),
                          ("MEM_CANCEL_ONLINE", "inject")]
    assert obs[-1].ret == -EPERM
    m = k34.machine()
    assert m.blocks[2].state == MEM_OFFLINE and m.blocks[2].pages == "reserved"
    assert m.slub_nodes == {0}  # CANCEL_ONLINE freed what GOING_ONLINE allocated


def _online16(k: Kernel) -> None:
    run_op(k, hotadd(16))
    run_op(k, write("w0", 16, "online"), ["NOTIFY_OK", "0"])


def test_cancel_offline_before_undo(k34: Kernel) -> None:
    _online16(k34)
    obs = run_op(k34, write("w0", 16, "offline"), ["NOTIFY_OK", "-EBUSY"])
    cancel = [c for o in obs for c in o.calls if c.event == "MEM_CANCEL_OFFLINE"]
    assert [c.callback for c in cancel] == ["slub", "tier", "inject"]
    assert not any(c.allocatable for c in cancel)  # still isolated: CANCEL before undo
    assert obs[-1].ret == -EBUSY
    m = k34.machine()
    assert m.blocks[2].state == MEM_ONLINE and m.blocks[2].pages == "online"


def test_offline_success_and_migration_choices(k34: Kernel) -> None:
    _online16(k34)
    k34.apply(write("w0", 16, "offline"))
    for _ in range(3):
        k34.apply(step("w0"))              # going_offline, wait:mem_hotplug_mutex, call slub
    k34.apply(step("w0", "NOTIFY_OK"))
    o = k34.apply(step("w0", "0"))
    assert o.calls[0].event == "MEM_GOING_OFFLINE" and o.calls[0].status_change_nid == 1
    o = k34.apply(step("w0"), first_choice=True)
    assert k34.last_options == ("ok", "-EBUSY", "-EINTR", "-EAGAIN")
    assert k34.last_choice == "ok" and o.point == "commit"
    m = k34.machine()
    assert m.nodes[1].present_pages == 0 and not m.nodes[1].flags
    while k34.apply(step("w0")).point != "ret":
        pass
    m = k34.machine()
    assert m.blocks[2].state == MEM_OFFLINE and m.blocks[2].pages == "reserved"
    assert m.slub_nodes == {0}


def test_read_during_offline_shows_going_offline(k34: Kernel) -> None:
    _online16(k34)
    k34.apply(write("w0", 16, "offline"))
    assert k34.apply(step("w0")).point == "going_offline"
    assert k34.apply(read(16)).read == "going-offline\n"
    assert k34.machine().blocks[2].state == MEM_GOING_OFFLINE


def test_step_needing_choice_without_one(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    k34.apply(write("w0", 16, "online"))
    for _ in range(2):
        k34.apply(step("w0"))              # wait:mem_hotplug_mutex, call slub
    before = (k34.machine(), k34.sysfs())
    with pytest.raises(ActionError):
        k34.apply(step("w0"))              # tier's answer is a choice
    assert (k34.machine(), k34.sysfs()) == before
    with pytest.raises(ActionError):
        k34.apply(step("w0", "NOTIFY_MAYBE"))
    o = k34.apply(step("w0"), first_choice=True)
    assert k34.last_options == ("NOTIFY_OK", "NOTIFY_BAD", "NOTIFY_STOP")
    assert k34.last_choice == "NOTIFY_OK" and o.calls[0].callback == "tier"
    with pytest.raises(ActionError):       # no GOING answer asked: the commit step
        k34.apply(step("w0", "0"))
        k34.apply(step("w0", "NOTIFY_OK"))


def test_choice_on_a_step_that_takes_none(k34: Kernel) -> None:
    k34.apply(write("w0", 0, "offline"))
    with pytest.raises(ActionError):
        k34.apply(step("w0", "ok"))
    assert k34.apply(step("w0")).point == "going_offline"


def test_hotremove_only_offlines_pages(k34: Kernel) -> None:
    _online16(k34)
    obs = run_op(k34, hotremove(16), ["NOTIFY_OK", "0", "ok"])
    assert obs[0].point == "wait:mem_hotplug_mutex"          # no state_mutex, no going-offline
    assert "going_offline" not in [o.point for o in obs]
    assert obs[-1].ret == 0
    b = k34.machine().blocks[2]
    # the device stays, still "online", with its pages offlined; the resource stays
    assert (b.present, b.registered, b.state, b.pages, b.resource) == (
        False, True, MEM_ONLINE, "reserved", True)
    assert run_op(k34, hotadd(16))[-1].ret == -EEXIST


def test_hotremove_of_offline_block_is_ebusy(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    k34.apply(hotremove(16))
    k34.apply(step("fw"))                  # call slub
    k34.apply(step("fw", "NOTIFY_OK"))
    k34.apply(step("fw", "0"))
    # reserved pages never pass check_pages_isolated: -EBUSY is forced
    assert k34.apply(step("fw", "-EBUSY")).point == "migrate_failed"
    assert k34.last_options == ("-EBUSY", "-EAGAIN")
    obs = run_op(k34, step("fw"))
    assert obs[-1].ret == -EBUSY and k34.machine().blocks[2].present


def test_firmware_gets_no_signal_choice(k34: Kernel) -> None:
    _online16(k34)
    k34.apply(hotremove(16))
    k34.apply(step("fw"))                  # call slub
    k34.apply(step("fw", "NOTIFY_OK"))
    k34.apply(step("fw", "0"))
    k34.apply(step("fw"), first_choice=True)
    assert k34.last_options == ("ok", "-EBUSY", "-EAGAIN")


def test_lock_waits(k34: Kernel) -> None:
    _online16(k34)
    k34.apply(write("w0", 16, "offline"))
    for _ in range(2):
        k34.apply(step("w0"))                                  # ..., wait:mem_hotplug_mutex
    k34.apply(hotremove(16))
    assert k34.apply(step("fw")).point == "call"               # took the lock, called slub
    assert k34.runnable() == ["fw"]
    with pytest.raises(ActionError):
        k34.apply(step("w0"))
    assert k34.machine().locks == (("mem_hotplug_mutex", "fw"), ("state_mutex:memory16", "w0"))


def test_injector_kind_and_inject_action() -> None:
    from .conftest import world
    w = world("qemu-2node", "v3.4")
    k = Kernel(w)
    assert k.apply(__import__("spec.actions", fromlist=["inject"]).inject(
        "MEM_GOING_ONLINE", "-ENOMEM")).ret == 0
    run_op(k, hotadd(32))
    obs = run_op(k, write("w0", 32, "online"))
    assert obs[-1].ret == -ENOMEM
    assert calls(obs) == [("MEM_GOING_ONLINE", "inject"), ("MEM_CANCEL_ONLINE", "inject")]
    assert ("MEM_GOING_ONLINE", -ENOMEM) in k.machine().inject
    with pytest.raises(ActionError):
        k.apply(__import__("spec.actions", fromlist=["inject"]).inject("MEM_ONLINE", "-1"))


def test_clone_replays(k34: Kernel) -> None:
    _online16(k34)
    k34.apply(write("w0", 16, "offline"))
    c = k34.clone()
    assert c.machine() == k34.machine() and c.runnable() == k34.runnable()
    c.apply(step("w0"))                    # takes state_mutex, sets going-offline
    assert c.machine() != k34.machine()
