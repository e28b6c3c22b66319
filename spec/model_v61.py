"""The v6.1 steps under device_hotplug_lock (spec.model's Spec inherits them).

Models: state_store / online_store -> device_online / device_offline -> memory_subsys_online /
memory_subsys_offline -> memory_block_online / memory_block_offline (zone_for_pfn_range,
status_change_nid and _normal, the refusals of memory_block_offline and offline_pages), their
tails that set mem->state and drop the lock, and try_remove_memory() for the ACPI eject (a stale
write whose device went away). Leaves out: what spec.model leaves out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spec.actions import EBUSY, EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.state import (
    KERNEL_ZONES, PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED, evolve, node_zone_pages,
)
from spec.sysfs import zone_for_online

if TYPE_CHECKING:
    from spec.model import _Tx


class DeviceHotplug61:
    """Handlers of the v6.1 device-hotplug steps; ``self`` is a spec.model.Spec."""

    world: Any
    profile: Any

    if TYPE_CHECKING:  # defined by spec.model.Spec
        def _start_chain(self, tx: "_Tx", event: str, cont: str) -> None: ...

    def _h_dev_op(self, tx: "_Tx") -> None:
        op = tx.op
        assert op is not None
        spec, b = self.world.blocks[op.block], tx.blk(op.block)
        if op.req == "online":
            if op.via == "state":
                tx.setb(op.block, online_type=op.online_type)
            if b.state != MEM_OFFLINE:  # device_online() on an online device returns 1
                tx.upd(ret=-EINVAL if op.via == "state" else op.count)
                tx.unlock("device_hotplug_lock", "ret")
                return
            otype = tx.blk(op.block).online_type
            if otype == "offline":
                otype = "online"
            zone = zone_for_online(self.world, tx.machine(), spec.node, spec.id, otype)
            tx.setb(op.block, online_type=otype, zones=(zone,))  # move_pfn_range_to_zone
            flags = tx.nodes[spec.node].flags
            nid = spec.node if "N_MEMORY" not in flags else -1
            nid_normal = spec.node if zone in KERNEL_ZONES and "N_NORMAL_MEMORY" not in flags else -1
            tx.upd(zone=zone, arg=(self.world.start_pfn(spec.id), self.world.pages_per_block,
                                   nid, nid_normal))
            if self.profile.node_chain and nid >= 0:
                self._start_chain(tx, "NODE_ADDING_FIRST_MEMORY", "on_node_going")
                return
            self._start_chain(tx, "MEM_GOING_ONLINE", "on_after_going")
            return
        if b.state == MEM_OFFLINE:  # device_offline() on an offline device returns 1
            if op.via == "eject":
                self._remove_block(tx)
                tx.upd(ret=0)
            else:
                tx.upd(ret=-EINVAL if op.via == "state" else op.count)
            tx.unlock("device_hotplug_lock", "ret")
            return
        tx.setb(op.block, state=MEM_GOING_OFFLINE)
        tx.upd(pc="off61_entry")
        tx.point = "going_offline"

    def _h_off61_entry(self, tx: "_Tx") -> None:
        op = tx.op
        assert op is not None
        spec, b = self.world.blocks[op.block], tx.blk(op.block)
        if len(b.zones) != 1 or len(spec.nodes) != 1:
            err = -EINVAL  # memory_block_offline(): mem->zone is NULL
        elif spec.missing_sections or (spec.hole_pages and self.profile.holes_refused):
            err = -EINVAL  # memory_subsys_offline(): section_count; offline_pages(): "memory holes"
        elif spec.unmovable and b.pages == PAGES_ONLINE:
            err = -EBUSY  # "failure to isolate range"
        else:
            err = 0
        if err:
            tx.upd(ret=err)
            self._h_off61_fail_tail(tx)
            return
        tx.setb(op.block, pages=PAGES_ISOLATED)
        nr = self.world.pages_per_block
        node = tx.nodes[spec.node]
        normal = node_zone_pages(self.world, tx.machine(), spec.node, KERNEL_ZONES)
        nid_normal = spec.node if b.zones[0] in KERNEL_ZONES and nr >= normal else -1
        nid = spec.node if nr >= node.present_pages else -1
        tx.upd(arg=(self.world.start_pfn(spec.id), nr, nid, nid_normal))
        if self.profile.node_chain and nid >= 0:
            self._start_chain(tx, "NODE_REMOVING_LAST_MEMORY", "off_node_going")
            return
        self._start_chain(tx, "MEM_GOING_OFFLINE", "off_after_going")

    def _h_on61_ok_tail(self, tx: "_Tx") -> None:
        assert tx.op is not None
        tx.setb(tx.op.block, state=MEM_ONLINE, online_type="offline")
        tx.upd(ret=tx.op.count)
        tx.unlock("device_hotplug_lock", "ret")

    def _h_on61_fail_tail(self, tx: "_Tx") -> None:
        assert tx.op is not None
        tx.setb(tx.op.block, state=MEM_OFFLINE, online_type="offline", zones=())
        tx.unlock("device_hotplug_lock", "ret")

    def _h_off61_ok_tail(self, tx: "_Tx") -> None:
        op = tx.op
        assert op is not None
        tx.setb(op.block, state=MEM_OFFLINE, zones=())
        if op.via == "eject":
            self._remove_block(tx)
            tx.upd(ret=0)
        else:
            tx.upd(ret=op.count)
        tx.unlock("device_hotplug_lock", "ret")

    def _h_off61_fail_tail(self, tx: "_Tx") -> None:
        op = tx.op
        assert op is not None
        tx.setb(op.block, state=MEM_ONLINE)
        if op.via == "eject":
            tx.upd(ret=-EBUSY)  # acpi_scan_try_to_offline(): the eject is refused
        tx.unlock("device_hotplug_lock", "ret")

    def _remove_block(self, tx: "_Tx") -> None:
        """6.1 try_remove_memory(): block devices, links, sections and the resource go."""
        assert tx.op is not None
        for t, other in enumerate(tx.threads):
            if t != tx.t and other is not None and other.kind == "write" and other.block == tx.op.block:
                tx.threads[t] = evolve(other, stale=True)
        tx.setb(tx.op.block, present=False, registered=False, state=MEM_OFFLINE,
                pages=PAGES_RESERVED, zones=(), online_type="offline", resource=False,
                links=frozenset(), backlinks=frozenset())

