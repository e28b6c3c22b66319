"""Equivalent rewrite (v3.4): online_pages with one ``failed:`` exit, as later kernels spell it.

mm/memory_hotplug.c online_pages where both error paths (a callback refused GOING_ONLINE, the
RAM walk failed) ``goto failed_addition``, which sends MEM_CANCEL_ONLINE and unlocks. The same
steps in the same order: the lockstep run must pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_CANCEL_ONLINE, MEM_GOING_ONLINE, MEM_ONLINE
from spec.kernel.structs import Gen, MemoryNotify, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

N_HIGH_MEMORY = "N_HIGH_MEMORY"


def online_pages(k: "Kernel", pfn: int, nr_pages: int) -> Gen:
    """mm/memory_hotplug.c online_pages (3.4, single failure exit)."""
    onlined_pages = [0]
    yield from k.fn.lock_memory_hotplug(k)
    arg = MemoryNotify(pfn, nr_pages, -1, None)
    nid = k.fn.page_to_nid(k, pfn)
    if k.fn.node_present_pages(k, nid) == 0:
        arg.status_change_nid = nid

    ret = yield from k.fn.memory_notify(k, MEM_GOING_ONLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if not ret:
        zone = k.fn.page_zone(k, pfn)
        assert zone is not None
        ret = k.fn.walk_system_ram_range(k, pfn, nr_pages, onlined_pages,
                                         k.fn.online_pages_range)
        if not ret:
            zone.present_pages += onlined_pages[0]
            k.node_data[zone.nid].node_present_pages += onlined_pages[0]
            if onlined_pages[0]:
                k.fn.node_set_state(k, k.fn.zone_to_nid(zone), N_HIGH_MEMORY)
            yield Point("commit")
            if onlined_pages[0]:
                yield from k.fn.memory_notify(k, MEM_ONLINE, arg)
            yield from k.fn.unlock_memory_hotplug(k)
            return 0

    # failed_addition:
    yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
    yield from k.fn.unlock_memory_hotplug(k)
    return ret
