"""Catalogue B9 (facts.md section 7): offlining blocks with memory holes, before c5e79ef561b0.

Before 5.6, offline_pages() did not count the System RAM pages of the range, so a block with a
hole (memory1 of the default world: its last 32 MiB are not System RAM) could be offlined, and
the span, holes included, was taken off the zone's and node's present pages. Applied to the 6.1
mirror's offline_pages.
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
    # CATALOGUE B9: before c5e79ef561b0 a block with holes is not refused; the offline
    # accounts the whole span (nr_pages), holes included
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
