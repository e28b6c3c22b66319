"""Spec-level mutants: one transition changed in both renderings (spec.model.Spec and
checker.smt.symspec.SymSpec), with what BMC must find (MANIFEST).

Each mutant is a pair of subclasses overriding the same handler the same way. Only a few
invariants have a mutant here so far (see MANIFEST); the encoding leaves the history invariants
out (checker/smt/props.py), so they have none.
"""

from __future__ import annotations

from typing import Any

from checker.smt.symspec import SymSpec
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


#: mutant -> (spec class, symbolic class, world file under tests/checker/smt/worlds, profile,
#: invariant BMC must find violated, the explorer's shortest trace length)
MANIFEST: dict[str, tuple[type[Spec], type[SymSpec], str, str, str, int]] = {
    "hotadd_unregistered": (HotaddUnregisteredSpec, HotaddUnregisteredSym, "tiny", "v6.1",
                            "sysfs_dirs", 2),
    "online_no_present_pages": (OnlineNoPresentPagesSpec, OnlineNoPresentPagesSym, "tiny", "v6.1",
                                "page_accounting", 9),
}
