"""The audit on the real snapshots: no false finding, and every corruption caught."""

from __future__ import annotations

import pytest

from checker.audit.run import audit_view
from tests.checker.audit.conftest import SNAPSHOTS


def test_there_are_real_snapshots():
    assert len(SNAPSHOTS) >= 5, SNAPSHOTS


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_real_snapshot_passes(real_views, name):
    rep = audit_view(real_views[name], name, "archive")
    assert rep.profile == "v6.1"
    assert rep.findings == [], rep.text()
    assert rep.exit == 0


def _audit(view, name="x"):
    rep = audit_view(view, name, "archive")
    return {(f.rule, f.invariant, f.files) for f in rep.violations}, rep


HOT = "qemu-6.1-2node-hotadded.tar.gz"
THREE = "qemu-6.1-3node-memoryless-boot.tar.gz"
BIG = "fc-6.18-1node-192blocks.tar.gz"


def _corrupt(real_views, name, change):
    view = dict(real_views[name])
    change(view)
    return _audit(view, name)


def test_missing_backlink(real_views):
    got, rep = _corrupt(real_views, HOT, lambda v: v.pop("memory/memory33/node1"))
    assert got == {("backlink", "sysfs_links", ("node/node1/memory33", "memory/memory33/node1"))}
    assert rep.exit == 1


def test_link_to_the_wrong_node(real_views):
    """memory5's node link sits under node0 while its backlink names node1."""
    def change(v):
        del v["node/node1/memory5"]
        v["node/node0/memory5"] = ("link", "../../memory/memory5")
    got, _ = _corrupt(real_views, HOT, change)
    assert got == {("backlink", "sysfs_links", ("node/node0/memory5", "memory/memory5/node0")),
                   ("link", "sysfs_links", ("memory/memory5/node1", "node/node1/memory5"))}


def test_backlink_pointing_to_another_node(real_views):
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("memory/memory5/node1",
                                                                 ("link", "../../node/node0")))
    assert ("dangling", "sysfs_links", ("memory/memory5/node1",)) in got


def test_relinking_consistently_is_another_machine_not_a_corruption(real_views):
    def change(v):
        del v["memory/memory5/node1"], v["node/node1/memory5"]
        v["memory/memory5/node0"] = ("link", "../../node/node0")
        v["node/node0/memory5"] = ("link", "../../memory/memory5")
    got, _ = _corrupt(real_views, HOT, change)
    assert got == set()


def test_node_link_to_the_wrong_block(real_views):
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("node/node1/memory33",
                                                                 ("link", "../../memory/memory3")))
    assert ("dangling", "sysfs_links", ("node/node1/memory33",)) in got


def test_wrong_phys_index(real_views):
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("memory/memory33/phys_index", "00000021\n"))
    assert got == set()  # 0x21 is 33: right
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("memory/memory33/phys_index", "00000033\n"))
    assert got == {("phys_index", "sysfs_names", ("memory/memory33/phys_index",))}


def test_state_outside_the_alphabet(real_views):
    got, rep = _corrupt(real_views, BIG, lambda v: v.__setitem__("memory/memory100/state", "onlne\n"))
    assert ("state", "state_strings", ("memory/memory100/state",)) in got
    f = next(f for f in rep.violations if f.rule == "state")
    assert f.seed_section.startswith("4") and "online or offline" in f.expected and "onlne" in f.found


def test_has_memory_lacking_a_node_with_online_memory(real_views):
    got, rep = _corrupt(real_views, THREE, lambda v: v.__setitem__("node/has_memory", "0\n"))
    assert got == {("memory_mask", "node_state", ("node/has_memory",))}
    f = rep.violations[0]
    assert f.expected.startswith("{0,1}") and f.found == "{0}" and f.cause == "N_MEMORY"


def test_has_memory_with_the_memoryless_node(real_views):
    got, _ = _corrupt(real_views, THREE, lambda v: v.__setitem__("node/has_memory", "0-2\n"))
    assert got == {("memory_mask", "node_state", ("node/has_memory",))}


def test_block_directory_without_its_node_link(real_views):
    def change(v):
        del v["memory/memory7/node1"], v["node/node1/memory7"]
    got, _ = _corrupt(real_views, HOT, change)
    assert got == {("unlinked", "sysfs_links", ("memory/memory7",))}


