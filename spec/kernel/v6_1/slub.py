"""mm/slub.c (6.1): SLUB's memory hotplug callback, slab_memory_callback (SLAB_CALLBACK_PRI 1).

Models: it reads ``status_change_nid_normal`` (SLUB keeps per-node structures only for nodes
with normal memory). MEM_GOING_ONLINE: for nid >= 0 allocate the kmem_cache_node of every cache
that lacks one and node_set(nid, slab_nodes); MEM_OFFLINE / MEM_CANCEL_ONLINE: for nid >= 0
node_clear(nid, slab_nodes) (6.1 no longer frees the kmem_cache_nodes); MEM_GOING_OFFLINE shrinks
(nothing to model); MEM_ONLINE / MEM_CANCEL_OFFLINE nothing. ``k.slub_nodes`` is slab_nodes.

Leaves out: the caches, slab_mutex, a failing allocation (-ENOMEM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (MEM_CANCEL_OFFLINE, MEM_CANCEL_ONLINE, MEM_GOING_OFFLINE,
                          MEM_GOING_ONLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_OK)
from spec.kernel.structs import MemoryNotify, NotifierBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def slab_mem_going_offline_callback(k: "Kernel", arg: MemoryNotify) -> int:
    """mm/slub.c slab_mem_going_offline_callback: __kmem_cache_do_shrink on every cache."""
    return 0


def slab_mem_offline_callback(k: "Kernel", arg: MemoryNotify) -> None:
    """mm/slub.c slab_mem_offline_callback (6.1)."""
    offline_node = arg.status_change_nid_normal
    if offline_node is None or offline_node < 0:
        return
    k.slub_nodes.discard(offline_node)  # node_clear(offline_node, slab_nodes)


def slab_mem_going_online_callback(k: "Kernel", arg: MemoryNotify) -> int:
    """mm/slub.c slab_mem_going_online_callback (6.1)."""
    nid = arg.status_change_nid_normal
    if nid is None or nid < 0:
        return 0
    k.slub_nodes.add(nid)  # kmem_cache_node for every cache; node_set(nid, slab_nodes)
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
