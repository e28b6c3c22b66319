"""The device-core steps under device_hotplug_lock (4.13+ / 6.1 lock model).

Models (spec/STEPS.md, "v6.1"): state_store / online_store -> device_online / device_offline
-> memory_subsys_online / memory_subsys_offline -> memory_block_online / memory_block_offline:
the online type, zone_for_pfn_range (6.1, contiguous zones) and the nids of
node_states_check_changes_online; the refusals of memory_block_offline and offline_pages (no
single zone, missing sections, holes where the profile refuses them, unmovable pages), the
isolation and the nids of node_states_check_changes_offline; the tails that set ``mem->state``
and drop the lock; try_remove_memory() for the ACPI eject (devices, links, sections and the
resource go; a write that waited for the lock finds its device removed), and at its end, where
the profile has it (``try_offline_node``), try_offline_node() (mm/memory_hotplug.c, 3.10+,
60a5a19e7419 "memory-hotplug: remove sysfs file of node"): the node ``mem->nid`` named (the
last node the removed block was registered under, which is the node of its backlink) goes
offline (N_ONLINE cleared; unregister_one_node() takes its ``node<N>`` directory) when no block
in a zone still spans it (node_spanned_pages), no other memory block device belongs to it
(check_no_memblock_for_node_cb: ``mem->nid``, the node of a block's backlink) and no CPU is on
it (check_cpu_on_node). It happens in the step that removes the block, under
device_hotplug_lock, before the lock is released (spec/STEPS.md).

Leaves out: memmap_on_memory, the online policies of 5.15+, the 6.9+ MEM_PREPARE_ONLINE /
MEM_FINISH_OFFLINE events; the try_offline_node() of 3.10 to 5.4, which looked only at the
present sections inside the node's span (pfn_to_nid) and so missed memory blocks never onlined
(2c91f8fc6c99 "mm/memory_hotplug: fix try_offline_node()" added the memory block walk): every
profile that has try_offline_node() gets 5.5's checks, v4.15 included; CPU hotplug (a node's
CPUs never go away); the pgdat (the spec has none: a node's fields are all it keeps).
"""

from __future__ import annotations

from spec.actions import EBUSY, EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.config import World
from spec.state import KERNEL_ZONES, PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED
from spec.steps.ctx import Ctx, Reader, Val
from spec.steps.memory34 import in_kernel_zone
from spec.steps.pages import Pages

DEV_LOCK = "device_hotplug_lock"


