"""Mutant (v6.1): try_offline_node() forgets the memory blocks that are not in a zone.

mm/memory_hotplug.c try_offline_node without the for_each_memory_block() walk
(check_no_memblock_for_node_cb): only memory in a zone (node_spanned_pages) keeps the node. A
hot-added block that was never onlined is in no zone, so ejecting the node's other block takes
the node offline under it: ``memoryXXX/nodeN`` then points to a node directory that is gone.
This is what 3.10 to 5.4 did, whose check walked only the node's span
(2c91f8fc6c99 "mm/memory_hotplug: fix try_offline_node()"). Breaks **sysfs_links** (no link
to a missing node), which 6.1 keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def try_offline_node(k: "Kernel", nid: int) -> None:
    """mm/memory_hotplug.c try_offline_node."""
    for ms in k.mem_sections.values():
        if ms.present and any(r.nid == nid and r.zone is not None for r in ms.runs):
            return  # node_spanned_pages(nid)
    # MUTANT: for_each_memory_block(&nid, check_no_memblock_for_node_cb) dropped
    if k.world.nodes[nid].cpus:  # check_cpu_on_node
        return
    k.fn.node_set_offline(k, nid)
    k.fn.unregister_one_node(k, nid)
