"""Spec-level mutants: one transition changed in both renderings (spec.model.Spec and
checker.smt.symspec.SymSpec), with what BMC must find (MANIFEST).

Each transition mutant is a pair of subclasses overriding the same handler the same way, on a
small world of tests/checker/smt/worlds where its invariant holds without the mutation
(tests/mutants/spec/test_spec_mutants.py checks that with the explorer). Every invariant the Z3
engine encodes (checker/smt/props.py: Props.names) has at least one mutant, which that test
checks too; tests/checker/smt/test_smt.py measures the explorer's shortest trace for each and
checks BMC's against it (to FAST_DEPTH in the default run, every entry with MEMHP_SLOW=1; each
invariant has an entry within FAST_DEPTH). The encoding leaves the history invariants out, so
they have none.

Two entries are not transition mutants but world variants (WORLD_VARIANTS): ``sysfs_names`` and
``sysfs_end_phys_index`` are static functions of the world and the profile in both renderings
(spec/sysfs.py renders ``memory<id>`` and ``end_phys_index`` from the block id and
sections_per_block; Props reads only which blocks are registered). Every block of a world is
registered at boot or by its hot-add, and no transition decides a name, so on a world where
one of these invariants holds the set of wrongly named blocks is empty and the encoded
predicate is the constant true: no change to a transition can break it. Their "mutant" is
therefore the world: the same hot-pluggable device (no memory present at boot) on a machine
with two sections per block instead of one. The unchanged v3.4 steps then register
``memory1``, named by its block id rather than its first section (2), with end_phys_index 1
rather than 2; both show only after the hot-add, two transitions in. This is the v3.4 naming
finding of the default world, moved so that it appears after a transition.
"""

from __future__ import annotations

from typing import Any

from checker.smt.encoding import PAGES
from checker.smt.paths import If
from checker.smt.symspec import SymSpec
from spec.actions import MEM_GOING_OFFLINE, MEM_ONLINE, NOTIFY_OK
from spec.model import Spec
from spec.state import PAGES_ISOLATED, PAGES_ONLINE

ISO, ONL = PAGES.index(PAGES_ISOLATED), PAGES.index(PAGES_ONLINE)  # the encoding's page codes


class HotaddUnregisteredSpec(Spec):
    """add_memory() forgets to create the memory block device (no sysfs directory)."""

    def _h_ha_add(self, tx: Any) -> None:
        i = tx.op.block
        super()._h_ha_add(tx)
        tx.setb(i, registered=False)


class HotaddUnregisteredSym(SymSpec):
    def _h_ha_add(self, x: Any) -> None:
        i = x.block
        super()._h_ha_add(x)
        self.setb(x, i, registered=False)


class OnlineNoPresentPagesSpec(Spec):
    """online_pages() forgets to count the block's present pages."""

    def _h_on_after_going(self, tx: Any) -> None:
        spec = self.world.blocks[tx.op.block]
        before = tx.nodes[spec.node].present_pages
        super()._h_on_after_going(tx)
        tx.setn(spec.node, present_pages=before)


class OnlineNoPresentPagesSym(SymSpec):
    def _h_on_after_going(self, x: Any) -> None:
        spec = self.world.blocks[x.block]
        before = self.n(x, spec.node, "present")
        super()._h_on_after_going(x)
        x.set(f"n{spec.node}.present", before)


class FailedOfflineStaysGoingSpec(Spec):
    """6.1: a refused offline leaves the block reading going-offline."""

    def _h_off61_fail_tail(self, tx: Any) -> None:
        i = tx.op.block
        super()._h_off61_fail_tail(tx)
        tx.setb(i, state=MEM_GOING_OFFLINE)


class FailedOfflineStaysGoingSym(SymSpec):
    def _h_off61_fail_tail(self, x: Any) -> None:
        i = x.block
        super()._h_off61_fail_tail(x)
        self.setb(x, i, state=MEM_GOING_OFFLINE)


class HotaddNoBacklinkSpec(Spec):
    """6.1: add_memory() links node to block but not block to node."""

    def _h_ha_add(self, tx: Any) -> None:
        i = tx.op.block
        super()._h_ha_add(tx)
        tx.setb(i, backlinks=frozenset())


class HotaddNoBacklinkSym(SymSpec):
    def _h_ha_add(self, x: Any) -> None:
        i = x.block
        super()._h_ha_add(x)
        self.setb(x, i, **{f"back{n}": False for n in range(self.L.nnodes)})


class HotaddOnlineStateSpec(Spec):
    """6.1: a hot-added block's device says online while its pages are reserved."""

    def _h_ha_add(self, tx: Any) -> None:
        i = tx.op.block
        super()._h_ha_add(tx)
        if tx.blocks[i].registered:
            tx.setb(i, state=MEM_ONLINE)


class HotaddOnlineStateSym(SymSpec):
    def _h_ha_add(self, x: Any) -> None:
        i = x.block
        super()._h_ha_add(x)
        self.setb(x, i, state=If(self.b(x, i, "registered"), MEM_ONLINE, self.b(x, i, "state")))


class OnlineNoNodeStateSpec(Spec):
    """online_pages() forgets node_states_set_node(): the node gains memory but not the
    node-state bit (N_HIGH_MEMORY in 3.4, N_MEMORY / N_NORMAL_MEMORY in 6.1)."""

    def _h_on_after_going(self, tx: Any) -> None:
        node = self.world.blocks[tx.op.block].node
        flags = tx.nodes[node].flags
        super()._h_on_after_going(tx)
        tx.setn(node, flags=flags)


