"""mm/memory_hotplug.c (6.1).

Models: zone_for_pfn_range / default_zone_for_pfn / default_kernel_zone_for_pfn (contig-zones
policy, movable_node from the world), move_pfn_range_to_zone (memmap linked to the zone, pageblocks
MIGRATE_ISOLATE) and remove_pfn_range_from_zone, adjust_present_page_count,
node_states_check_changes_online/offline, node_states_set_node/clear_node (clear trusts the
nids), online_pages (GOING_ONLINE; online_pages_range, present pages, node states, undo isolation
-> MEM_ONLINE unconditionally; on failure the whole chain gets MEM_CANCEL_ONLINE), offline_pages
(holes -> -EINVAL, multizone -> -EINVAL, isolation, nids, GOING_OFFLINE, the loop as one choice
without a timeout, __offline_isolated_pages, node_states_clear_node, MEM_OFFLINE; on failure
undo_isolate_page_range *then* MEM_CANCEL_OFFLINE), add_memory (__add_memory ->
add_memory_resource), try_remove_memory / __remove_memory, try_offline_node.

Leaves out: mem_hotplug_begin/done (always under device_hotplug_lock here), memmap_on_memory,
memory groups and the auto-movable policy, zonelists, pcp and LRU disabling, kswapd/kcompactd,
hugetlb dissolving, memblock, firmware_map, resource merging, auto-onlining (default offline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (EBUSY, EEXIST, EINVAL, MEM_CANCEL_OFFLINE, MEM_CANCEL_ONLINE,
                          MEM_GOING_OFFLINE, MEM_GOING_ONLINE, MEM_OFFLINE, MEM_ONLINE,
                          NUMA_NO_NODE, PAGE_SHIFT)
from spec.kernel.lib import BUG_ON
from spec.kernel.structs import Gen, MemoryBlock, MemoryNotify, PageRun, PglistData, Point, Resource, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

MMOP_OFFLINE, MMOP_ONLINE, MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE = 0, 1, 2, 3
ZONE_NAMES = ("DMA", "DMA32", "Normal", "Movable")
KERNEL_ZONES = ("DMA", "DMA32", "Normal")


# --- zones ------------------------------------------------------------------------------------

def default_kernel_zone_for_pfn(k: "Kernel", nid: int, start_pfn: int, nr_pages: int) -> Zone:
    """mm/memory_hotplug.c default_kernel_zone_for_pfn."""
    pgdat = k.node_data[nid]
    for name in ("DMA", "DMA32"):  # zid < ZONE_NORMAL
        zone = pgdat.node_zones[name]
        if k.fn.zone_intersects(k, zone, start_pfn, nr_pages):
            return zone
    return pgdat.node_zones["Normal"]


def default_zone_for_pfn(k: "Kernel", nid: int, start_pfn: int, nr_pages: int) -> Zone:
    """mm/memory_hotplug.c default_zone_for_pfn."""
    kernel_zone = k.fn.default_kernel_zone_for_pfn(k, nid, start_pfn, nr_pages)
    movable_zone = k.node_data[nid].node_zones["Movable"]
    in_kernel = k.fn.zone_intersects(k, kernel_zone, start_pfn, nr_pages)
    in_movable = k.fn.zone_intersects(k, movable_zone, start_pfn, nr_pages)
    if in_kernel ^ in_movable:
        return kernel_zone if in_kernel else movable_zone
    return movable_zone if k.world.movable_node else kernel_zone


def zone_for_pfn_range(k: "Kernel", online_type: int, nid: int, start_pfn: int,
                       nr_pages: int) -> Zone:
    """mm/memory_hotplug.c zone_for_pfn_range (online_policy contig-zones)."""
    if online_type == MMOP_ONLINE_KERNEL:
        return k.fn.default_kernel_zone_for_pfn(k, nid, start_pfn, nr_pages)
    if online_type == MMOP_ONLINE_MOVABLE:
        return k.node_data[nid].node_zones["Movable"]
    return k.fn.default_zone_for_pfn(k, nid, start_pfn, nr_pages)


def move_pfn_range_to_zone(k: "Kernel", zone: Zone, start_pfn: int, nr_pages: int) -> None:
    """mm/memory_hotplug.c move_pfn_range_to_zone(..., MIGRATE_ISOLATE): resize the zone and
    pgdat spans, memmap_init_range: link the pages to the zone, pageblocks isolated."""
    k.fn.set_page_links(k, start_pfn, nr_pages, zone.nid, zone.name)
    for ms in k.fn.present_sections(k, start_pfn, start_pfn + nr_pages):
        ms.isolate = True


def remove_pfn_range_from_zone(k: "Kernel", zone: Zone, start_pfn: int, nr_pages: int) -> None:
    """mm/memory_hotplug.c remove_pfn_range_from_zone: page_init_poison, shrink_zone_span."""
    k.fn.set_page_links(k, start_pfn, nr_pages, zone.nid, None)


def adjust_present_page_count(k: "Kernel", pfn: int, nr_pages: int) -> None:
    """mm/memory_hotplug.c adjust_present_page_count."""
    zone = k.fn.page_zone(k, pfn)
    assert zone is not None
    zone.present_pages += nr_pages
    k.node_data[zone.nid].node_present_pages += nr_pages


# --- node states ----------------------------------------------------------------------------------

def node_states_check_changes_online(k: "Kernel", nr_pages: int, zone: Zone,
                                     arg: MemoryNotify) -> None:
    """mm/memory_hotplug.c node_states_check_changes_online."""
    nid = k.fn.zone_to_nid(zone)
    arg.status_change_nid = NUMA_NO_NODE
    arg.status_change_nid_normal = NUMA_NO_NODE
    if not k.fn.node_state(k, nid, "N_MEMORY"):
        arg.status_change_nid = nid
    if zone.name in KERNEL_ZONES and not k.fn.node_state(k, nid, "N_NORMAL_MEMORY"):
        arg.status_change_nid_normal = nid


def node_states_set_node(k: "Kernel", node: int, arg: MemoryNotify) -> None:
    """mm/memory_hotplug.c node_states_set_node."""
    if arg.status_change_nid_normal is not None and arg.status_change_nid_normal >= 0:
        k.fn.node_set_state(k, node, "N_NORMAL_MEMORY")
    if arg.status_change_nid >= 0:
        k.fn.node_set_state(k, node, "N_MEMORY")


def node_states_check_changes_offline(k: "Kernel", nr_pages: int, zone: Zone,
                                      arg: MemoryNotify) -> None:
    """mm/memory_hotplug.c node_states_check_changes_offline."""
    pgdat = k.node_data[zone.nid]
    arg.status_change_nid = NUMA_NO_NODE
    arg.status_change_nid_normal = NUMA_NO_NODE
    present_pages = sum(pgdat.node_zones[z].present_pages for z in KERNEL_ZONES)
    if zone.name in KERNEL_ZONES and nr_pages >= present_pages:
        arg.status_change_nid_normal = k.fn.zone_to_nid(zone)
    present_pages += pgdat.node_zones["Movable"].present_pages
    if nr_pages >= present_pages:
        arg.status_change_nid = k.fn.zone_to_nid(zone)


def node_states_clear_node(k: "Kernel", node: int, arg: MemoryNotify) -> None:
    """mm/memory_hotplug.c node_states_clear_node: trusts the nids."""
    if arg.status_change_nid_normal is not None and arg.status_change_nid_normal >= 0:
        k.fn.node_clear_state(k, node, "N_NORMAL_MEMORY")
    if arg.status_change_nid >= 0:
        k.fn.node_clear_state(k, node, "N_MEMORY")


# --- online / offline -----------------------------------------------------------------------------

def online_pages_range(k: "Kernel", start_pfn: int, nr_pages: int) -> None:
    """mm/memory_hotplug.c online_pages_range: every page to the buddy allocator."""
    for ms in k.fn.present_sections(k, start_pfn, start_pfn + nr_pages):
        ms.reserved = False


def online_pages(k: "Kernel", pfn: int, nr_pages: int, zone: Zone) -> Gen:
    """mm/memory_hotplug.c online_pages (6.1)."""
    nid = k.fn.zone_to_nid(zone)
    # WARN_ON_ONCE alignment checks: blocks always pass; mem_hotplug_begin()
    k.fn.move_pfn_range_to_zone(k, zone, pfn, nr_pages)
    arg = MemoryNotify(pfn, nr_pages, NUMA_NO_NODE, NUMA_NO_NODE)
    k.fn.node_states_check_changes_online(k, nr_pages, zone, arg)

    ret = yield from k.fn.memory_notify(k, MEM_GOING_ONLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if ret:
        # failed_addition:
        yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
        k.fn.remove_pfn_range_from_zone(k, zone, pfn, nr_pages)
        return ret  # mem_hotplug_done()

    # zone->nr_isolate_pageblock += ...; setup_zone_pageset if unpopulated
    k.fn.online_pages_range(k, pfn, nr_pages)
    k.fn.adjust_present_page_count(k, pfn, nr_pages)
    k.fn.node_states_set_node(k, nid, arg)
    # build_all_zonelists if needed
    k.fn.undo_isolate_page_range(k, pfn, pfn + nr_pages)
    # shuffle_zone, init_per_zone_wmark_min, kswapd_run, kcompactd_run, writeback_set_ratelimit
    yield Point("commit")
    yield from k.fn.memory_notify(k, MEM_ONLINE, arg)
    return 0  # mem_hotplug_done()


def count_system_ram_pages_cb(k: "Kernel", start_pfn: int, nr_pages: int, data: list[int]) -> int:
    """mm/memory_hotplug.c count_system_ram_pages_cb."""
    data[0] += nr_pages
    return 0


def offline_pages(k: "Kernel", start_pfn: int, nr_pages: int, zone: Zone) -> Gen:
    """mm/memory_hotplug.c offline_pages (6.1)."""
    end_pfn = start_pfn + nr_pages
    node = k.fn.zone_to_nid(zone)
    # WARN_ON_ONCE alignment; mem_hotplug_begin()
    system_ram_pages = [0]
    k.fn.walk_system_ram_range(k, start_pfn, nr_pages, system_ram_pages,
                               k.fn.count_system_ram_pages_cb)
    if system_ram_pages[0] != nr_pages:
        return -EINVAL  # reason = "memory holes"
    if k.fn.page_zone(k, start_pfn) is not zone or k.fn.page_zone(k, end_pfn - 1) is not zone:
        return -EINVAL  # reason = "multizone range"
    # zone_pcp_disable(zone); lru_cache_disable()
    ret = k.fn.start_isolate_page_range(k, start_pfn, end_pfn)
    if ret:
        return ret  # reason = "failure to isolate range"

    arg = MemoryNotify(start_pfn, nr_pages, NUMA_NO_NODE, NUMA_NO_NODE)
    k.fn.node_states_check_changes_offline(k, nr_pages, zone, arg)

    ret = yield from k.fn.memory_notify(k, MEM_GOING_OFFLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if not ret:
        # do { signal_pending -> -EINTR; scan_movable_pages/do_migrate_range ("unmovable
        # page"); dissolve_free_huge_pages; test_pages_isolated } while (ret): one choice
        isolated = k.fn.test_pages_isolated(k, start_pfn, end_pfn) == 0
        ret = k.fn.offline_pages_outcome(k, isolated, 0)
        if ret:
            yield Point("migrate_failed")
        else:
            k.fn.__offline_isolated_pages(k, start_pfn, end_pfn)
            # nr_isolate_pageblock fixup; lru_cache_enable(); zone_pcp_enable(zone)
            # adjust_managed_page_count(-nr_pages)
            k.fn.adjust_present_page_count(k, start_pfn, -nr_pages)
            # init_per_zone_wmark_min(); zone_pcp_reset/build_all_zonelists if unpopulated
            k.fn.node_states_clear_node(k, node, arg)
            # if (arg.status_change_nid >= 0) kswapd_stop(node), kcompactd_stop(node)
            yield Point("commit")
            yield from k.fn.memory_notify(k, MEM_OFFLINE, arg)
            k.fn.remove_pfn_range_from_zone(k, zone, start_pfn, nr_pages)
            return 0  # mem_hotplug_done()

    # failed_removal_isolated: pushback to free area
    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)
    # failed_removal_pcplists_disabled / failed_removal: mem_hotplug_done()
    return ret


# --- hot-add / hot-remove --------------------------------------------------------------------------

def register_memory_resource(k: "Kernel", start: int, size: int) -> Resource | int:
    """mm/memory_hotplug.c register_memory_resource: ERR_PTR(-EEXIST) on conflict."""
    start_pfn = start >> PAGE_SHIFT
    res = Resource(start_pfn, start_pfn + (size >> PAGE_SHIFT), "System RAM")
    if k.fn.request_resource_conflict(k, res) is not None:
        return -EEXIST
    return res


def hotadd_init_pgdat(k: "Kernel", nid: int) -> PglistData:
    """mm/memory_hotplug.c hotadd_init_pgdat."""
    pgdat = k.node_data.get(nid)
    if pgdat is None:
        pgdat = PglistData(nid, 0, {z: Zone(z, nid) for z in ZONE_NAMES})
        k.node_data[nid] = pgdat
    return pgdat


def __try_online_node(k: "Kernel", nid: int, set_node_online: bool) -> int:
    """mm/memory_hotplug.c __try_online_node: 1 if a new pgdat was set up."""
    if k.fn.node_online(k, nid):
        return 0
    k.fn.hotadd_init_pgdat(k, nid)
    if set_node_online:
        k.fn.node_set_online(k, nid)
    return 1


def arch_add_memory(k: "Kernel", nid: int, start: int, size: int) -> int:
    """arch/x86/mm/init_64.c arch_add_memory -> add_pages -> __add_pages -> sparse_add_section:
    present sections with a memmap that is not yet linked to any zone."""
    start_pfn = start >> PAGE_SHIFT
    end_pfn = start_pfn + (size >> PAGE_SHIFT)
    first = k.fn.pfn_to_section_nr(k, start_pfn)
    last = k.fn.pfn_to_section_nr(k, end_pfn - 1)
    for nr in range(first, last + 1):
        ms = k.mem_sections.get(nr)
        if ms is None:
            continue
        if ms.present:
            return -EEXIST
        lo = nr * k.PAGES_PER_SECTION
        ms.present = True
        ms.runs = [PageRun(lo, lo + k.PAGES_PER_SECTION, nid, None)]
        ms.reserved = True
        ms.isolate = False
    return 0


def arch_remove_memory(k: "Kernel", start: int, size: int) -> None:
    """arch/x86/mm/init_64.c arch_remove_memory -> __remove_pages -> sparse_remove_section."""
    start_pfn = start >> PAGE_SHIFT
    for ms in k.fn.present_sections(k, start_pfn, start_pfn + (size >> PAGE_SHIFT)):
        ms.present = False
        ms.runs = []
        ms.reserved = True
        ms.isolate = False


def add_memory_resource(k: "Kernel", nid: int, res: Resource) -> int:
    """mm/memory_hotplug.c add_memory_resource (6.1)."""
    start = res.start << PAGE_SHIFT
    size = (res.end - res.start) << PAGE_SHIFT
    # check_hotplug_memory_range; mem_hotplug_begin()
    new_node = k.fn.__try_online_node(k, nid, False)
    ret = k.fn.arch_add_memory(k, nid, start, size)
    if ret < 0:
        return ret
    k.fn.create_memory_block_devices(k, res.start, res.end - res.start)
    if new_node:
        k.fn.node_set_online(k, nid)
        k.fn.__register_one_node(k, nid)
    k.fn.register_memory_blocks_under_node(k, nid, res.start, res.end, "MEMINIT_HOTPLUG")
    # firmware_map_add_hotplug; mem_hotplug_done(); auto-online is off (MMOP_OFFLINE)
    return 0


def __add_memory(k: "Kernel", nid: int, start: int, size: int) -> int:
    """mm/memory_hotplug.c __add_memory."""
    res = k.fn.register_memory_resource(k, start, size)
    if isinstance(res, int):
        return res
    ret = k.fn.add_memory_resource(k, nid, res)
    if ret < 0:
        k.fn.release_mem_region(k, res.start, res.end)
    return ret


def check_memblock_offlined_cb(k: "Kernel", mem: MemoryBlock) -> int:
    """mm/memory_hotplug.c check_memblock_offlined_cb."""
    return -EBUSY if mem.state != MEM_OFFLINE else 0


def try_offline_node(k: "Kernel", nid: int) -> None:
    """mm/memory_hotplug.c try_offline_node: a node left with no spanned pages, no memory
    block and no CPU goes offline and loses its device."""
    for ms in k.mem_sections.values():
        if ms.present and any(r.nid == nid and r.zone is not None for r in ms.runs):
            return  # node_spanned_pages(nid)
    if any(m.nid == nid for m in k.memory_blocks.values()):
        return
    if k.world.nodes[nid].cpus:  # check_cpu_on_node
        return
    k.fn.node_set_offline(k, nid)
    k.fn.unregister_one_node(k, nid)


def try_remove_memory(k: "Kernel", start: int, size: int) -> int:
    """mm/memory_hotplug.c try_remove_memory."""
    start_pfn = start >> PAGE_SHIFT
    nr = size >> PAGE_SHIFT
    nid = NUMA_NO_NODE
    for mem in list(k.memory_blocks.values()):
        mstart = mem.start_section_nr * k.PAGES_PER_SECTION
        if mstart + k.PAGES_PER_SECTION * k.sections_per_block <= start_pfn or mstart >= start_pfn + nr:
            continue
        rc = k.fn.check_memblock_offlined_cb(k, mem)
        if rc:
            return rc
        nid = mem.nid
    # mem_hotplug_begin()
    k.fn.remove_memory_block_devices(k, start_pfn, nr)
    k.fn.arch_remove_memory(k, start, size)
    k.fn.release_mem_region(k, start_pfn, start_pfn + nr)
    if nid != NUMA_NO_NODE:
        k.fn.try_offline_node(k, nid)
    return 0  # mem_hotplug_done()


def __remove_memory(k: "Kernel", start: int, size: int) -> None:
    """mm/memory_hotplug.c __remove_memory: BUG() if try_remove_memory fails."""
    # try_remove_memory() fails only if some memory is not offline
    BUG_ON(k.fn.try_remove_memory(k, start, size),
           "__remove_memory of memory that is not offline")
