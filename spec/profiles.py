"""Kernel-version profiles: data plus the few behaviours that differ (facts.md section 8).

Models: for each kernel version, how ``state`` (and ``online``) writes are parsed, which locks
serialise what, which node-state flags hotplug maintains and which ``memory_notify`` fields it
fills, whether MEM_ONLINE is gated on onlined pages, the offline limits, the order of
CANCEL_OFFLINE and undoing the page isolation, whether blocks with holes are refused, what
``removable`` and ``end_phys_index`` print, and what an ACPI eject does.

Leaves out: CONFIG_HIGHMEM (every profile is 64-bit x86, where N_HIGH_MEMORY is
N_NORMAL_MEMORY), memmap_on_memory, the 5.15 online policies, and the 6.17 node notifier
(a later profile).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    #: the zone hot-added memory joins: fixed at hot-add (3.4: ZONE_NORMAL) or None (chosen at
    #: online by the online type, 4.13+).
    hotadd_zone: str | None
    #: 3.4 memory_block_action: pages_correctly_reserved() before online_pages() (-EBUSY).
    pages_correctly_reserved: bool
    #: which memory_notify field SLUB's callback reads.
    slub_nid_field: str
    #: one line per difference, for reports.
    notes: tuple[str, ...] = ()


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
    hotadd_zone=None,
    pages_correctly_reserved=False,
    slub_nid_field="status_change_nid_normal",
    notes=(
        "state_store: sysfs_streq parsing, online_kernel / online_movable, generic online file",
        "N_MEMORY and N_NORMAL_MEMORY; status_change_nid and status_change_nid_normal",
        "offline_pages: no timeout; blocks with holes refused; undo isolation, then CANCEL",
        "ACPI eject offlines the blocks through the device core, then removes them",
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (V3_4, V6_1)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise WorldError(f"unknown profile {name!r} (expected one of {', '.join(PROFILES)})") from None
