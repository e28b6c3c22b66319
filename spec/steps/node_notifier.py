"""The 6.17 NUMA node notifier around the memory chain (facts.md section 3.5, e4e2806b639c).

Models: online_pages() sends NODE_ADDING_FIRST_MEMORY (when the node lacks N_MEMORY) before
MEM_GOING_ONLINE; on any failure MEM_CANCEL_ONLINE, then NODE_CANCEL_ADDING_FIRST_MEMORY; on
success NODE_ADDED_FIRST_MEMORY, then MEM_ONLINE. offline_pages() sends
NODE_REMOVING_LAST_MEMORY before MEM_GOING_OFFLINE; on failure (the isolation undone)
MEM_CANCEL_OFFLINE, then NODE_CANCEL_REMOVING_LAST_MEMORY; on success NODE_REMOVED_LAST_MEMORY,
then MEM_OFFLINE. The node chain runs like the memory chain (:mod:`spec.steps.core`).

Leaves out: the consumers that moved to the node chain besides SLUB and the world's callbacks
declared ``chain = "node"`` (memory tiers, CXL).
"""

from __future__ import annotations

from spec.actions import notifier_to_errno
from spec.steps.ctx import Ctx
from spec.steps.pages import Pages


class NodeNotifier(Pages):
    """The handlers of the node chain's events (module docstring)."""

    def h_on_node_going(self, x: Ctx) -> None:
        """After NODE_ADDING_FIRST_MEMORY: failed_addition sends MEM_CANCEL_ONLINE (never
        preceded by GOING_ONLINE here), then the node's cancel."""
        err = notifier_to_errno(x.op("chain_ret"))
        if err:
            x.upd(ret=err)
            self.start_chain(x, "MEM_CANCEL_ONLINE", "on_node_cancel")
            return
        self.start_chain(x, "MEM_GOING_ONLINE", "on_after_going")

    def h_on_node_cancel(self, x: Ctx) -> None:
        self.start_chain(x, "NODE_CANCEL_ADDING_FIRST_MEMORY", "on61_fail_tail")

    def h_on_mem_online(self, x: Ctx) -> None:
        self.start_chain(x, "MEM_ONLINE", "on61_ok_tail")

    def h_off_node_going(self, x: Ctx) -> None:
        err = notifier_to_errno(x.op("chain_ret"))
        if err:
            x.upd(ret=err)
            self.h_off_failed(x)
            return
        self.start_chain(x, "MEM_GOING_OFFLINE", "off_after_going")

    def h_off_node_cancel(self, x: Ctx) -> None:
        self.start_chain(x, "NODE_CANCEL_REMOVING_LAST_MEMORY", "off61_fail_tail")

    def h_off_mem_offline(self, x: Ctx) -> None:
        self.start_chain(x, "MEM_OFFLINE", "off61_ok_tail")


__all__ = ["NodeNotifier"]
