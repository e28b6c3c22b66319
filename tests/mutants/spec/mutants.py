"""Spec-level mutants for the state invariants: one step of the definition (spec/steps)
changed, with what BMC must find (MANIFEST).

Each mutant is a subclass of spec.steps.Steps that redefines one method; the explorer (through
spec.model) and the Z3 engine (through checker.engines.smt.symbolic) both take the class, so a mutant is
written once and judged by both. Each runs on a small world of tests/checker/engines/smt/worlds where its
invariant holds without the mutation (tests/mutants/spec/test_spec_mutants.py checks that with
the explorer). Every invariant the Z3 engine encodes as a state predicate
(checker/engines/smt/props.py: Props.names) has at least one mutant, which that test checks too;
tests/checker/engines/smt/test_smt.py measures the explorer's shortest trace for each and checks BMC's
against it (to FAST_DEPTH in the fast tier, every entry in the slow one; each invariant has an
entry within FAST_DEPTH). The history invariants' mutants are in step_mutants.py and
ghost_mutants.py.

Two entries are not transition mutants but world variants (WORLD_VARIANTS): ``sysfs_names`` and
``sysfs_end_phys_index`` are static functions of the world and the profile (spec/sysfs.py
renders ``memory<id>`` and ``end_phys_index`` from the block id and sections_per_block; Props
reads only which blocks are registered). Every block of a world is registered at boot or by its
hot-add, and no transition decides a name, so on a world where one of these invariants holds the
set of wrongly named blocks is empty and the encoded predicate is the constant true: no change
to a transition can break it. Their "mutant" is therefore the world: the same hot-pluggable
device (no memory present at boot) on a machine with two sections per block instead of one. The
unchanged v3.4 steps then register ``memory1``, named by its block id rather than its first
section (2), with end_phys_index 1 rather than 2; both show only after the hot-add, two
transitions in. This is the v3.4 naming finding of the default world, moved so that it appears
after a transition.
"""

from __future__ import annotations

from spec.actions import MEM_GOING_OFFLINE, MEM_ONLINE, NOTIFY_OK
from spec.config import CallbackSpec
from spec.state import PAGES_ISOLATED, PAGES_ONLINE
from spec.steps import Ctx, Steps


class HotaddUnregistered(Steps):
    """add_memory() forgets to create the memory block device (no sysfs directory)."""

    def h_ha_add(self, x: Ctx) -> None:
        i = x.block
        super().h_ha_add(x)
        x.setb(i, registered=False)  # type: ignore[arg-type]


class OnlineNoPresentPages(Steps):
    """online_pages() forgets to count the block's present pages."""

    def h_on_after_going(self, x: Ctx) -> None:
        node = self.world.blocks[x.block].node  # type: ignore[index]
        before = x.n(node, "present_pages")
        super().h_on_after_going(x)
        x.setn(node, present_pages=before)


class FailedOfflineStaysGoing(Steps):
    """6.1: a refused offline leaves the block reading going-offline."""

    def h_off61_fail_tail(self, x: Ctx) -> None:
        i = x.block
        super().h_off61_fail_tail(x)
        x.setb(i, state=MEM_GOING_OFFLINE)  # type: ignore[arg-type]


class HotaddNoBacklink(Steps):
    """6.1: add_memory() links node to block but not block to node."""

    def h_ha_add(self, x: Ctx) -> None:
        i = x.block
        super().h_ha_add(x)
        x.setb(i, backlinks=frozenset())  # type: ignore[arg-type]


class HotaddOnlineState(Steps):
    """6.1: a hot-added block's device says online while its pages are reserved."""

    def h_ha_add(self, x: Ctx) -> None:
        i = x.block
        assert i is not None
        super().h_ha_add(x)
        x.setb(i, state=x.If(x.b(i, "registered"), MEM_ONLINE, x.b(i, "state")))


