"""Mutant (v3.4): onlining memory on a memoryless node never sets N_HIGH_MEMORY.

mm/memory_hotplug.c online_pages converted to decide status_change_nid from the node state, as
later kernels do (``if (!node_state(nid, N_HIGH_MEMORY))``), but without the
``node_set_state(zone_to_nid(zone), N_HIGH_MEMORY)`` that has to go with it: node 1 gets present
pages and ``has_normal_memory`` never lists it. Every announcement stays consistent with the
(wrong) node state, so only the state itself is off. Breaks **node_state** (a node carries the
memory node state exactly when it has present pages). It runs on a world without callbacks
(tests/mutants/worlds/no-callbacks.toml): with one, the MEM_ONLINE that names node 1 while its
N_HIGH_MEMORY is clear breaks node_state_done first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_CANCEL_ONLINE, MEM_GOING_ONLINE, MEM_ONLINE
from spec.kernel.structs import Gen, MemoryNotify, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

N_HIGH_MEMORY = "N_HIGH_MEMORY"


def online_pages(k: "Kernel", pfn: int, nr_pages: int) -> Gen:
    """mm/memory_hotplug.c online_pages (3.4)."""
    onlined_pages = [0]
    yield from k.fn.lock_memory_hotplug(k)
    arg = MemoryNotify(pfn, nr_pages, -1, None)
    nid = k.fn.page_to_nid(k, pfn)
    if not k.fn.node_state(k, nid, N_HIGH_MEMORY):  # MUTANT: was !node_present_pages(nid)
        arg.status_change_nid = nid

    ret = yield from k.fn.memory_notify(k, MEM_GOING_ONLINE, arg)
    ret = k.fn.notifier_to_errno(ret)
    if ret:
        yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
        yield from k.fn.unlock_memory_hotplug(k)
        return ret

    zone = k.fn.page_zone(k, pfn)
    assert zone is not None
    ret = k.fn.walk_system_ram_range(k, pfn, nr_pages, onlined_pages, k.fn.online_pages_range)
    if ret:
        yield from k.fn.memory_notify(k, MEM_CANCEL_ONLINE, arg)
        yield from k.fn.unlock_memory_hotplug(k)
        return ret

    zone.present_pages += onlined_pages[0]
    k.node_data[zone.nid].node_present_pages += onlined_pages[0]
    # MUTANT: if (onlined_pages) node_set_state(zone_to_nid(zone), N_HIGH_MEMORY); dropped
    yield Point("commit")
    if onlined_pages[0]:
        yield from k.fn.memory_notify(k, MEM_ONLINE, arg)
    yield from k.fn.unlock_memory_hotplug(k)
    return 0
