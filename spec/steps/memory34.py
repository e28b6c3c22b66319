"""The 3.4-era steps: memory_block_change_state under the per-block state_mutex, and
online_pages / offline_pages up to their GOING_X chains under mem_hotplug_mutex.

Models (spec/STEPS.md, "v3.4"): the state write's checks under ``state_mutex:memory<N>``
(``mem->state != from``: -EINVAL; going-offline; ``pages_correctly_reserved()``: -EBUSY), the
final ``mem->state`` update and unlock; online_pages() with status_change_nid (3.4: the node has
no present pages; 3.8: N_MEMORY / N_NORMAL_MEMORY not set) and 3.8's zone move for
online_kernel / online_movable; offline_pages()'s checks before the lock (one zone, one node),
the isolation and its status_change_nid; the ACPI eject's remove_memory(), which offlines the
pages without state_mutex and ejects the device on success, leaving the block device behind.

Leaves out: what :mod:`spec.steps.core` leaves out.
"""

from __future__ import annotations

from spec.actions import EBUSY, EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.state import KERNEL_ZONES, PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED
from spec.steps.ctx import Ctx, Val
from spec.steps.pages import Pages


def in_kernel_zone(zones: tuple[str, ...]) -> bool:
    """The block's (single) zone is a kernel zone."""
    return len(zones) >= 1 and zones[0] in KERNEL_ZONES


def any_kernel_zone(zones: tuple[str, ...]) -> bool:
    return any(z in KERNEL_ZONES for z in zones)