class OnlineNoNodeState(Steps):
    """online_pages() forgets node_states_set_node(): the node gains memory but not the
    node-state bit (N_HIGH_MEMORY in 3.4, N_MEMORY / N_NORMAL_MEMORY in 6.1)."""

    def h_on_after_going(self, x: Ctx) -> None:
        node = self.world.blocks[x.block].node  # type: ignore[index]
        flags = {f: x.flag(node, f) for f in self.profile.node_flags}
        super().h_on_after_going(x)
        for f, v in flags.items():
            x.set_flag(node, f, v)


class SlubNoGoingOnline(Steps):
    """slab_memory_callback() does nothing on MEM_GOING_ONLINE: the node's kmem_cache_node
    structures are never allocated, yet its memory goes online."""

    def callback(self, x: Ctx, cb: CallbackSpec, event: str) -> int:
        if cb.kind == "slub" and event == "MEM_GOING_ONLINE":
            return NOTIFY_OK
        return super().callback(x, cb, event)


class IsolationNotUndone(Steps):
    """3.4: start_isolate_page_range() fails on the block's unmovable pages and leaves the
    pageblocks it had isolated marked MIGRATE_ISOLATE (its undo loop left out). The model moves
    a block's pages together, so the block stays isolated; offline_pages() returns -EBUSY and
    the block stays online."""

    def h_off_isolate(self, x: Ctx) -> None:
        i = x.block
        assert i is not None
        failing = x.And(self.world.blocks[i].unmovable, x.b(i, "pages") == PAGES_ONLINE)
        super().h_off_isolate(x)
        x.setb(i, pages=x.If(failing, PAGES_ISOLATED, x.b(i, "pages")))


#: mutant -> (its definition, world file under tests/checker/engines/smt/worlds, profile, invariant BMC
#: must find violated, the explorer's shortest trace length)
MANIFEST: dict[str, tuple[type[Steps], str, str, str, int]] = {
    "hotadd_unregistered": (HotaddUnregistered, "tiny", "v6.1", "sysfs_dirs", 2),
    "online_no_present_pages": (OnlineNoPresentPages, "tiny", "v6.1", "page_accounting", 9),
    "failed_offline_stays_going": (FailedOfflineStaysGoing, "tiny", "v6.1", "state_strings", 3),
    "hotadd_no_backlink": (HotaddNoBacklink, "tiny", "v6.1", "sysfs_links", 2),
    "hotadd_online_state": (HotaddOnlineState, "tiny", "v6.1", "state_matches_memory", 2),
    "online_no_present_pages_bare": (OnlineNoPresentPages, "bare", "v6.1", "page_accounting", 3),
    "online_no_node_state": (OnlineNoNodeState, "bare", "v6.1", "node_state", 3),
    "slub_no_going_online": (SlubNoGoingOnline, "slub", "v6.1", "slub_structures", 3),
    "isolation_not_undone": (IsolationNotUndone, "eject34", "v3.4", "sysfs_removable", 3),
    # world variants (WORLD_VARIANTS): the spec unchanged, sections_per_block 1 -> 2
    "names_two_sections": (Steps, "hotplug_spb2", "v3.4", "sysfs_names", 2),
    "end_phys_index_two_sections": (Steps, "hotplug_spb2", "v3.4", "sysfs_end_phys_index", 2),
}

#: BMC depth the fast tier goes to; deeper mutants run in the slow tier. Every encoded invariant
#: has a mutant within it (tests/mutants/spec/test_spec_mutants.py).
FAST_DEPTH = 4

#: world-variant mutant -> the world (under tests/checker/engines/smt/worlds) it varies, on which its
#: invariant holds; a transition mutant's invariant holds on its own world without the mutation.
WORLD_VARIANTS: dict[str, str] = {
    "names_two_sections": "hotplug_spb1",
    "end_phys_index_two_sections": "hotplug_spb1",
}


def base_world(name: str) -> str:
    """The world on which mutant ``name``'s invariant holds for the unchanged spec."""
    return WORLD_VARIANTS.get(name, MANIFEST[name][1])
