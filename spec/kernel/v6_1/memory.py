"""drivers/base/memory.c (6.1).

Models: state_store (mhp_online_type_from_str with sysfs_streq before the lock; under
device_hotplug_lock, mem->online_type then device_online, or device_offline; a positive result
is -EINVAL), memory_subsys_online / memory_subsys_offline, memory_block_change_state (no lock of
its own), memory_block_action, memory_block_online (zone_for_pfn_range, online_pages,
mem->zone) / memory_block_offline (-EINVAL without a single zone, offline_pages, mem->zone =
NULL), the show methods (phys_index, state, phys_device, removable (always 1), valid_zones,
block_size_bytes), init_memory_block, create_memory_block_devices,
remove_memory_block_devices, memory_block_add_nid, memory_dev_init.

Leaves out: memmap_on_memory (nr_vmemmap_pages is 0), memory groups, poisoned pages
(-EHWPOISON), the probe and auto_online_blocks files, crash_hotplug, uevents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.kernel.structs import Gen, MemoryBlock, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

MMOP_OFFLINE, MMOP_ONLINE, MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE = 0, 1, 2, 3
ONLINE_TYPE_TO_STR = ("offline", "online", "online_kernel", "online_movable")
MEMINIT_EARLY, MEMINIT_HOTPLUG = "MEMINIT_EARLY", "MEMINIT_HOTPLUG"
NUMA_NO_NODE = -1

#: memory_memblk_attrs[] and the device core's online attribute: name -> (show, store).
MEMORY_ATTRS: dict[str, tuple[str, str | None]] = {
    "phys_index": ("phys_index_show", None),
    "state": ("state_show", "state_store"),
    "phys_device": ("phys_device_show", None),
    "removable": ("removable_show", None),
    "valid_zones": ("valid_zones_show", None),
    "online": ("online_show", "online_store"),
}


def mhp_online_type_from_str(k: "Kernel", buf: bytes) -> int:
    """mm/memory_hotplug.c mhp_online_type_from_str."""
    for i, s in enumerate(ONLINE_TYPE_TO_STR):
        if k.fn.sysfs_streq(buf, s.encode()):
            return i
    return -EINVAL


def state_store(k: "Kernel", mem: MemoryBlock, buf: bytes, count: int) -> Gen:
    """drivers/base/memory.c state_store."""
    online_type = k.fn.mhp_online_type_from_str(k, buf)
    if online_type < 0:
        return -EINVAL
    ret = yield from k.fn.lock_device_hotplug_sysfs(k)
    if ret:
        return ret
    if online_type in (MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE, MMOP_ONLINE):
        # mem->online_type is protected by device_hotplug_lock
        mem.online_type = online_type
        ret = yield from k.fn.device_online(k, mem)
    elif online_type == MMOP_OFFLINE:
        ret = yield from k.fn.device_offline(k, mem)
    else:
        ret = -EINVAL
    yield from k.fn.unlock_device_hotplug(k)
    if ret < 0:
        return ret
    if ret:
        return -EINVAL
    return count


def memory_subsys_online(k: "Kernel", mem: MemoryBlock) -> Gen:
    """drivers/base/memory.c memory_subsys_online."""
    if mem.state == MEM_ONLINE:
        return 0
    # When called via device_online() without configuring the online_type, default to ONLINE.
    if mem.online_type == MMOP_OFFLINE:
        mem.online_type = MMOP_ONLINE
    ret = yield from k.fn.memory_block_change_state(k, mem, MEM_ONLINE, MEM_OFFLINE)
    mem.online_type = MMOP_OFFLINE
    return ret


def memory_subsys_offline(k: "Kernel", mem: MemoryBlock) -> Gen:
    """drivers/base/memory.c memory_subsys_offline."""
    if mem.state == MEM_OFFLINE:
        return 0
    ret = yield from k.fn.memory_block_change_state(k, mem, MEM_OFFLINE, MEM_ONLINE)
    return ret


def memory_block_change_state(k: "Kernel", mem: MemoryBlock, to_state: int,
                              from_state_req: int) -> Gen:
    """drivers/base/memory.c memory_block_change_state (6.1: no state_mutex)."""
    if mem.state != from_state_req:
        return -EINVAL
    if to_state == MEM_OFFLINE:
        mem.state = MEM_GOING_OFFLINE
        yield Point("going_offline")
    ret = yield from k.fn.memory_block_action(k, mem, to_state)
    mem.state = from_state_req if ret else to_state
    return ret


def memory_block_action(k: "Kernel", mem: MemoryBlock, action: int) -> Gen:
    """drivers/base/memory.c memory_block_action."""
    if action == MEM_ONLINE:
        ret = yield from k.fn.memory_block_online(k, mem)
    elif action == MEM_OFFLINE:
        ret = yield from k.fn.memory_block_offline(k, mem)
    else:
        ret = -EINVAL
    return ret


def memory_block_online(k: "Kernel", mem: MemoryBlock) -> Gen:
    """drivers/base/memory.c memory_block_online (no memmap_on_memory)."""
    start_pfn = k.fn.section_nr_to_pfn(k, mem.start_section_nr)
    nr_pages = k.PAGES_PER_SECTION * k.sections_per_block
    zone = k.fn.zone_for_pfn_range(k, mem.online_type, mem.nid, start_pfn, nr_pages)
    ret = yield from k.fn.online_pages(k, start_pfn, nr_pages, zone)
    if ret:
        return ret
    mem.zone = zone.name
    return ret


def memory_block_offline(k: "Kernel", mem: MemoryBlock) -> Gen:
    """drivers/base/memory.c memory_block_offline."""
    start_pfn = k.fn.section_nr_to_pfn(k, mem.start_section_nr)
    nr_pages = k.PAGES_PER_SECTION * k.sections_per_block
    if mem.zone is None:
        return -EINVAL
    zone = k.node_data[mem.nid].node_zones[mem.zone]
    ret = yield from k.fn.offline_pages(k, start_pfn, nr_pages, zone)
    if ret:
        return ret
    mem.zone = None
    return ret


# --- show methods -------------------------------------------------------------------------------

def phys_index_show(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c phys_index_show: the block id, %08lx."""
    return "%08x\n" % (mem.start_section_nr // k.sections_per_block)


def state_show(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c state_show (no lock)."""
    if mem.state == MEM_ONLINE:
        return "online\n"
    if mem.state == MEM_OFFLINE:
        return "offline\n"
    if mem.state == MEM_GOING_OFFLINE:
        return "going-offline\n"
    return "ERROR-UNKNOWN-%d\n" % mem.state


def phys_device_show(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c phys_device_show (arch_get_memory_phys_device() is 0 on x86)."""
    return "%d\n" % mem.phys_device


def removable_show(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c removable_show: always 1 (53cdc1cb29e8)."""
    return "%d\n" % 1


def print_allowed_zone(k: "Kernel", nid: int, start_pfn: int, nr_pages: int, online_type: int,
                       default_zone: str) -> str:
    """drivers/base/memory.c print_allowed_zone."""
    zone = k.fn.zone_for_pfn_range(k, online_type, nid, start_pfn, nr_pages)
    if zone.name != default_zone:
        return " %s" % zone.name
    return ""


def valid_zones_show(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c valid_zones_show."""
    start_pfn = k.fn.section_nr_to_pfn(k, mem.start_section_nr)
    nr_pages = k.PAGES_PER_SECTION * k.sections_per_block
    nid = mem.nid
    if mem.state == MEM_ONLINE:
        # If !mem->zone, the memory block spans multiple zones and cannot get offlined.
        if mem.zone is None:
            return "none\n"
        return "%s\n" % mem.zone
    default_zone = k.fn.zone_for_pfn_range(k, MMOP_ONLINE, nid, start_pfn, nr_pages).name
    out = default_zone
    out += k.fn.print_allowed_zone(k, nid, start_pfn, nr_pages, MMOP_ONLINE_KERNEL, default_zone)
    out += k.fn.print_allowed_zone(k, nid, start_pfn, nr_pages, MMOP_ONLINE_MOVABLE, default_zone)
    return out + "\n"


def block_size_bytes_show(k: "Kernel") -> str:
    """drivers/base/memory.c block_size_bytes_show: %lx."""
    return "%x\n" % k.world.block_size_bytes


# --- memory block devices -------------------------------------------------------------------------

def init_memory_block(k: "Kernel", block_id: int, state: int) -> MemoryBlock:
    """drivers/base/memory.c init_memory_block + __add_memory_block (dev.offline = !online)."""
    start = block_id * k.sections_per_block
    mem = MemoryBlock(id=block_id, start_section_nr=start,
                      end_section_nr=start + k.sections_per_block - 1, state=state,
                      section_count=0, state_mutex="", nid=NUMA_NO_NODE, zone=None,
                      online_type=MMOP_OFFLINE, dev_offline=state == MEM_OFFLINE)
    k.memory_blocks[block_id] = mem
    return mem


def memory_block_add_nid(k: "Kernel", mem: MemoryBlock, nid: int, context: str) -> None:
    """drivers/base/memory.c memory_block_add_nid: early blocks learn their single zone."""
    if context == MEMINIT_EARLY and mem.nid != nid:
        if mem.nid == NUMA_NO_NODE:
            mem.zone = k.fn.early_node_zone_for_memory_block(k, mem, nid)
        else:
            mem.zone = None
    mem.nid = nid


def early_node_zone_for_memory_block(k: "Kernel", mem: MemoryBlock, nid: int) -> str | None:
    """drivers/base/memory.c early_node_zone_for_memory_block: the one zone the block's pages
    intersect, else NULL."""
    start_pfn = k.fn.section_nr_to_pfn(k, mem.start_section_nr)
    nr_pages = k.PAGES_PER_SECTION * k.sections_per_block
    matching: str | None = None
    for zone in k.node_data[nid].node_zones.values():
        if not k.fn.zone_intersects(k, zone, start_pfn, nr_pages):
            continue
        if matching is not None:
            return None
        matching = zone.name
    return matching


def memory_dev_init(k: "Kernel") -> int:
    """drivers/base/memory.c memory_dev_init -> add_boot_memory_block per present block (a
    world's block that boots offline, its pages PG_reserved, is registered MEM_OFFLINE)."""
    seen: set[int] = set()
    for nr in sorted(k.mem_sections):
        ms = k.mem_sections[nr]
        if not ms.present:
            continue
        block_id = nr // k.sections_per_block
        if block_id not in seen:
            seen.add(block_id)
            state = MEM_ONLINE if k.boot_block_online(block_id) else MEM_OFFLINE
            k.fn.init_memory_block(k, block_id, state)
        k.memory_blocks[block_id].section_count += 1
    return 0


def create_memory_block_devices(k: "Kernel", start_pfn: int, size_pages: int) -> int:
    """drivers/base/memory.c create_memory_block_devices: offline blocks for a hot-added range."""
    first = k.fn.pfn_to_section_nr(k, start_pfn) // k.sections_per_block
    last = k.fn.pfn_to_section_nr(k, start_pfn + size_pages - 1) // k.sections_per_block
    for block_id in range(first, last + 1):
        mem = k.fn.init_memory_block(k, block_id, MEM_OFFLINE)
        mem.section_count = k.sections_per_block
    return 0


def remove_memory_block_devices(k: "Kernel", start_pfn: int, size_pages: int) -> None:
    """drivers/base/memory.c remove_memory_block_devices: unlink from the node, unregister."""
    first = k.fn.pfn_to_section_nr(k, start_pfn) // k.sections_per_block
    last = k.fn.pfn_to_section_nr(k, start_pfn + size_pages - 1) // k.sections_per_block
    for block_id in range(first, last + 1):
        mem = k.memory_blocks.get(block_id)
        if mem is None:
            continue
        k.fn.unregister_memory_block_under_nodes(k, mem)
        del k.memory_blocks[block_id]  # remove_memory_block -> device_unregister