class Memory34(Pages):
    """The steps of the state_mutex lock model (module docstring)."""

    def state_mutex(self, i: int) -> str:
        return f"state_mutex:memory{self.world.blocks[i].id}"

    # --- memory_block_change_state ----------------------------------------------------------
    def h_ws_check(self, x: Ctx) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        req = x.op("req")
        frm = MEM_OFFLINE if req == "online" else MEM_ONLINE
        if x.br(x.b(i, "state") != frm):
            x.upd(ret=-EINVAL)
            x.unlock(self.state_mutex(i), "ret")
        elif req == "offline":
            x.setb(i, state=MEM_GOING_OFFLINE)
            x.goto("off_entry", "going_offline")
        elif self.profile.pages_correctly_reserved and (
                spec.missing_sections or x.br(x.b(i, "pages") != PAGES_RESERVED)):
            x.upd(ret=-EBUSY)  # pages_correctly_reserved() failed
            x.unlock(self.state_mutex(i), "ret")
        else:
            x.wait("mem_hotplug_mutex", "on_going")

    def h_ws_finish(self, x: Ctx) -> None:
        i = x.block
        assert i is not None
        req = x.op("req")
        if x.br(x.op("ret") != 0):
            x.setb(i, state=MEM_OFFLINE if req == "online" else MEM_ONLINE)
        else:
            x.setb(i, state=MEM_ONLINE if req == "online" else MEM_OFFLINE)
            x.upd(ret=x.op("count"))
        x.unlock(self.state_mutex(i), "ret")

    # --- online_pages ---------------------------------------------------------------------------
    def h_on_going(self, x: Ctx) -> None:
        """online_pages() after lock_memory_hotplug(): the nids, then MEM_GOING_ONLINE."""
        i = x.block
        assert i is not None
        node = self.world.blocks[i].node
        if self.profile.zone_shift and not self.zone_shift(x):
            x.upd(ret=-1)  # 3.8: online_pages() returns -1 when the range cannot move
            self.h_on_unlock_hp(x)
            return
        if self.profile.nid_normal:  # 3.8 node_states_check_changes_online()
            nid = x.If(x.flag(node, "N_MEMORY"), -1, node)
            kernel = x.test(x.b(i, "zones"), any_kernel_zone)
            nid_normal = x.If(x.And(kernel, x.Not(x.flag(node, "N_NORMAL_MEMORY"))), node, -1)
        else:  # 3.4: if (!node_present_pages(nid)) arg.status_change_nid = nid
            nid, nid_normal = x.If(x.n(node, "present_pages") == 0, node, -1), -1
        x.upd(arg=(self.start_pfn(i), self.nr_pages(), nid, nid_normal))
        self.start_chain(x, "MEM_GOING_ONLINE", "on_after_going")

    def zone_shift(self, x: Ctx) -> bool:
        """3.8 online_pages(): ONLINE_MOVABLE on a ZONE_NORMAL range calls
        move_pfn_range_right(Normal, Movable), which needs the range at the right edge of the
        node's ZONE_NORMAL; ONLINE_KERNEL on a ZONE_MOVABLE range calls move_pfn_range_left,
        which needs it at the left edge of ZONE_MOVABLE. False when the move fails."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        otype, zones = x.op("online_type"), x.b(i, "zones")
        if otype == "online_movable" and x.br(zones == ("Normal",)):
            frm, to, later = "Normal", "Movable", True
        elif otype == "online_kernel" and x.br(zones == ("Movable",)):
            frm, to, later = "Movable", "Normal", False
        else:
            return True
        beyond: list[Val] = []
        for k, s2 in enumerate(self.world.blocks):
            if s2.node == spec.node and (s2.id > spec.id if later else s2.id < spec.id):
                beyond.append(x.And(x.b(k, "registered"), x.test(x.b(k, "zones"), lambda z: frm in z)))
        if x.br(x.Or(*beyond)):
            return False
        x.setb(i, zones=(to,))
        return True

    def h_on_unlock_hp(self, x: Ctx) -> None:
        x.unlock("mem_hotplug_mutex", "ws_finish")

    # --- offline_pages --------------------------------------------------------------------------
    def h_off_entry(self, x: Ctx) -> None:
        """3.4 remove_memory() / the write's offline_pages(): checks before lock_memory_hotplug()."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        if len(spec.nodes) != 1 or x.br(x.test(x.b(i, "zones"), lambda z: len(z) != 1)):
            # test_pages_in_a_zone() fails
            if x.op("kind") == "hotremove":
                x.finish(-EINVAL)
            else:
                x.setb(i, state=MEM_ONLINE)
                x.upd(ret=-EINVAL)
                x.unlock(self.state_mutex(i), "ret")
            return
        x.wait("mem_hotplug_mutex", "off_isolate")

    def h_off_isolate(self, x: Ctx) -> None:
        """3.4 offline_pages() after lock_memory_hotplug()."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        pages = x.b(i, "pages")
        if spec.unmovable and x.br(pages == PAGES_ONLINE):  # start_isolate_page_range() fails
            x.upd(ret=-EBUSY)
            x.unlock("mem_hotplug_mutex", "off_finish")
            return
        x.setb(i, pages=x.If(pages == PAGES_ONLINE, PAGES_ISOLATED, pages))
        nr, node = self.nr_pages(), spec.node
        nid = x.If(nr >= x.n(node, "present_pages"), node, -1)
        nid_normal: Val = -1
        if self.profile.nid_normal:  # 3.8 node_states_check_changes_offline()
            normal = self.zone_pages(x, node, KERNEL_ZONES)
            kernel = x.test(x.b(i, "zones"), in_kernel_zone)
            nid_normal = x.If(x.And(kernel, nr >= normal), node, -1)
        x.upd(arg=(self.start_pfn(i), nr, nid, nid_normal))
        self.start_chain(x, "MEM_GOING_OFFLINE", "off_after_going")

    def h_off_undo_unlock(self, x: Ctx) -> None:
        """3.4: undo_isolate_page_range() after MEM_CANCEL_OFFLINE, then the unlock."""
        self.undo_isolation(x)
        x.unlock("mem_hotplug_mutex", "off_finish")

    def h_off_unlock_hp(self, x: Ctx) -> None:
        x.unlock("mem_hotplug_mutex", "off_finish")

    def h_off_finish(self, x: Ctx) -> None:
        """3.4: back in memory_block_change_state (writer) or the ACPI driver (eject)."""
        i = x.block
        assert i is not None
        ret = x.op("ret")
        if x.op("kind") == "hotremove":
            # the firmware ejects the device on success; the memory block device, its state
            # and links and the iomem resource stay (3.4 has no device removal)
            x.setb(i, present=x.And(x.b(i, "present"), ret != 0))
            x.finish()
            return
        if x.br(ret != 0):
            x.setb(i, state=MEM_ONLINE)
        else:
            x.setb(i, state=MEM_OFFLINE)
            x.upd(ret=x.op("count"))
        x.unlock(self.state_mutex(i), "ret")


__all__ = ["Memory34", "any_kernel_zone", "in_kernel_zone"]
