"""The mirror boots to the spec's initial machine and renders the spec's sysfs layout."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.actions import Action, hotadd, read
from spec.kernel import Kernel
from spec.profiles import get_profile
from spec.state import initial_machine
from spec.sysfs import render

from .conftest import run_op, world


@pytest.mark.parametrize("name", ["default", "race", "qemu-2node", "qemu-3node"])
@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_boot_equals_initial_machine(name: str, profile: str) -> None:
    w = world(name, profile)
    k = Kernel(w)
    assert k.machine() == initial_machine(w, get_profile(profile))


@pytest.mark.parametrize("name", ["default", "qemu-2node", "qemu-3node"])
@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_boot_sysfs_matches_layout(name: str, profile: str) -> None:
    w = world(name, profile)
    k = Kernel(w)
    assert k.sysfs() == render(w, get_profile(profile), initial_machine(w, get_profile(profile)))


def test_v34_names_print_block_id(k34: Kernel) -> None:
    view = k34.sysfs()
    # 3.4 prints the block id, not the first section id (sections 2-3 for memory1)
    assert view["memory/memory1/phys_index"] == "00000001\n"
    assert view["memory/memory1/end_phys_index"] == "00000001\n"
    assert view["memory/block_size_bytes"] == "10000000\n"
    assert view["memory/memory0/removable"] == "0\n"      # unmovable pages in use
    assert view["node/has_normal_memory"] == "0\n"        # N_HIGH_MEMORY == N_NORMAL_MEMORY
    assert "node/has_memory" not in view


def test_v61_views(k61: Kernel) -> None:
    view = k61.sysfs()
    assert view["memory/memory0/valid_zones"] == "none\n"
    assert view["memory/memory1/valid_zones"] == "DMA32\n"
    assert view["memory/memory0/removable"] == "1\n"      # always 1 since 5.7
    assert view["node/online"] == "0-1\n"                  # memoryless node 1 online from boot
    assert view["node/has_memory"] == "0\n"
    run_op(k61, hotadd(16))
    assert k61.sysfs()["memory/memory16/valid_zones"] == "Normal Movable\n"
    assert k61.sysfs()["memory/memory16/online"] == "0\n"


def test_start_actions_at_boot(k34: Kernel, k61: Kernel) -> None:
    acts = k34.start_actions()
    writes = [a for a in acts if a.kind == "write"]
    assert len(writes) == 2 * 7 and all(a.file == "state" for a in writes)
    assert [(a.kind, a.block) for a in acts if a.thread == "fw"] == [("hotadd", 16), ("hotadd", 17)]
    # the default world has reads = false: reads are judged, not enumerated
    assert [a.block for a in acts if a.kind == "read"] == []
    with_reads = Kernel(replace(world(), reads=True)).start_actions()
    assert [a.block for a in with_reads if a.kind == "read"] == [0, 1]
    acts61 = k61.start_actions()
    assert len([a for a in acts61 if a.kind == "write"]) == 2 * (7 + 3)
    assert [a.file for a in acts61 if a.kind == "write"][:10] == ["state"] * 7 + ["online"] * 3


def test_start_actions_after_hotadd(k34: Kernel) -> None:
    run_op(k34, hotadd(16))
    acts = k34.start_actions()
    assert [(a.kind, a.block) for a in acts if a.thread == "fw"] == [("hotremove", 16), ("hotadd", 17)]
    assert [a.block for a in acts if a.kind == "read"] == []
    k = Kernel(replace(world(), reads=True))
    run_op(k, hotadd(16))
    assert [a.block for a in k.start_actions() if a.kind == "read"] == [0, 1, 16]


def test_read_and_unknown_files(k34: Kernel) -> None:
    o = k34.apply(read(0))
    assert (o.thread, o.point, o.read, o.ret) == (None, "ret", "online\n", 7)
    assert k34.apply(read(1, "end_phys_index")).read == "00000001\n"
    from spec.errors import ActionError
    with pytest.raises(ActionError):
        k34.apply(read(16))                      # not registered yet
    with pytest.raises(ActionError):
        k34.apply(read(0, "valid_zones"))        # no such file in 3.4
    with pytest.raises(ActionError):
        k34.apply(Action("write", thread="w0", block=0, file="online", text=b"1"))
