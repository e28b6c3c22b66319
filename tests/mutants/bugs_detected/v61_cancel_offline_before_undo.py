"""Mutant (v6.1): a failed offline sends MEM_CANCEL_OFFLINE before undoing the isolation.

mm/memory_hotplug.c offline_pages (6.1) with the 3.4 order at ``failed_removal_isolated:``:
memory_notify(MEM_CANCEL_OFFLINE) first, undo_isolate_page_range after, so the callbacks are told
the memory is back while its pageblocks are still MIGRATE_ISOLATE. Breaks **alloc_cancel_offline**
(seed section 8: at CANCEL_OFFLINE the memory is available again), which unmodified 6.1 keeps.
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
    system_ram_pages = [0]
    k.fn.walk_system_ram_range(k, start_pfn, nr_pages, system_ram_pages,
                               k.fn.count_system_ram_pages_cb)
    if system_ram_pages[0] != nr_pages:
        return -EINVAL  # reason = "memory holes"
    if k.fn.page_zone(k, start_pfn) is not zone or k.fn.page_zone(k, end_pfn - 1) is not zone:
        return -EINVAL  # reason = "multizone range"
    ret = k.fn.start_isolate_page_range(k, start_pfn, end_pfn)
    if ret:
        return ret  # reason = "failure to isolate range"

    arg = MemoryNotify(start_pfn, nr_pages, NUMA_NO_NODE, NUMA_NO_NODE)
    k.fn.node_states_check_changes_offline(k, nr_pages, zone, arg)

    ret = yield from k.fn.memory_notify(k, MEM_GOING_OFFLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if not ret:
        isolated = k.fn.test_pages_isolated(k, start_pfn, end_pfn) == 0
        ret = k.fn.offline_pages_outcome(k, isolated, 0)
        if ret:
            yield Point("migrate_failed")
        else:
            k.fn.__offline_isolated_pages(k, start_pfn, end_pfn)
            k.fn.adjust_present_page_count(k, start_pfn, -nr_pages)
            k.fn.node_states_clear_node(k, node, arg)
            yield Point("commit")
            yield from k.fn.memory_notify(k, MEM_OFFLINE, arg)
            k.fn.remove_pfn_range_from_zone(k, zone, start_pfn, nr_pages)
            return 0

    # failed_removal_isolated:
    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)  # MUTANT: before the undo
    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
    return ret
