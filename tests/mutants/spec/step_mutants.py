"""Spec-level mutants for the step invariants (checker/smt/steps.py): one transition changed in
both renderings (spec.model.Spec and checker.smt.symspec.SymSpec), with the invariant BMC must
find violated (STEP_MANIFEST).

All run on tests/checker/smt/worlds/eject.toml under v6.1, where the unmutated spec keeps every
step invariant (a complete search passes them); tests/checker/smt/test_steps.py measures the
explorer's shortest trace for each mutant, checks BMC's against it, and runs the agreement test
(step predicates against the Monitor on every reachable state) on each mutant too.
"""

from __future__ import annotations

from typing import Any

from checker.smt.paths import If
from checker.smt.symspec import ISO, ONL, SymSpec
from spec.model import Spec
from spec.state import PAGES_ISOLATED, PAGES_ONLINE


class GoingOnlineAllocatableSpec(Spec):
    """online_pages() puts the pages in the allocator before MEM_GOING_ONLINE."""

    def _start_chain(self, tx: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_ONLINE":
            tx.setb(tx.op.block, pages=PAGES_ONLINE)
        super()._start_chain(tx, event, cont)


class GoingOnlineAllocatableSym(SymSpec):
    def _start_chain(self, x: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_ONLINE":
            self.setb(x, x.block, pages=ONL)
        super()._start_chain(x, event, cont)


class OnlineIsolatedSpec(Spec):
    """online_pages() leaves the range isolated when it sends MEM_ONLINE."""

    def _start_chain(self, tx: Any, event: str, cont: str) -> None:
        if event == "MEM_ONLINE":
            tx.setb(tx.op.block, pages=PAGES_ISOLATED)
        super()._start_chain(tx, event, cont)


class OnlineIsolatedSym(SymSpec):
    def _start_chain(self, x: Any, event: str, cont: str) -> None:
        if event == "MEM_ONLINE":
            self.setb(x, x.block, pages=ISO)
        super()._start_chain(x, event, cont)


class GoingOfflineNotIsolatedSpec(Spec):
    """offline_pages() sends MEM_GOING_OFFLINE before the range is isolated."""

    def _start_chain(self, tx: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE" and tx.blk(tx.op.block).pages == PAGES_ISOLATED:
            tx.setb(tx.op.block, pages=PAGES_ONLINE)
        super()._start_chain(tx, event, cont)


class GoingOfflineNotIsolatedSym(SymSpec):
    def _start_chain(self, x: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            pages = self.b(x, x.block, "pages")
            self.setb(x, x.block, pages=If(pages == ISO, ONL, pages))
        super()._start_chain(x, event, cont)


class CancelOfflineIsolatedSpec(Spec):
    """A failed offline_pages() never undoes the isolation (MEM_CANCEL_OFFLINE sees it)."""

    def _undo_isolation(self, tx: Any) -> None:
        pass


class CancelOfflineIsolatedSym(SymSpec):
    def _undo_isolation(self, x: Any) -> None:
        pass


class GoingOfflineNoNidSpec(Spec):
    """offline_pages() never sets status_change_nid (the node's last memory goes unannounced)."""

    def _start_chain(self, tx: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            a = tx.op.arg
            tx.upd(arg=(a[0], a[1], -1, a[3]))
        super()._start_chain(tx, event, cont)


class GoingOfflineNoNidSym(SymSpec):
    def _start_chain(self, x: Any, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            self.upd(x, a2=-1)
        super()._start_chain(x, event, cont)


class EjectOnlineSpec(Spec):
    """6.1 eject removes the memory without offlining it first (and leaves its iomem resource
    busy, so the device cannot be added again: the node's present pages, never decremented,
    do not grow without bound)."""

    def _h_dev_op(self, tx: Any) -> None:
        if tx.op.via == "eject":
            self._remove_block(tx)
            tx.setb(tx.op.block, resource=True)
            tx.upd(ret=0)
            tx.unlock("device_hotplug_lock", "ret")
            return
        super()._h_dev_op(tx)


class EjectOnlineSym(SymSpec):
    def _h_dev_op(self, x: Any) -> None:
        from checker.smt.encoding import VIAS

        if VIAS[self.conc_op(x, "via")] == "eject":
            self._remove_block(x)
            self.setb(x, x.block, resource=True)
            self.upd(x, ret=0)
            self.unlock(x, "device_hotplug_lock", "ret")
            return
        super()._h_dev_op(x)


class HotaddNodeStateSpec(Spec):
    """6.1 add_memory() marks the node N_MEMORY before any of its memory is online (a flip of
    the node state that no status_change_nid announces)."""

    def _h_ha_add(self, tx: Any) -> None:
        n = self.world.blocks[tx.op.block].node
        super()._h_ha_add(tx)
        tx.setn(n, flags=tx.nodes[n].flags | {"N_MEMORY"})


class HotaddNodeStateSym(SymSpec):
    def _h_ha_add(self, x: Any) -> None:
        assert x.block is not None
        n = self.world.blocks[x.block].node
        super()._h_ha_add(x)
        x.set(f"n{n}.N_MEMORY", True)


#: mutant -> (spec class, symbolic class, world file under tests/checker/smt/worlds, profile,
#: the step invariant BMC must find violated)
STEP_MANIFEST: dict[str, tuple[type[Spec], type[SymSpec], str, str, str]] = {
    "going_online_allocatable": (GoingOnlineAllocatableSpec, GoingOnlineAllocatableSym, "eject",
                                 "v6.1", "alloc_going_online"),
    "online_isolated": (OnlineIsolatedSpec, OnlineIsolatedSym, "eject", "v6.1", "alloc_online"),
    "going_offline_not_isolated": (GoingOfflineNotIsolatedSpec, GoingOfflineNotIsolatedSym,
                                   "eject", "v6.1", "alloc_going_offline"),
    "cancel_offline_isolated": (CancelOfflineIsolatedSpec, CancelOfflineIsolatedSym, "eject",
                                "v6.1", "alloc_cancel_offline"),
    "going_offline_no_nid": (GoingOfflineNoNidSpec, GoingOfflineNoNidSym, "eject", "v6.1",
                             "status_change_nid"),
    "hotadd_node_state": (HotaddNodeStateSpec, HotaddNodeStateSym, "eject", "v6.1",
                          "status_change_nid"),
    "eject_online": (EjectOnlineSpec, EjectOnlineSym, "eject", "v6.1", "remove_only_offline"),
}
