"""Catalogue B16 (facts.md section 7): MEM_CANCEL_OFFLINE before undo_isolate_page_range.

3.4 sent MEM_CANCEL_OFFLINE and then undid the isolation; 5.10 and 6.x undo it first. Applied to
the 6.1 mirror's offline_pages, the old order tells callbacks the memory is back while its
pageblocks are still MIGRATE_ISOLATE: seed section 8 promises that at CANCEL_OFFLINE "the memory
is available again" (invariant alloc_cancel_offline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EINVAL, MEM_CANCEL_OFFLINE, MEM_GOING_OFFLINE, MEM_OFFLINE, NUMA_NO_NODE
from spec.kernel.structs import Gen, MemoryNotify, Point, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


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

    # CATALOGUE B16: the order before failed_removal_isolated (3.4 and 4.x): tell the
    # callbacks first, then put the pageblocks back
    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)
    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
    # failed_removal_pcplists_disabled / failed_removal: mem_hotplug_done()
    return ret