class OnlineNoNodeStateSym(SymSpec):
    def _h_on_after_going(self, x: Any) -> None:
        node = self.world.blocks[x.block].node
        flags = {f: self.n(x, node, f) for f in self.L.flags}
        super()._h_on_after_going(x)
        for f, v in flags.items():
            x.set(f"n{node}.{f}", v)


class SlubNoGoingOnlineSpec(Spec):
    """slab_memory_callback() does nothing on MEM_GOING_ONLINE: the node's kmem_cache_node
    structures are never allocated, yet its memory goes online."""

    def _callback(self, tx: Any, kind: str, answers: tuple[str, ...], event: str,
                  arg: tuple[int, int, int, int | None]) -> int:
        if kind == "slub" and event == "MEM_GOING_ONLINE":
            return NOTIFY_OK
        return super()._callback(tx, kind, answers, event, arg)


class SlubNoGoingOnlineSym(SymSpec):
    def _callback(self, x: Any, kind: str, answers: tuple[str, ...], event: str) -> int:
        if kind == "slub" and event == "MEM_GOING_ONLINE":
            return NOTIFY_OK
        return super()._callback(x, kind, answers, event)


class IsolationNotUndoneSpec(Spec):
    """3.4: start_isolate_page_range() fails on the block's unmovable pages and leaves the
    pageblocks it had isolated marked MIGRATE_ISOLATE (its undo loop left out). The model moves
    a block's pages together, so the block stays isolated; offline_pages() returns -EBUSY and
    the block stays online."""

    def _h_off_isolate(self, tx: Any) -> None:
        i = tx.op.block
        failing = self.world.blocks[i].unmovable and tx.blk(i).pages == PAGES_ONLINE
        super()._h_off_isolate(tx)
        if failing:
            tx.setb(i, pages=PAGES_ISOLATED)


class IsolationNotUndoneSym(SymSpec):
    def _h_off_isolate(self, x: Any) -> None:
        i = x.block
        if not self.world.blocks[i].unmovable:
            super()._h_off_isolate(x)
            return
        before = self.b(x, i, "pages")
        super()._h_off_isolate(x)
        self.setb(x, i, pages=If(before == ONL, ISO, self.b(x, i, "pages")))


#: mutant -> (spec class, symbolic class, world file under tests/checker/smt/worlds, profile,
#: invariant BMC must find violated, the explorer's shortest trace length)
MANIFEST: dict[str, tuple[type[Spec], type[SymSpec], str, str, str, int]] = {
    "hotadd_unregistered": (HotaddUnregisteredSpec, HotaddUnregisteredSym, "tiny", "v6.1",
                            "sysfs_dirs", 2),
    "online_no_present_pages": (OnlineNoPresentPagesSpec, OnlineNoPresentPagesSym, "tiny", "v6.1",
                                "page_accounting", 9),
    "failed_offline_stays_going": (FailedOfflineStaysGoingSpec, FailedOfflineStaysGoingSym, "tiny",
                                   "v6.1", "state_strings", 3),
    "hotadd_no_backlink": (HotaddNoBacklinkSpec, HotaddNoBacklinkSym, "tiny", "v6.1",
                           "sysfs_links", 2),
    "hotadd_online_state": (HotaddOnlineStateSpec, HotaddOnlineStateSym, "tiny", "v6.1",
                            "state_matches_memory", 2),
    "online_no_present_pages_bare": (OnlineNoPresentPagesSpec, OnlineNoPresentPagesSym, "bare",
                                     "v6.1", "page_accounting", 3),
    "online_no_node_state": (OnlineNoNodeStateSpec, OnlineNoNodeStateSym, "bare", "v6.1",
                             "node_state", 3),
    "slub_no_going_online": (SlubNoGoingOnlineSpec, SlubNoGoingOnlineSym, "slub", "v6.1",
                             "slub_structures", 3),
    "isolation_not_undone": (IsolationNotUndoneSpec, IsolationNotUndoneSym, "eject34", "v3.4",
                             "sysfs_removable", 3),
    # world variants (WORLD_VARIANTS): the spec unchanged, sections_per_block 1 -> 2
    "names_two_sections": (Spec, SymSpec, "hotplug_spb2", "v3.4", "sysfs_names", 2),
    "end_phys_index_two_sections": (Spec, SymSpec, "hotplug_spb2", "v3.4",
                                    "sysfs_end_phys_index", 2),
}

#: BMC depth the default test run goes to; deeper mutants run with MEMHP_SLOW=1. Every encoded
#: invariant has a mutant within it (tests/mutants/spec/test_spec_mutants.py).
FAST_DEPTH = 4

#: world-variant mutant -> the world (under tests/checker/smt/worlds) it varies, on which its
#: invariant holds; a transition mutant's invariant holds on its own world without the mutation.
WORLD_VARIANTS: dict[str, str] = {
    "names_two_sections": "hotplug_spb1",
    "end_phys_index_two_sections": "hotplug_spb1",
}


def base_world(name: str) -> str:
    """The world on which mutant ``name``'s invariant holds for the unchanged spec."""
    return WORLD_VARIANTS.get(name, MANIFEST[name][2])
