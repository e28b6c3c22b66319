"""Mutant (v3.4): MEM_GOING_OFFLINE is sent before the range is isolated.

mm/memory_hotplug.c offline_pages with start_isolate_page_range moved below the GOING_OFFLINE
chain: while the callbacks prepare, the allocator still hands out pages of the block. Breaks
**alloc_going_offline** (seed section 8: from GOING_OFFLINE on, no new allocation from the
block).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EBUSY, EINVAL, MEM_CANCEL_OFFLINE, MEM_GOING_OFFLINE, MEM_OFFLINE
from spec.kernel.structs import Gen, MemoryNotify, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

N_HIGH_MEMORY = "N_HIGH_MEMORY"


def offline_pages(k: "Kernel", start_pfn: int, end_pfn: int, timeout: int) -> Gen:
    """mm/memory_hotplug.c offline_pages (3.4)."""
    assert start_pfn < end_pfn  # BUG_ON
    if not k.fn.test_pages_in_a_zone(k, start_pfn, end_pfn):
        return -EINVAL

    yield from k.fn.lock_memory_hotplug(k)

    first = k.fn.present_sections(k, start_pfn, end_pfn)[0]
    zone = k.fn.page_zone(k, first.nr * k.PAGES_PER_SECTION)
    assert zone is not None
    node = k.fn.zone_to_nid(zone)
    nr_pages = end_pfn - start_pfn

    arg = MemoryNotify(start_pfn, nr_pages, -1, None)
    if nr_pages >= k.fn.node_present_pages(k, node):
        arg.status_change_nid = node

    # MUTANT: the chain runs before start_isolate_page_range
    ret = yield from k.fn.memory_notify(k, MEM_GOING_OFFLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if not ret:
        ret = k.fn.start_isolate_page_range(k, start_pfn, end_pfn)
        if ret:
            yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)
            yield from k.fn.unlock_memory_hotplug(k)  # goto out
            return ret
    if not ret:
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
            if not k.fn.node_present_pages(k, node):
                k.fn.node_clear_state(k, node, N_HIGH_MEMORY)
            yield Point("commit")
            yield from k.fn.memory_notify(k, MEM_OFFLINE, arg)
            yield from k.fn.unlock_memory_hotplug(k)
            return 0

    # failed_removal:
    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)
    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)
    # out:
    yield from k.fn.unlock_memory_hotplug(k)
    return ret
