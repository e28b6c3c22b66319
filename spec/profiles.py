"""Kernel-version profiles: data plus the few behaviours that differ (facts.md section 8).

Models: for each kernel version, how ``state`` (and ``online``) writes are parsed, which locks
serialise what, which node-state flags hotplug maintains and which ``memory_notify`` fields it
fills, whether MEM_ONLINE is gated on onlined pages, the offline limits, the order of
CANCEL_OFFLINE and undoing the page isolation, whether blocks with holes are refused, what
``removable`` and ``end_phys_index`` print, and what an ACPI eject does.

Profiles: v3.4 (the seed's kernel) and v6.1, and the rows of facts.md section 8 that a change
of section 7 needs: v3.8 (B1: N_MEMORY, status_change_nid_normal, online_kernel /
online_movable with the zone-edge rule), v4.15 (B5: no offline timeout), v5.6 (B9: blocks with
holes refused, the ``if (onlined_pages)`` gate gone) and v6.17 (B15: the NUMA node notifier).
Where a row's date is marked unverified in facts.md, the profile says which choice it makes in
its ``notes``.

Leaves out: CONFIG_HIGHMEM (every profile is 64-bit x86, where N_HIGH_MEMORY is
N_NORMAL_MEMORY), memmap_on_memory and MEM_PREPARE_ONLINE / MEM_FINISH_OFFLINE (6.9+, sent for
every online in those kernels but acted on only by s390), the 5.15 online policies, the 3.9
hot-remove series in v3.8 (its eject is 3.4's, so neither has try_offline_node(), 3.10+), the
try_offline_node() of 3.10 to 5.4 (v4.15 gets 5.5's checks: spec/steps/device.py), and the
kernel mirror of v3.8, v4.15, v5.6 and v6.17 (only the spec renders them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spec.errors import WorldError


@dataclass(frozen=True)
class Profile:
    name: str
    #: ``prefix``: 3.4 store_mem_state, strncmp(buf, "online", min(count, 6)) then "offline";
    #: ``streq``: mhp_online_type_from_str() with sysfs_streq (one trailing newline allowed).
    parse: str
    #: the generic ``online`` attribute (device core online/offline, 3.12+).
    online_file: bool
    #: online_kernel / online_movable understood (3.8+); in 3.4 they parse as "online".
    online_types: bool
    #: ``end_phys_index`` exists (3.4 to 3.15).
    end_phys_index: bool
    #: node-state flags hotplug maintains, as sysfs names them on 64-bit x86.
    node_flags: tuple[str, ...]
    #: ``struct memory_notify`` has ``status_change_nid_normal`` (3.8 to 6.16).
    nid_normal: bool
    #: lock model: ``state_mutex`` (3.4: per-block state_mutex + mem_hotplug_mutex) or
    #: ``device_hotplug`` (6.1: device_hotplug_lock around sysfs writes and ACPI add/remove).
    locks: str
    #: offline_pages() gives up with -EAGAIN after 120 s (before 4.15).
    offline_timeout: bool
    #: online_pages() sets node state and sends MEM_ONLINE only ``if (onlined_pages)`` (< 5.6).
    online_gated: bool
    #: blocks with memory holes are refused with -EINVAL (5.6+, c5e79ef561b0).
    holes_refused: bool
    #: failed offline: MEM_CANCEL_OFFLINE before undo_isolate_page_range() (3.4) or after (5.10+).
    cancel_before_undo: bool
    #: ``removable`` always reads 1 (5.7+, 53cdc1cb29e8).
    removable_always_one: bool
    #: a node with CPUs and no memory is online from boot (6.1) or only after hot-add (3.4 x86).
    memoryless_online_at_boot: bool
    #: ``offline_pages``: 3.4 remove_memory() only offlines the pages (no state_mutex, no
    #: device removal); ``offline_and_remove``: 6.1 ACPI eject offlines the blocks through the
    #: device core, then removes them (devices, links, sections, resource).
    hot_remove: str
    #: add_memory() onlines a new node before it registers the block devices, so the block is
    #: linked to every node of its range (4.x+ __try_online_node); 3.4 registers the block
    #: first (register_mem_sect_under_node() skips offline nodes), then node_set_online() and
    #: register_one_node() link every block of the new node.
    hotadd_node_online_first: bool
    #: the zone hot-added memory joins: fixed at hot-add (3.4: ZONE_NORMAL) or None (chosen at
    #: online by the online type, 4.13+).
    hotadd_zone: str | None
    #: 3.4 memory_block_action: pages_correctly_reserved() before online_pages() (-EBUSY).
    pages_correctly_reserved: bool
    #: which memory_notify field SLUB's callback reads.
    slub_nid_field: str
    #: one line per difference, for reports.
    notes: tuple[str, ...] = ()
    #: 3.8-4.12 online_pages(): online_kernel / online_movable move the block to the adjacent
    #: zone if it sits at that zone's edge (move_pfn_range_left/right), else -1 (-EPERM).
    zone_shift: bool = False
    #: ``struct memory_notify`` carries status_change_nid (gone in 6.17: memhp reports -1).
    memory_notify_nids: bool = True
    #: the NUMA node notifier chain (6.17, e4e2806b639c): NODE_* events; SLUB listens there.
    node_chain: bool = False
    #: the removing eject ends with try_offline_node() (3.10+, 60a5a19e7419): a node left with
    #: no memory in a zone, no memory block device and no CPU goes offline and loses its
    #: ``node<N>`` directory. Read only where ``hot_remove`` is ``offline_and_remove``.
    try_offline_node: bool = False


V3_4 = Profile(
    name="v3.4",
    parse="prefix",
    online_file=False,
    online_types=False,
    end_phys_index=True,
    node_flags=("N_HIGH_MEMORY",),
    nid_normal=False,
    locks="state_mutex",
    offline_timeout=True,
    online_gated=True,
    holes_refused=False,
    cancel_before_undo=True,
    removable_always_one=False,
    memoryless_online_at_boot=False,
    hot_remove="offline_pages",
    hotadd_node_online_first=False,
    hotadd_zone="Normal",
    pages_correctly_reserved=True,
    slub_nid_field="status_change_nid",
    notes=(
        "store_mem_state parses by prefix: 'o', 'online_movable' and 'online_kernel' mean online",
        "names, phys_index and end_phys_index print the block id (drivers/base/memory.c 3.4)",
        "offline_pages: 120 s timeout (-EAGAIN), signal (-EINTR), CANCEL_OFFLINE before undo",
        "ACPI eject: remove_memory() -> offline_pages() without state_mutex; devices stay",
    ),
)

V6_1 = Profile(
    name="v6.1",
    parse="streq",
    online_file=True,
    online_types=True,
    end_phys_index=False,
    node_flags=("N_MEMORY", "N_NORMAL_MEMORY"),
    nid_normal=True,
    locks="device_hotplug",
    offline_timeout=False,
    online_gated=False,
    holes_refused=True,
    cancel_before_undo=False,
    removable_always_one=True,
    memoryless_online_at_boot=True,
    hot_remove="offline_and_remove",
    hotadd_node_online_first=True,
    hotadd_zone=None,
    pages_correctly_reserved=False,
    slub_nid_field="status_change_nid_normal",
    try_offline_node=True,
    notes=(
        "state_store: sysfs_streq parsing, online_kernel / online_movable, generic online file",
        "N_MEMORY and N_NORMAL_MEMORY; status_change_nid and status_change_nid_normal",
        "offline_pages: no timeout; blocks with holes refused; undo isolation, then CANCEL",
        "ACPI eject offlines the blocks through the device core, then removes them; "
        "try_offline_node() then takes a node left without memory and CPUs offline",
    ),
)

V3_8 = replace(
    V3_4, name="v3.8", online_types=True, node_flags=("N_MEMORY", "N_NORMAL_MEMORY"),
    nid_normal=True, slub_nid_field="status_change_nid_normal", zone_shift=True,
    notes=(
        "B1 (Lai Jiangshan, 3.8): N_MEMORY; status_change_nid is the N_MEMORY change, "
        "status_change_nid_normal added; SLUB reads the latter",
        "store_mem_state: strncmp prefixes online_kernel (13), online_movable (14), online (6), "
        "offline (7), in that order: a write of exactly 'online' or 'o' matches online_kernel",
        "online_kernel / online_movable move the block to the adjacent zone only at that zone's "
        "edge (move_pfn_range_left/right), else online_pages returns -1 (-EPERM), no event",
        "node_states_set_node() only if (onlined_pages), and it sets N_MEMORY unconditionally",
        "locks, offline timeout, CANCEL before undo, eject: as v3.4 (the 3.9 hot-remove series "
        "is left out)",
    ),
)

V4_15 = replace(
    V6_1, name="v4.15", online_gated=True, holes_refused=False, cancel_before_undo=True,
    removable_always_one=False,
    notes=(
        "B5 (72b39cfc4d75, ecde0f3e7f9e): offline_pages has no timeout and no retry_max: "
        "only a signal (-EINTR) or a hard failure ends it",
        "online_pages: node_states_set_node() and MEM_ONLINE only if (onlined_pages)",
        "blocks with holes are accepted (offline counts the span, holes included)",
        "failed offline: MEM_CANCEL_OFFLINE, then undo_isolate_page_range() (the order before "
        "the failed_removal_isolated label; facts.md marks the date unverified)",
        "removable: the per-pageblock heuristic (constant 1 only from 5.7)",
        "zones chosen at online (4.13+), sysfs_streq parsing, the online file, device_hotplug_lock: "
        "as v6.1 (dates unverified in facts.md)",
        "try_offline_node() after an eject with 5.5's checks (2c91f8fc6c99); 4.15's walked the "
        "node's span only and missed blocks never onlined (left out)",
    ),
)

V5_6 = replace(
    V6_1, name="v5.6", removable_always_one=False,
    notes=(
        "B9 (c5e79ef561b0): offline of a block with holes is refused with -EINVAL; "
        "the if (onlined_pages) gate is gone",
        "failed offline: undo_isolate_page_range(), then MEM_CANCEL_OFFLINE",
        "removable: the per-pageblock heuristic (constant 1 only from 5.7, 53cdc1cb29e8)",
    ),
)

V6_17 = replace(
    V6_1, name="v6.17", nid_normal=False, memory_notify_nids=False, node_chain=True,
    slub_nid_field="node_notify.nid",
    notes=(
        "B15 (e4e2806b639c): the NUMA node notifier: NODE_ADDING_FIRST_MEMORY before "
        "MEM_GOING_ONLINE, NODE_ADDED_FIRST_MEMORY before MEM_ONLINE, "
        "NODE_REMOVING_LAST_MEMORY before MEM_GOING_OFFLINE, NODE_REMOVED_LAST_MEMORY before "
        "MEM_OFFLINE; on failure MEM_CANCEL_* first, then NODE_CANCEL_*",
        "struct memory_notify has neither status_change_nid nor status_change_nid_normal "
        "(reported as -1); node states are set and cleared directly",
        "SLUB listens on the node chain (node_notify.nid) and keeps structures for every node "
        "with memory",
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (V3_4, V3_8, V4_15, V5_6, V6_1, V6_17)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise WorldError(f"unknown profile {name!r} (expected one of {', '.join(PROFILES)})") from None