def test_offline_block_reads_online_in_the_online_file(real_views):
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("memory/memory32/online", "1\n"))
    assert got == {("online", "state_matches_memory", ("memory/memory32/online", "memory/memory32/state"))}


def test_online_block_with_offline_valid_zones(real_views):
    got, _ = _corrupt(real_views, "qemu-6.1-2node-onlined.tar.gz",
                      lambda v: v.__setitem__("memory/memory32/valid_zones", "Movable Normal\n"))
    assert {r for r, _, _ in got} == {"valid_zones"}


def test_movable_only_node_in_has_normal_memory(real_views):
    """Online node1's DMA32 blocks as Movable: node1 keeps memory but loses normal memory."""
    def change(v):
        for b in (4, 5, 6, 7):
            v[f"memory/memory{b}/valid_zones"] = "Movable\n"
    got, _ = _corrupt(real_views, "qemu-6.1-2node-onlined.tar.gz", change)
    assert got == {("normal_mask", "node_state", ("node/has_normal_memory",))}


def test_offline_last_block_keeps_has_memory(real_views):
    """All of node1 offline but has_memory still lists it."""
    def change(v):
        for b in (4, 5, 6, 7, 32, 33):
            v[f"memory/memory{b}/state"] = "offline\n"
            v[f"memory/memory{b}/online"] = "0\n"
            v[f"memory/memory{b}/valid_zones"] = "Normal Movable\n"
    got, _ = _corrupt(real_views, "qemu-6.1-2node-onlined.tar.gz", change)
    assert {r for r, _, _ in got} == {"memory_mask", "normal_mask"}


def test_block_spanning_two_nodes_is_a_note_and_needs_none(real_views):
    def change(v):
        v["memory/memory3/node1"] = ("link", "../../node/node1")
        v["node/node1/memory3"] = ("link", "../../memory/memory3")
    got, rep = _corrupt(real_views, HOT, change)
    assert got == {("valid_zones", "state_matches_memory",
                    ("memory/memory3/valid_zones", "memory/memory3/state", "memory/memory3/node0"))}
    assert [f.rule for f in rep.findings if f.severity == "note"] == ["spans_nodes"]


def test_block_size_not_a_whole_number_of_sections(real_views):
    got, _ = _corrupt(real_views, BIG, lambda v: v.__setitem__("memory/block_size_bytes", "c000000\n"))
    assert got == {("block_size_bytes", "sysfs_names", ("memory/block_size_bytes",))}


def test_node_directory_missing_from_online(real_views):
    got, _ = _corrupt(real_views, THREE, lambda v: v.__setitem__("node/online", "0-1\n"))
    assert ("node_dirs", "node_state", ("node/online",)) in got


def test_has_cpu_disagrees_with_cpu_links(real_views):
    got, _ = _corrupt(real_views, THREE, lambda v: v.__setitem__("node/has_cpu", "0-1\n"))
    assert got == {("has_cpu", "node_state", ("node/has_cpu",))}


def test_removable_zero_on_v61(real_views):
    got, _ = _corrupt(real_views, HOT, lambda v: v.__setitem__("memory/memory0/removable", "0\n"))
    assert got == {("removable", "sysfs_removable", ("memory/memory0/removable",))}


def test_forced_v34_profile_on_a_61_tree_wants_end_phys_index(real_views):
    rep = audit_view(real_views[HOT], HOT, "archive", "v3.4")
    assert {f.rule for f in rep.violations} == {"files"}
    assert rep.profile_from == "--profile"


def test_big_blocks_named_by_block_id_are_one_finding(real_views):
    """2 GiB blocks of 16 sections, named by block id as every kernel does: the seed's section
    ids are broken by the machine, reported once, not once per block."""
    got, rep = _corrupt(real_views, BIG, lambda v: v.__setitem__("memory/block_size_bytes", "80000000\n"))
    firsts = [f for f in rep.violations if f.rule == "first_section"]
    assert len(firsts) == 1 and "memory1 and 178 more" in firsts[0].found
    assert firsts[0].files == ("memory/memory1", "memory/memory2", "memory/memory3", "memory/memory4")
