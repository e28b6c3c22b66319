"""The steps that only the later profiles take (spec.model's Spec inherits them).

Models: v3.8's online_pages zone move (move_pfn_range_left/right for online_kernel /
online_movable), v4.15's failed offline that undoes the isolation after MEM_CANCEL_OFFLINE, and
v6.17's NUMA node notifier (NODE_ADDING_FIRST_MEMORY / ADDED / CANCEL_ADDING and REMOVING_LAST /
REMOVED / CANCEL_REMOVING around the memory chain; facts.md section 3.5). Leaves out: what
spec.model leaves out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spec.actions import notifier_to_errno

if TYPE_CHECKING:
    from spec.model import _Tx


class LaterProfiles:
    """Handlers of the later profiles' steps; ``self`` is a spec.model.Spec."""

    world: Any
    profile: Any

    if TYPE_CHECKING:  # defined by spec.model.Spec
        def _start_chain(self, tx: "_Tx", event: str, cont: str) -> None: ...

        def _h_off_failed(self, tx: "_Tx") -> None: ...

        def _h_off61_fail_tail(self, tx: "_Tx") -> None: ...

    def _zone_shift(self, tx: "_Tx") -> bool:
        """3.8 online_pages(): ONLINE_MOVABLE on a ZONE_NORMAL range calls
        move_pfn_range_right(Normal, Movable), which needs the range at the right edge of the
        node's ZONE_NORMAL; ONLINE_KERNEL on a ZONE_MOVABLE range calls move_pfn_range_left,
        which needs it at the left edge of ZONE_MOVABLE. Returns False when the move fails."""
        op = tx.op
        assert op is not None
        spec, zones = self.world.blocks[op.block], tx.blk(op.block).zones
        if op.online_type == "online_movable" and zones == ("Normal",):
            frm, to, later = "Normal", "Movable", True
        elif op.online_type == "online_kernel" and zones == ("Movable",):
            frm, to, later = "Movable", "Normal", False
        else:
            return True
        for s2, b2 in zip(self.world.blocks, tx.blocks):
            if (s2.node == spec.node and b2.registered and frm in b2.zones
                    and (s2.id > spec.id if later else s2.id < spec.id)):
                return False
        tx.setb(op.block, zones=(to,))
        return True

    def _h_on_mem_online(self, tx: "_Tx") -> None:
        self._start_chain(tx, "MEM_ONLINE", "on61_ok_tail")

    def _h_on_node_cancel(self, tx: "_Tx") -> None:
        self._start_chain(tx, "NODE_CANCEL_ADDING_FIRST_MEMORY", "on61_fail_tail")

    def _h_on_node_going(self, tx: "_Tx") -> None:
        """6.17 online_pages() after NODE_ADDING_FIRST_MEMORY: failed_addition sends
        MEM_CANCEL_ONLINE (never preceded by GOING_ONLINE here), then the node's cancel."""
        op = tx.op
        assert op is not None
        err = notifier_to_errno(op.chain_ret)
        if err:
            tx.upd(ret=err)
            self._start_chain(tx, "MEM_CANCEL_ONLINE", "on_node_cancel")
            return
        self._start_chain(tx, "MEM_GOING_ONLINE", "on_after_going")

    def _h_off_node_going(self, tx: "_Tx") -> None:
        op = tx.op
        assert op is not None
        err = notifier_to_errno(op.chain_ret)
        if err:
            tx.upd(ret=err)
            self._h_off_failed(tx)
            return
        self._start_chain(tx, "MEM_GOING_OFFLINE", "off_after_going")

    def _h_off_node_cancel(self, tx: "_Tx") -> None:
        self._start_chain(tx, "NODE_CANCEL_REMOVING_LAST_MEMORY", "off61_fail_tail")

    def _h_off_mem_offline(self, tx: "_Tx") -> None:
        self._start_chain(tx, "MEM_OFFLINE", "off61_ok_tail")

    def _h_off61_undo_tail(self, tx: "_Tx") -> None:
        """4.15: undo_isolate_page_range() after MEM_CANCEL_OFFLINE, then the common tail."""
        self._undo_isolation(tx)
        self._h_off61_fail_tail(tx)