class Device(Pages):
    """The steps of the device_hotplug lock model (module docstring)."""

    def h_dev_op(self, x: Ctx) -> None:
        """device_online() / device_offline() under device_hotplug_lock."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        req, via = x.op("req"), x.op("via")
        if req == "online":
            if via == "state":  # state_store() sets mem->online_type first
                x.setb(i, online_type=x.op("online_type"))
            if x.br(x.b(i, "state") != MEM_OFFLINE):  # device_online() of an online device: 1
                x.upd(ret=-EINVAL if via == "state" else x.op("count"))
                x.unlock(DEV_LOCK, "ret")
                return
            ot = x.b(i, "online_type")
            otype = x.If(ot == "offline", "online", ot)
            zone = self.zone_for_online(x, spec.node, i, otype)
            x.setb(i, online_type=otype, zones=x.lift(zone, lambda z: (z,)))  # move_pfn_range_to_zone
            node = spec.node
            nid = x.If(x.flag(node, "N_MEMORY"), -1, node)
            kernel = x.test(zone, lambda z: z in KERNEL_ZONES)
            nid_normal = x.If(x.And(kernel, x.Not(x.flag(node, "N_NORMAL_MEMORY"))), node, -1)
            x.upd(zone=zone, arg=(self.start_pfn(i), self.nr_pages(), nid, nid_normal))
            if self.profile.node_chain and x.br(nid >= 0):
                self.start_chain(x, "NODE_ADDING_FIRST_MEMORY", "on_node_going")
                return
            self.start_chain(x, "MEM_GOING_ONLINE", "on_after_going")
            return
        if x.br(x.b(i, "state") == MEM_OFFLINE):  # device_offline() of an offline device: 1
            if via == "eject":
                self.remove_block(x)
                x.upd(ret=0)
            else:
                x.upd(ret=-EINVAL if via == "state" else x.op("count"))
            x.unlock(DEV_LOCK, "ret")
            return
        x.setb(i, state=MEM_GOING_OFFLINE)
        x.goto("off61_entry", "going_offline")

    def h_off61_entry(self, x: Ctx) -> None:
        """memory_block_offline() / offline_pages() up to MEM_GOING_OFFLINE."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        zones, pages = x.b(i, "zones"), x.b(i, "pages")
        if len(spec.nodes) != 1 or x.br(x.test(zones, lambda z: len(z) != 1)):
            err = -EINVAL  # memory_block_offline(): mem->zone is NULL
        elif spec.missing_sections or (spec.hole_pages and self.profile.holes_refused):
            err = -EINVAL  # memory_subsys_offline(): section_count; offline_pages(): "memory holes"
        elif spec.unmovable and x.br(pages == PAGES_ONLINE):
            err = -EBUSY  # "failure to isolate range"
        else:
            err = 0
        if err:
            x.upd(ret=err)
            self.h_off61_fail_tail(x)
            return
        x.setb(i, pages=PAGES_ISOLATED)
        nr, node = self.nr_pages(), spec.node
        normal = self.zone_pages(x, node, KERNEL_ZONES)
        nid_normal = x.If(x.And(x.test(zones, in_kernel_zone), nr >= normal), node, -1)
        nid = x.If(nr >= x.n(node, "present_pages"), node, -1)
        x.upd(arg=(self.start_pfn(i), nr, nid, nid_normal))
        if self.profile.node_chain and x.br(nid >= 0):
            self.start_chain(x, "NODE_REMOVING_LAST_MEMORY", "off_node_going")
            return
        self.start_chain(x, "MEM_GOING_OFFLINE", "off_after_going")

    def h_on61_ok_tail(self, x: Ctx) -> None:
        assert x.block is not None
        x.setb(x.block, state=MEM_ONLINE, online_type="offline")
        x.upd(ret=x.op("count"))
        x.unlock(DEV_LOCK, "ret")

    def h_on61_fail_tail(self, x: Ctx) -> None:
        """memory_block_online() failed: the range leaves the zone, the state stays offline."""
        assert x.block is not None
        x.setb(x.block, state=MEM_OFFLINE, online_type="offline", zones=())
        x.unlock(DEV_LOCK, "ret")

    def h_off61_ok_tail(self, x: Ctx) -> None:
        assert x.block is not None
        x.setb(x.block, state=MEM_OFFLINE, zones=())
        if x.op("via") == "eject":
            self.remove_block(x)
            x.upd(ret=0)
        else:
            x.upd(ret=x.op("count"))
        x.unlock(DEV_LOCK, "ret")

    def h_off61_fail_tail(self, x: Ctx) -> None:
        assert x.block is not None
        x.setb(x.block, state=MEM_ONLINE)
        if x.op("via") == "eject":
            x.upd(ret=-EBUSY)  # acpi_scan_try_to_offline(): the eject is refused
        x.unlock(DEV_LOCK, "ret")

    def h_off61_undo_tail(self, x: Ctx) -> None:
        """4.15: undo_isolate_page_range() after MEM_CANCEL_OFFLINE, then the common tail."""
        self.undo_isolation(x)
        self.h_off61_fail_tail(x)

    def remove_block(self, x: Ctx) -> None:
        """6.1 try_remove_memory(): block devices, links, sections and the resource go; a write
        waiting for the lock on this block will find its kernfs node removed."""
        i = x.block
        assert i is not None
        for u in range(len(self.threads)):
            if u != x.t:
                hit = x.And(x.op_of(u, "kind") == "write", x.op_of(u, "block") == i)
                x.set_op(u, stale=x.Or(x.op_of(u, "stale"), hit))
        spec = self.world.blocks[i]
        # try_remove_memory(): walk_memory_blocks(check_memblock_offlined_cb) leaves nid at
        # mem->nid, the last node the block was registered under (its backlinks; NUMA_NO_NODE
        # if none)
        owners = [(n, self.mem_nid_is(x, i, n)) for n in spec.nodes]
        x.setb(i, present=False, registered=False, state=MEM_OFFLINE, pages=PAGES_RESERVED,
               zones=(), online_type="offline", resource=False, links=frozenset(),
               backlinks=frozenset())
        if self.profile.try_offline_node:
            for n, owner in owners:
                self.try_offline_node(x, n, owner)

    def mem_nid_is(self, x: Reader, i: int, n: int) -> Val:
        """``mem->nid == n`` for the registered block ``i``: memory_block_add_nid() records
        the last node it registers the block under, together with the backlink
        ``memory<i>/node<n>`` (boot registers nodes in ascending order; hot-add one node)."""
        later = [m for m in self.world.blocks[i].nodes if m > n]
        return x.And(x.b(i, "registered"), x.backlink(i, n),
                     *[x.Not(x.backlink(i, m)) for m in later])

    def try_offline_node(self, x: Ctx, n: int, owner: Val) -> None:
        """mm/memory_hotplug.c try_offline_node(nid) for ``n`` where ``owner`` (the removed
        block's mem->nid was ``n``): the node goes offline and loses its device when nothing
        keeps it (module docstring)."""
        if self.world.nodes[n].cpus:  # check_cpu_on_node()
            return
        keep: list[Val] = []
        for k, s in enumerate(self.world.blocks):
            if k == x.block or n not in s.nodes:
                continue  # the removed block's sections and device are gone
            keep.append(x.test(x.b(k, "zones"), bool))  # node_spanned_pages(): pages in a zone
            keep.append(self.mem_nid_is(x, k, n))  # check_no_memblock_for_node_cb()
        gone = x.And(owner, x.n(n, "online"), *[x.Not(c) for c in keep])
        if x.br(gone):
            x.setn(n, online=False)  # node_set_offline(); unregister_one_node()

    def zone_for_online(self, x: Reader, node: int, i: int, otype: Val) -> Val:
        return zone_for_online(self.world, x, node, i, otype)


