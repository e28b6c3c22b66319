"""mm/slub.c (3.4): SLUB's memory hotplug callback, slab_memory_callback (SLAB_CALLBACK_PRI 1).

Models: MEM_GOING_ONLINE allocates a kmem_cache_node for ``status_change_nid`` when it is >= 0
(allocation never fails here); MEM_GOING_OFFLINE shrinks the caches (nothing to model);
MEM_OFFLINE and MEM_CANCEL_ONLINE free the node's kmem_cache_nodes when status_change_nid >= 0;
MEM_ONLINE and MEM_CANCEL_OFFLINE do nothing. ``k.slub_nodes`` are the nodes that have them.

Leaves out: the individual caches (one set of nodes stands for every cache's s->node[]),
slub_lock, a failing kmem_cache_alloc (-ENOMEM), partial slabs on an offlined node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (MEM_CANCEL_OFFLINE, MEM_CANCEL_ONLINE, MEM_GOING_OFFLINE,
                          MEM_GOING_ONLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_OK)
from spec.kernel.structs import MemoryNotify, NotifierBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def slab_mem_going_offline_callback(k: "Kernel", arg: MemoryNotify) -> int:
    """mm/slub.c slab_mem_going_offline_callback: kmem_cache_shrink on every cache."""
    return 0


def slab_mem_offline_callback(k: "Kernel", arg: MemoryNotify) -> None:
    """mm/slub.c slab_mem_offline_callback: free s->node[offline_node] of every cache."""
    offline_node = arg.status_change_nid
    if offline_node < 0:
        return
    k.slub_nodes.discard(offline_node)


def slab_mem_going_online_callback(k: "Kernel", arg: MemoryNotify) -> int:
    """mm/slub.c slab_mem_going_online_callback: allocate s->node[nid] for every cache."""
    nid = arg.status_change_nid
    if nid < 0:
        return 0
    k.slub_nodes.add(nid)
    return 0


def slab_memory_callback(k: "Kernel", nb: NotifierBlock, action: int, arg: MemoryNotify) -> int:
    """mm/slub.c slab_memory_callback."""
    ret = 0
    if action == MEM_GOING_ONLINE:
        ret = k.fn.slab_mem_going_online_callback(k, arg)
    elif action == MEM_GOING_OFFLINE:
        ret = k.fn.slab_mem_going_offline_callback(k, arg)
    elif action in (MEM_OFFLINE, MEM_CANCEL_ONLINE):
        k.fn.slab_mem_offline_callback(k, arg)
    elif action in (MEM_ONLINE, MEM_CANCEL_OFFLINE):
        pass
    if ret:
        ret = k.fn.notifier_from_errno(ret)
    else:
        ret = NOTIFY_OK
    return ret
