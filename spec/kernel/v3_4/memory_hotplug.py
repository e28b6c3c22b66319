"""mm/memory_hotplug.c (3.4), with arch/x86/mm/init_64.c arch_add_memory.

Models: lock_memory_hotplug (mem_hotplug_mutex), online_pages (status_change_nid from
node_present_pages, GOING_ONLINE, walk_system_ram_range over System RAM with
online_pages_range, present pages, ``if (onlined_pages)`` node_set_state(N_HIGH_MEMORY) and
MEM_ONLINE), offline_pages (test_pages_in_a_zone, isolation, status_change_nid from the span
``nr_pages >= node_present_pages``, GOING_OFFLINE, the retry loop as one choice,
check_pages_isolated over System RAM, offline_isolated_pages, node_clear_state from the actual
count, MEM_OFFLINE; on failure MEM_CANCEL_OFFLINE *before* undo_isolate_page_range),
remove_memory (offline_pages only), add_memory (register_memory_resource, hotadd_new_pgdat,
arch_add_memory into ZONE_NORMAL, node_set_online, register_one_node).

Leaves out: zonelists_mutex and zonelist rebuilds, kswapd, watermarks, vm_total_pages,
writeback ratelimits, firmware_map, lock_system_sleep, rollback of a failed arch_add_memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (EBUSY, EEXIST, EINVAL, MEM_CANCEL_OFFLINE, MEM_CANCEL_ONLINE,
                          MEM_GOING_OFFLINE, MEM_GOING_ONLINE, MEM_OFFLINE, MEM_ONLINE,
                          PAGE_SHIFT)
from spec.kernel.lib import BUG_ON
from spec.kernel.structs import Gen, MemoryNotify, PageRun, PglistData, Point, Resource, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

MEM_HOTPLUG_MUTEX = "mem_hotplug_mutex"
HZ = 250
N_HIGH_MEMORY = "N_HIGH_MEMORY"
ZONE_NAMES = ("DMA", "DMA32", "Normal", "Movable")


def lock_memory_hotplug(k: "Kernel") -> Gen:
    """mm/memory_hotplug.c lock_memory_hotplug: mem_hotplug_mutex (then lock_system_sleep)."""
    yield from k.fn.mutex_lock(k, MEM_HOTPLUG_MUTEX)
    return 0


def unlock_memory_hotplug(k: "Kernel", point: bool = True) -> Gen:
    """mm/memory_hotplug.c unlock_memory_hotplug."""
    yield from k.fn.mutex_unlock(k, MEM_HOTPLUG_MUTEX, point)
    return 0


# --- online ---------------------------------------------------------------------------------------

def online_pages_range(k: "Kernel", start_pfn: int, nr_pages: int, arg: list[int]) -> int:
    """mm/memory_hotplug.c online_pages_range: a System RAM run whose first page is
    PG_reserved goes to the buddy allocator (online_page -> generic_online_page)."""
    first = k.mem_sections.get(k.fn.pfn_to_section_nr(k, start_pfn))
    if first is not None and first.reserved:
        for ms in k.fn.present_sections(k, start_pfn, start_pfn + nr_pages):
            ms.reserved = False
        arg[0] += nr_pages
    return 0


def online_pages(k: "Kernel", pfn: int, nr_pages: int) -> Gen:
    """mm/memory_hotplug.c online_pages (3.4)."""
    onlined_pages = [0]
    yield from k.fn.lock_memory_hotplug(k)
    arg = MemoryNotify(pfn, nr_pages, -1, None)
    nid = k.fn.page_to_nid(k, pfn)
    if k.fn.node_present_pages(k, nid) == 0:
        arg.status_change_nid = nid

    ret = yield from k.fn.memory_notify(k, MEM_GOING_ONLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if ret:
        yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
        yield from k.fn.unlock_memory_hotplug(k)
        return ret

    zone = k.fn.page_zone(k, pfn)
    assert zone is not None
    # mutex_lock(&zonelists_mutex); need_zonelists_rebuild = !populated_zone(zone)
    ret = k.fn.walk_system_ram_range(k, pfn, nr_pages, onlined_pages, k.fn.online_pages_range)
    if ret:
        # mutex_unlock(&zonelists_mutex); printk "online_pages ... failed"
        yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
        yield from k.fn.unlock_memory_hotplug(k)
        return ret

    zone.present_pages += onlined_pages[0]
    k.node_data[zone.nid].node_present_pages += onlined_pages[0]
    # build_all_zonelists / zone_pcp_update; mutex_unlock(&zonelists_mutex);
    # init_per_zone_wmark_min()
    if onlined_pages[0]:
        # kswapd_run(zone_to_nid(zone))
        k.fn.node_set_state(k, k.fn.zone_to_nid(zone), N_HIGH_MEMORY)
    yield Point("commit")
    # vm_total_pages = nr_free_pagecache_pages(); writeback_set_ratelimit()
    if onlined_pages[0]:
        yield from k.fn.memory_notify(k, MEM_ONLINE, arg)
    yield from k.fn.unlock_memory_hotplug(k)
    return 0


# --- offline --------------------------------------------------------------------------------------

def test_pages_in_a_zone(k: "Kernel", start_pfn: int, end_pfn: int) -> bool:
    """mm/memory_hotplug.c test_pages_in_a_zone: every valid page in one zone (of one node)."""
    zone: tuple[int, str | None] | None = None
    for ms in k.fn.present_sections(k, start_pfn, end_pfn):
        for r in ms.runs:
            if r.end <= start_pfn or r.start >= end_pfn:
                continue
            if zone is not None and (r.nid, r.zone) != zone:
                return False
            zone = (r.nid, r.zone)
    return True


def check_pages_isolated_cb(k: "Kernel", start_pfn: int, nr_pages: int, data: list[int]) -> int:
    """mm/memory_hotplug.c check_pages_isolated_cb."""
    ret = k.fn.test_pages_isolated(k, start_pfn, start_pfn + nr_pages)
    if not ret:
        data[0] += nr_pages
    return ret


def check_pages_isolated(k: "Kernel", start_pfn: int, end_pfn: int) -> int:
    """mm/memory_hotplug.c check_pages_isolated: over System RAM only; pages or -EBUSY."""
    offlined = [0]
    ret = k.fn.walk_system_ram_range(k, start_pfn, end_pfn - start_pfn, offlined,
                                     k.fn.check_pages_isolated_cb)
    if ret < 0:
        return ret
    return offlined[0]


def offline_isolated_pages_cb(k: "Kernel", start: int, nr_pages: int, data: object) -> int:
    """mm/memory_hotplug.c offline_isolated_pages_cb."""
    k.fn.__offline_isolated_pages(k, start, start + nr_pages)
    return 0


def offline_isolated_pages(k: "Kernel", start_pfn: int, end_pfn: int) -> None:
    """mm/memory_hotplug.c offline_isolated_pages."""
    k.fn.walk_system_ram_range(k, start_pfn, end_pfn - start_pfn, None,
                               k.fn.offline_isolated_pages_cb)


def offline_pages(k: "Kernel", start_pfn: int, end_pfn: int, timeout: int) -> Gen:
    """mm/memory_hotplug.c offline_pages (3.4)."""
    BUG_ON(start_pfn >= end_pfn, "offline_pages of an empty or reversed range")
    # IS_ALIGNED(start_pfn / end_pfn, pageblock_nr_pages): blocks always are
    if not k.fn.test_pages_in_a_zone(k, start_pfn, end_pfn):
        return -EINVAL

    yield from k.fn.lock_memory_hotplug(k)

    first = k.fn.present_sections(k, start_pfn, end_pfn)[0]  # a missing first section: B6
    zone = k.fn.page_zone(k, first.nr * k.PAGES_PER_SECTION)
    assert zone is not None
    node = k.fn.zone_to_nid(zone)
    nr_pages = end_pfn - start_pfn

    ret = k.fn.start_isolate_page_range(k, start_pfn, end_pfn)
    if ret:
        yield from k.fn.unlock_memory_hotplug(k)  # goto out
        return ret

    arg = MemoryNotify(start_pfn, nr_pages, -1, None)
    if nr_pages >= k.fn.node_present_pages(k, node):
        arg.status_change_nid = node

    ret = yield from k.fn.memory_notify(k, MEM_GOING_OFFLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if not ret:
        # repeat: ... expire = jiffies + timeout; retry_max = 5; drain; scan_lru_pages;
        # do_migrate_range; then check_pages_isolated (one outcome, a choice)
        isolated = k.fn.check_pages_isolated(k, start_pfn, end_pfn) >= 0
        ret = k.fn.offline_pages_outcome(k, isolated, timeout)
        if not ret:
            offlined_pages = k.fn.check_pages_isolated(k, start_pfn, end_pfn)
            if offlined_pages < 0:
                ret = -EBUSY
        if ret:
            yield Point("migrate_failed")
        else:
            k.fn.offline_isolated_pages(k, start_pfn, end_pfn)
            k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
            zone.present_pages -= offlined_pages
            k.node_data[zone.nid].node_present_pages -= offlined_pages
            # totalram_pages -= offlined_pages; init_per_zone_wmark_min()
            if not k.fn.node_present_pages(k, node):
                k.fn.node_clear_state(k, node, N_HIGH_MEMORY)
                # kswapd_stop(node)
            yield Point("commit")
            # vm_total_pages = ...; writeback_set_ratelimit()
            yield from k.fn.memory_notify(k, MEM_OFFLINE, arg)
            yield from k.fn.unlock_memory_hotplug(k)
            return 0

    # failed_removal: printk "memory offlining %lx to %lx failed"
    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)
    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
    # out:
    yield from k.fn.unlock_memory_hotplug(k)
    return ret


def remove_memory(k: "Kernel", start: int, size: int) -> Gen:
    """mm/memory_hotplug.c remove_memory (3.4): only offline_pages(..., 120 * HZ)."""
    start_pfn = start >> PAGE_SHIFT
    end_pfn = start_pfn + (size >> PAGE_SHIFT)
    ret = yield from k.fn.offline_pages(k, start_pfn, end_pfn, 120 * HZ)
    return ret


# --- hot-add --------------------------------------------------------------------------------------

def register_memory_resource(k: "Kernel", start: int, size: int) -> Resource | None:
    """mm/memory_hotplug.c register_memory_resource: "System RAM", busy; None on conflict.
    (The firmware range is the block's System RAM: a hole at its end is not part of it.)"""
    start_pfn = start >> PAGE_SHIFT
    res = Resource(start_pfn, start_pfn + (size >> PAGE_SHIFT), "System RAM")
    if k.fn.request_resource_conflict(k, res) is not None:
        return None
    return res


def hotadd_new_pgdat(k: "Kernel", nid: int, start: int) -> PglistData:
    """mm/memory_hotplug.c hotadd_new_pgdat: arch_alloc_nodedata + free_area_init_node."""
    pgdat = PglistData(nid, 0, {z: Zone(z, nid) for z in ZONE_NAMES})
    k.node_data[nid] = pgdat
    return pgdat


def sparse_add_one_section(k: "Kernel", zone: Zone, start_pfn: int) -> int:
    """mm/sparse.c sparse_add_one_section: allocate the memmap, mark the section present."""
    nr = k.fn.pfn_to_section_nr(k, start_pfn)
    ms = k.mem_sections[nr]
    if ms.present:
        return -EEXIST
    ms.present = True
    ms.runs = [PageRun(start_pfn, start_pfn + k.PAGES_PER_SECTION, zone.nid, None)]
    return 0


def __add_zone(k: "Kernel", zone: Zone, phys_start_pfn: int) -> int:
    """mm/memory_hotplug.c __add_zone: grow the zone and pgdat spans, memmap_init_zone
    (MEMMAP_HOTPLUG: pages PG_reserved, pageblocks MIGRATE_MOVABLE)."""
    k.fn.set_page_links(k, phys_start_pfn, k.PAGES_PER_SECTION, zone.nid, zone.name)
    ms = k.mem_sections[k.fn.pfn_to_section_nr(k, phys_start_pfn)]
    ms.reserved = True
    ms.isolate = False
    return 0


def __add_section(k: "Kernel", nid: int, zone: Zone, phys_start_pfn: int) -> int:
    """mm/memory_hotplug.c __add_section."""
    if k.fn.pfn_valid(k, phys_start_pfn):
        return -EEXIST
    ret = k.fn.sparse_add_one_section(k, zone, phys_start_pfn)
    if ret < 0:
        return ret
    k.fn.__add_zone(k, zone, phys_start_pfn)
    return k.fn.register_new_memory(k, nid, k.fn.pfn_to_section_nr(k, phys_start_pfn))


def __add_pages(k: "Kernel", nid: int, zone: Zone, phys_start_pfn: int, nr_pages: int) -> int:
    """mm/memory_hotplug.c __add_pages: section by section (sections the firmware range lacks
    are skipped)."""
    err = 0
    start_sec = k.fn.pfn_to_section_nr(k, phys_start_pfn)
    end_sec = k.fn.pfn_to_section_nr(k, phys_start_pfn + nr_pages - 1)
    for i in range(start_sec, end_sec + 1):
        if i not in k.mem_sections:
            continue
        err = k.fn.__add_section(k, nid, zone, i * k.PAGES_PER_SECTION)
        if err and err != -EEXIST:
            break
    return err


def arch_add_memory(k: "Kernel", nid: int, start: int, size: int) -> int:
    """arch/x86/mm/init_64.c arch_add_memory: everything goes to ZONE_NORMAL."""
    pgdat = k.node_data[nid]
    zone = pgdat.node_zones["Normal"]
    start_pfn = start >> PAGE_SHIFT
    nr_pages = size >> PAGE_SHIFT
    # init_memory_mapping(start, start + size)
    return k.fn.__add_pages(k, nid, zone, start_pfn, nr_pages)


def add_memory(k: "Kernel", nid: int, start: int, size: int) -> Gen:
    """mm/memory_hotplug.c add_memory (3.4)."""
    new_pgdat = False
    yield from k.fn.lock_memory_hotplug(k)
    res = k.fn.register_memory_resource(k, start, size)
    ret = -EEXIST
    if res is not None:
        if not k.fn.node_online(k, nid):
            k.fn.hotadd_new_pgdat(k, nid, start)
            new_pgdat = True
        ret = k.fn.arch_add_memory(k, nid, start, size)
        if ret >= 0:
            ret = 0
            # we online node here. we can't roll back from here.
            k.fn.node_set_online(k, nid)
            if new_pgdat:
                k.fn.register_one_node(k, nid)
            # firmware_map_add_hotplug(start, start + size, "System RAM")
    yield from k.fn.unlock_memory_hotplug(k, point=False)  # the last shared action (STEPS.md)
    return ret
