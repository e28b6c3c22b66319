"""Spec-level mutants for the history invariants judged on one step (alloc_*,
status_change_nid, node_state_going, node_state_done, remove_only_offline): one method of the definition (spec/steps) changed,
written once for both interpretations, with the invariant BMC must find violated
(STEP_MANIFEST).

All run on tests/checker/engines/smt/worlds/eject.toml under v6.1, where the unmutated spec keeps every
one of these invariants (a complete search passes them); tests/checker/engines/smt/test_ghosts.py
measures the explorer's shortest trace for each mutant, checks BMC's against it, and runs the
agreement test (the ghost system's predicates against the Monitor on every reachable pair) on
each mutant too.
"""

from __future__ import annotations

from spec.state import PAGES_ISOLATED, PAGES_ONLINE
from spec.steps import Ctx, Steps
from spec.steps.device import DEV_LOCK


class GoingOnlineAllocatable(Steps):
    """online_pages() puts the pages in the allocator before MEM_GOING_ONLINE."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_GOING_ONLINE":
            x.setb(x.block, pages=PAGES_ONLINE)  # type: ignore[arg-type]
        super().start_chain(x, event, cont)


class OnlineIsolated(Steps):
    """online_pages() leaves the range isolated when it sends MEM_ONLINE."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_ONLINE":
            x.setb(x.block, pages=PAGES_ISOLATED)  # type: ignore[arg-type]
        super().start_chain(x, event, cont)


class GoingOfflineNotIsolated(Steps):
    """offline_pages() sends MEM_GOING_OFFLINE before the range is isolated."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            pages = x.b(x.block, "pages")  # type: ignore[arg-type]
            x.setb(x.block, pages=x.If(pages == PAGES_ISOLATED, PAGES_ONLINE, pages))  # type: ignore[arg-type]
        super().start_chain(x, event, cont)


class CancelOfflineIsolated(Steps):
    """A failed offline_pages() never undoes the isolation (MEM_CANCEL_OFFLINE sees it)."""

    def undo_isolation(self, x: Ctx) -> None:
        pass


class GoingOfflineNoNid(Steps):
    """offline_pages() never sets status_change_nid (the node's last memory goes unannounced)."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            a = x.op("arg")
            x.upd(arg=(a[0], a[1], -1, a[3]))
        super().start_chain(x, event, cont)


class EjectOnline(Steps):
    """6.1 eject removes the memory without offlining it first (and leaves its iomem resource
    busy, so the device cannot be added again: the node's present pages, never decremented,
    do not grow without bound)."""

    def h_dev_op(self, x: Ctx) -> None:
        if x.op("via") == "eject":
            self.remove_block(x)
            x.setb(x.block, resource=True)  # type: ignore[arg-type]
            x.upd(ret=0)
            x.unlock(DEV_LOCK, "ret")
            return
        super().h_dev_op(x)


class HotaddNodeState(Steps):
    """6.1 add_memory() marks the node N_MEMORY before any of its memory is online (a flip of
    the node state that no status_change_nid announces)."""

    def h_ha_add(self, x: Ctx) -> None:
        n = self.world.blocks[x.block].node  # type: ignore[index]
        super().h_ha_add(x)
        x.set_flag(n, "N_MEMORY", True)


class GoingOfflineNodeCleared(Steps):
    """offline_pages() clears N_MEMORY of the node whose last memory goes before it sends
    MEM_GOING_OFFLINE (node_states_clear_node() moved above the notification)."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_GOING_OFFLINE":
            n = self.world.blocks[x.block].node  # type: ignore[index]
            x.set_flag(n, "N_MEMORY", x.And(x.flag(n, "N_MEMORY"), x.op("arg")[2] < 0))
        super().start_chain(x, event, cont)


class OfflineNodeKept(Steps):
    """offline_pages() sends MEM_OFFLINE while the node that lost its last memory still has
    N_MEMORY (node_states_clear_node() moved below the notification; set back here)."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_OFFLINE":
            n = self.world.blocks[x.block].node  # type: ignore[index]
            x.set_flag(n, "N_MEMORY", x.Or(x.flag(n, "N_MEMORY"), x.op("arg")[2] >= 0))
        super().start_chain(x, event, cont)


#: mutant -> (its definition, world file under tests/checker/engines/smt/worlds, profile, the history
#: invariant BMC must find violated)
STEP_MANIFEST: dict[str, tuple[type[Steps], str, str, str]] = {
    "going_online_allocatable": (GoingOnlineAllocatable, "eject", "v6.1", "alloc_going_online"),
    "online_isolated": (OnlineIsolated, "eject", "v6.1", "alloc_online"),
    "going_offline_not_isolated": (GoingOfflineNotIsolated, "eject", "v6.1", "alloc_going_offline"),
    "cancel_offline_isolated": (CancelOfflineIsolated, "eject", "v6.1", "alloc_cancel_offline"),
    "going_offline_no_nid": (GoingOfflineNoNid, "eject", "v6.1", "status_change_nid"),
    "hotadd_node_state": (HotaddNodeState, "eject", "v6.1", "status_change_nid"),
    "eject_online": (EjectOnline, "eject", "v6.1", "remove_only_offline"),
    "going_offline_node_cleared": (GoingOfflineNodeCleared, "eject", "v6.1", "node_state_going"),
    "offline_node_kept": (OfflineNodeKept, "eject", "v6.1", "node_state_done"),
}
