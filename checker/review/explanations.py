"""Why a profile shows a finding: the C code path behind each known violation of the seed.

Keys are (profile, invariant, cause prefix); the longest matching prefix wins. A finding with no
entry is explained by its invariant's promise and flagged as unexplained in the report.
"""

from __future__ import annotations

from spec.invariants import BY_NAME

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


def explain(profile: str, invariant: str, cause: str) -> tuple[str, bool]:
    """The explanation and whether it is a known one."""
    best = None
    for (p, inv, prefix), text in EXPLANATIONS.items():
        if p == profile and inv == invariant and cause.startswith(prefix):
            if best is None or len(prefix) > best[0]:
                best = (len(prefix), text)
    if best:
        return best[1], True
    inv_obj = BY_NAME.get(invariant)
    promise = inv_obj.text if inv_obj else invariant
    return f"The profile breaks the promise: {promise}. No C code path is recorded for it yet.", False