# --- zone_for_pfn_range (6.1, contiguous zones); spec.sysfs renders valid_zones with it ----------
def zone_span_hits(world: World, x: Reader, node: int, zone: str, start: int, nr: int) -> Val:
    """``zone``'s span on ``node`` (its registered blocks in it) meets [start, start+nr)
    (blocks are aligned and of one size)."""
    lo: list[Val] = []
    hi: list[Val] = []
    for k, s in enumerate(world.blocks):
        if s.node != node:
            continue
        m = x.And(x.test(x.b(k, "zones"), lambda z: zone in z), x.b(k, "registered"))
        s0 = world.start_pfn(s.id)
        if s0 < start + nr:
            lo.append(m)
        if start < s0 + nr:
            hi.append(m)
    return x.And(x.Or(*lo), x.Or(*hi))


def zone_for_online(world: World, x: Reader, node: int, i: int, otype: Val) -> Val:
    """mm/memory_hotplug.c zone_for_pfn_range / default_zone_for_pfn (6.1, contig zones) for
    block ``i`` (an index into world.blocks) and the online type ``otype``."""
    start, nr = world.start_pfn(world.blocks[i].id), world.pages_per_block
    kernel: Val = "Normal"  # default_kernel_zone_for_pfn(): the first kernel zone it meets
    for z in reversed(KERNEL_ZONES):
        kernel = x.If(zone_span_hits(world, x, node, z, start, nr), z, kernel)
    in_kernel: Val = False
    for z in KERNEL_ZONES:
        in_kernel = x.If(kernel == z, zone_span_hits(world, x, node, z, start, nr), in_kernel)
    in_movable = zone_span_hits(world, x, node, "Movable", start, nr)
    fallback = "Movable" if world.movable_node else kernel
    dflt = x.If(x.Xor(in_kernel, in_movable), x.If(in_kernel, kernel, "Movable"), fallback)
    return x.If(otype == "online_kernel", kernel, x.If(otype == "online_movable", "Movable", dflt))


__all__ = ["DEV_LOCK", "Device", "zone_for_online", "zone_span_hits"]
