"""The sentences of the seed each invariant checks, quoted word for word.

Models: nothing; this is the text a reader sees next to a verdict (``memhp invariants``, ``memhp
explain``, the HTML report, SARIF rules). Each quote is taken from Documentation/memory-hotplug.txt
as it stood in 3.4 (docs/memory-hotplug-3.2-to-3.4.diff: its context and added lines), and a test
checks that every quote still occurs there, whitespace aside. Where several sentences back one
invariant they are joined with " ... ".

Leaves out: the sections the 3.2 to 3.4 diff does not show in full (5.1, 5.2, 6.2); the invariants
citing them quote the sentences of sections 1.2 and 4 that say the same.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

_STATE = ("'state' : read-write at read: contains online/offline state of memory. at write: user "
          "can specify \"online\", \"offline\" command which will be performed on al sections in "
          "the block.")
_NID = ("status_change_nid is set node id when N_HIGH_MEMORY of nodemask is (will be) set/clear. "
        "It means a new(memoryless) node gets new memory by online and a node loses all memory.")

QUOTES: Mapping[str, str] = MappingProxyType({
    "state_strings": _STATE,
    "notifier_protocol": (
        "Memory hotplug has event notifer. There are 6 types of notification. ... "
        "MEMORY_CANCEL_ONLINE Generated if MEMORY_GOING_ONLINE fails. ... "
        "MEMORY_CANCEL_OFFLINE Generated if MEMORY_GOING_OFFLINE fails."),
    "chain_order": "A callback routine can be registered by hotplug_memory_notifier(callback_func, priority)",
    "alloc_going_online": (
        "MEMORY_GOING_ONLINE Generated before new memory becomes available in order to be able to "
        "prepare subsystems to handle memory. The page allocator is still unable to allocate from "
        "the new memory."),
    "alloc_online": ("MEMORY_ONLINE Generated when memory has successfully brought online. The "
                     "callback may allocate pages from the new memory."),
    "alloc_going_offline": (
        "MEMORY_GOING_OFFLINE Generated to begin the process of offlining memory. Allocations are "
        "no longer possible from the memory but some of the memory to be offlined is still in use."),
    "alloc_cancel_offline": ("MEMORY_CANCEL_OFFLINE Generated if MEMORY_GOING_OFFLINE fails. Memory "
                             "is available again from the section that we attempted to offline."),
    "node_state": _NID,
    "status_change_nid": _NID + " If this is -1, then nodemask status is not changed.",
    "node_state_going": ("status_change_nid is set node id when N_HIGH_MEMORY of nodemask is "
                         "(will be) set/clear."),
    "node_state_done": ("status_change_nid is set node id when N_HIGH_MEMORY of nodemask is "
                        "(will be) set/clear."),
    "slub_structures": ("If status_changed_nid >= 0, callback should create/discard structures for "
                        "the node if necessary."),
    "page_accounting": ("Amount of memory from user's view is changed by this phase. The kernel "
                        "makes all memory in it as free pages when a memory range is available."),
    "state_matches_memory": ("Logical Memory Hotplug phase is to change memory state into "
                             "available/unavailable for users. ... " + _STATE),
    "remove_only_offline": ("- Notification completion of remove works by OS to firmware. "
                            "- Guard from remove if not yet."),
    "rejected_write": _STATE,
    "sysfs_dirs": "NOTE: These directories/files appear after physical memory hotplug phase.",
    "sysfs_names": (
        "Now, XXX is defined as (start_address_of_section / section_size) of the first section "
        "contained in the memory block. ... 'phys_index' : read-only and contains section id of "
        "the first section in the memory block, same as XXX."),
    "sysfs_end_phys_index": ("'end_phys_index' : read-only and contains section id of the last "
                             "section in the memory block."),
    "sysfs_removable": (
        "A value of 1 indicates that the memory block is removable and a value of 0 indicates that "
        "it is not removable. A memory block is removable only if every section in the block is "
        "removable."),
    "sysfs_links": (
        "If CONFIG_NUMA is enabled the memoryXXX/ directories can also be accessed via symbolic "
        "links located in the /sys/devices/system/node/node* directories. ... A backlink will also "
        "be created:"),
})


def quote_of(name: str) -> str:
    """The seed's words behind invariant ``name`` ("" for a name with no quote)."""
    return QUOTES.get(name, "")


__all__ = ["QUOTES", "quote_of"]
