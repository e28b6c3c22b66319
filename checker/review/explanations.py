"""Why a profile shows a finding: the C code path behind each known violation of the seed.

Keys are (profile, invariant, cause prefix); the longest matching prefix wins. A profile with no
entry of its own borrows the entry of the profile whose code path it runs for that invariant
(SAME_PATH_AS) and says so. A finding with neither is explained by its invariant's promise and
flagged as unexplained.
"""

from __future__ import annotations

from types import MappingProxyType

from spec.invariants import BUG_POINT, BY_NAME, KERNEL_BUG

_STOP = ("kernel/notifier.c notifier_call_chain() stops the chain when a callback returns "
         "NOTIFY_STOP (here `tier`), and notifier_to_errno(NOTIFY_STOP) is 0, so {fn}() carries on "
         "as if every callback had agreed; the closing memory_notify({ev}) is a fresh call of the "
         "whole chain, so `inject`, which never saw {going}, receives {ev}. memory-hotplug.txt's protocol "
         "(section 8) assumes every callback sees the GOING event first.")

_EJECT34 = ("3.4 ACPI eject: acpi_memory_device_remove() -> acpi_memory_disable_device() -> "
            "remove_memory() -> offline_pages() (mm/memory_hotplug.c) offlines the pages under "
            "mem_hotplug_mutex only: it neither takes the block's state_mutex nor updates "
            "mem->state, and 3.4 has no removal of memory block devices (memory-hotplug.txt section 7: "
            "\"Need more implementation yet\"; removal arrived with the 3.9 hot-remove series). "
            "After the eject the directory, its node links and a state of `online` remain for "
            "memory that is physically gone.")

_NAMES34 = ("drivers/base/memory.c (3.4) names the device memory<block id> and prints "
            "phys_index as start_section_nr / sections_per_block and end_phys_index as "
            "end_section_nr / sections_per_block, i.e. block ids. memory-hotplug.txt (section 4) promises "
            "section ids; with two sections per block the two differ.")

EXPLANATIONS: dict[tuple[str, str, str], str] = {
    ("v3.4", "notifier_protocol", "online:MEM_ONLINE"): _STOP.format(
        fn="online_pages", ev="MEM_ONLINE", going="MEM_GOING_ONLINE"),
    ("v3.4", "notifier_protocol", "offline:MEM_OFFLINE"): _STOP.format(
        fn="offline_pages", ev="MEM_OFFLINE", going="MEM_GOING_OFFLINE"),
    ("v6.1", "notifier_protocol", "online:MEM_ONLINE"): _STOP.format(
        fn="online_pages", ev="MEM_ONLINE", going="MEM_GOING_ONLINE"),
    ("v6.1", "notifier_protocol", "offline:MEM_OFFLINE"): _STOP.format(
        fn="offline_pages", ev="MEM_OFFLINE", going="MEM_GOING_OFFLINE"),
    ("v3.4", "alloc_cancel_offline", "offline:MEM_CANCEL_OFFLINE"): (
        "mm/memory_hotplug.c (3.4) offline_pages(), failed_removal: memory_notify("
        "MEM_CANCEL_OFFLINE) runs before undo_isolate_page_range(), so callbacks are told the "
        "memory is available again while its pageblocks are still MIGRATE_ISOLATE. 5.10 and 6.x "
        "undo the isolation first."),
    ("v3.4", "status_change_nid", "offline:MEM_GOING_OFFLINE"): (
        "mm/memory_hotplug.c (3.4) offline_pages() sets status_change_nid when nr_pages (the "
        "span) >= node_present_pages(node). The ACPI eject of a block that was never onlined "
        "runs offline_pages() on a node with no present pages, so MEM_GOING_OFFLINE announces "
        "that node losing its memory although it has none and keeps none (check_pages_isolated() "
        "then fails on the reserved pages: -EBUSY, MEM_CANCEL_OFFLINE)."),
    ("v3.4", "node_state_going", "offline:"): (
        "mm/memory_hotplug.c (3.4) offline_pages() sets status_change_nid when nr_pages (the "
        "span) >= node_present_pages(node), without looking at N_HIGH_MEMORY. The ACPI eject of "
        "a block that was never onlined runs offline_pages() on a node with no present pages: "
        "MEM_GOING_OFFLINE (and, when check_pages_isolated() fails on the reserved pages, "
        "MEM_CANCEL_OFFLINE) names a node whose N_HIGH_MEMORY is already clear, so the state "
        "the event says will be cleared was never set. The same code path as the "
        "status_change_nid finding, seen by a callback that reads the node state."),
    ("v3.4", "state_matches_memory", "state"): _EJECT34,
    ("v3.4", "remove_only_offline", "offline:eject"): _EJECT34,
    ("v3.4", "remove_only_offline", "hotremove:eject"): _EJECT34,
    ("v3.4", "sysfs_dirs", "dirs"): _EJECT34,
    ("v3.4", "sysfs_links", "dangling"): _EJECT34,
    ("v3.4", "sysfs_names", "names"): _NAMES34,
    ("v3.4", "sysfs_names", "phys_index"): _NAMES34,
    ("v3.4", "sysfs_end_phys_index", "end_phys_index"): _NAMES34,
    ("v3.8", "status_change_nid", "offline:MEM_GOING_OFFLINE:normal"): (
        "mm/memory_hotplug.c (3.8) offline_pages() -> node_states_check_changes_offline() sets "
        "status_change_nid_normal when the block is in a kernel zone and nr_pages >= the node's "
        "present pages in the zones up to ZONE_NORMAL. The ACPI eject of a block that was never "
        "onlined finds none present, so MEM_GOING_OFFLINE names a node whose N_NORMAL_MEMORY is "
        "already clear: the status_change_nid finding of 3.4, for the field 3.8 added."),
    ("v6.1", "sysfs_removable", "removable"): (
        "drivers/base/memory.c: since 53cdc1cb29e8 (v5.7) removable_show() always prints 1; "
        "memory-hotplug.txt promises 1 only when every section is removable, which a block holding "
        "unmovable pages is not."),
    ("v6.1", "sysfs_names", "names"): (
        "drivers/base/memory.c (6.1) still names the device memory<block id> "
        "(memory_block_id(): section number / sections_per_block) and phys_index_show() prints "
        "the block id, as 3.4 did. memory-hotplug.txt (section 4) promises the first section's id; with "
        "two sections per block the two differ."),
    ("v6.1", "rejected_write", "write:ret"): (
        "drivers/base/memory.c (6.1) state_store() sets mem->online_type before device_online(), "
        "which returns 1 for an online block without resetting it; the write fails with -EINVAL "
        "but the block's online type has changed (a later `online` write uses it)."),
}


