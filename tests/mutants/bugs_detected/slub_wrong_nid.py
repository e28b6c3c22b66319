"""Mutant (v3.4): SLUB's going-online callback sets up the wrong node.

mm/slub.c slab_mem_going_online_callback allocating ``kmem_cache_node`` for
``numa_node_id()`` (the node of the CPU running the hotplug, node 0) instead of
``marg->status_change_nid``: the new node's memory is allocatable but SLUB has no per-node
structures for it. Breaks **slub_structures**.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryNotify

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def numa_node_id(k: "Kernel") -> int:
    """include/linux/topology.h numa_node_id: the hotplug work runs on a CPU of node 0."""
    return 0


def slab_mem_going_online_callback(k: "Kernel", arg: MemoryNotify) -> int:
    """mm/slub.c slab_mem_going_online_callback: allocate s->node[nid] for every cache."""
    nid = arg.status_change_nid
    if nid < 0:
        return 0
    nid = k.fn.numa_node_id(k)  # MUTANT: the current CPU's node, not status_change_nid
    k.slub_nodes.add(nid)
    return 0
