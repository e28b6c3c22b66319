"""Mutant (v6.1): online_pages() sets the node's state before memory_notify(MEM_GOING_ONLINE).

mm/memory_hotplug.c online_pages with node_states_set_node() moved above the MEM_GOING_ONLINE
notification: a callback told status_change_nid=N at GOING_ONLINE (the node *will* get memory)
finds N_MEMORY already set, before any page of the block is online. Breaks **node_state_going**
(seed section 8: status_change_nid is set when N_HIGH_MEMORY of nodemask "is (will be) set").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_CANCEL_ONLINE, MEM_GOING_ONLINE, MEM_ONLINE, NUMA_NO_NODE
from spec.kernel.structs import Gen, MemoryNotify, Point, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def online_pages(k: "Kernel", pfn: int, nr_pages: int, zone: Zone) -> Gen:
    """mm/memory_hotplug.c online_pages (6.1)."""
    nid = k.fn.zone_to_nid(zone)
    # WARN_ON_ONCE alignment checks: blocks always pass; mem_hotplug_begin()
    k.fn.move_pfn_range_to_zone(k, zone, pfn, nr_pages)
    arg = MemoryNotify(pfn, nr_pages, NUMA_NO_NODE, NUMA_NO_NODE)
    k.fn.node_states_check_changes_online(k, nr_pages, zone, arg)

    k.fn.node_states_set_node(k, nid, arg)  # MUTANT: moved before MEM_GOING_ONLINE
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
    # build_all_zonelists if needed
    k.fn.undo_isolate_page_range(k, pfn, pfn + nr_pages)
    # shuffle_zone, init_per_zone_wmark_min, kswapd_run, kcompactd_run, writeback_set_ratelimit
    yield Point("commit")
    yield from k.fn.memory_notify(k, MEM_ONLINE, arg)
    return 0  # mem_hotplug_done()