#: (profile, invariant) -> the profile whose finding of that invariant runs the same code path
#: (the profile flags of spec/profiles.py say so); an entry of the profile's own wins, else the
#: borrowed one is shown, saying so. 4.15 still sends MEM_CANCEL_OFFLINE before undoing the
#: isolation, as 3.4 does, and has 6.1's sysfs code; removable always reads 1 only from 5.7.
_V34 = ("alloc_cancel_offline", "node_state_going", "notifier_protocol", "remove_only_offline",
        "state_matches_memory", "status_change_nid", "sysfs_dirs", "sysfs_end_phys_index",
        "sysfs_links", "sysfs_names")
_V61 = ("notifier_protocol", "rejected_write", "sysfs_names")
SAME_PATH_AS = MappingProxyType({
    **{("v3.8", inv): "v3.4" for inv in _V34},
    ("v4.15", "alloc_cancel_offline"): "v3.4",
    **{("v4.15", inv): "v6.1" for inv in _V61},
    **{("v5.6", inv): "v6.1" for inv in _V61},
    **{("v6.17", inv): "v6.1" for inv in (*_V61, "sysfs_removable")},
})


def _lookup(profile: str, invariant: str, cause: str) -> str | None:
    best = None
    for (p, inv, prefix), text in EXPLANATIONS.items():
        if p == profile and inv == invariant and cause.startswith(prefix):
            if best is None or len(prefix) > best[0]:
                best = (len(prefix), text)
    return best[1] if best else None


def explain(profile: str, invariant: str, cause: str) -> tuple[str, bool]:
    """The explanation and whether it is a known one."""
    if invariant == KERNEL_BUG:
        where = cause[len(BUG_POINT):] if cause.startswith(BUG_POINT) else cause
        return (f"The mirror reaches a modelled BUG() in {where}: the kernel would oops there "
                f"(the last step of the trace is the one that hits it). Not a promise of the "
                f"document: a kernel BUG is a finding of its own."), True
    own = _lookup(profile, invariant, cause)
    if own is not None:
        return own, True
    base = SAME_PATH_AS.get((profile, invariant))
    borrowed = _lookup(base, invariant, cause) if base else None
    if borrowed is not None:
        return f"As in {base}, whose code path the {profile} profile runs here: {borrowed}", True
    inv_obj = BY_NAME.get(invariant)
    promise = inv_obj.text if inv_obj else invariant
    return f"The profile breaks the promise: {promise}. No C code path is recorded for it yet.", False
