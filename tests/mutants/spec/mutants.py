"""Spec-level mutants: one transition changed in both renderings (spec.model.Spec and
checker.smt.symspec.SymSpec), with what BMC must find (MANIFEST).

Each mutant is a pair of subclasses overriding the same handler the same way. Five of the ten
encoded invariants have a mutant so far (sysfs_dirs, page_accounting, state_strings,
sysfs_links, state_matches_memory; see MANIFEST); the encoding leaves the history invariants out
(checker/smt/props.py), so they have none. tests/checker/smt/test_smt.py measures the explorer's
shortest trace for each and checks BMC's against it.
"""

from __future__ import annotations

from typing import Any

from checker.smt.paths import If
from checker.smt.symspec import SymSpec
from spec.actions import MEM_GOING_OFFLINE, MEM_ONLINE
from spec.model import Spec


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
}
