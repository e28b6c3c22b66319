"""The memory-management helpers both profiles share: SPARSEMEM sections and the memmap
(include/linux/mmzone.h, mm/sparse.c), iomem "System RAM" (kernel/resource.c), pageblock
isolation (mm/page_isolation.c), the buddy allocator's view of a range (mm/page_alloc.c),
node-state masks (include/linux/nodemask.h), and the offline retry loop's outcome.

Models: a section is present or not; its memmap is a list of page runs (node, zone); its System
RAM pages (those inside an iomem "System RAM" resource) are either PG_reserved (not in the
allocator) or free in the buddy allocator, and its pageblocks are MIGRATE_ISOLATE or not.
A page is allocatable when it is in the allocator and its pageblock is not isolated.

Leaves out: individual pages (a section's RAM pages move together), page orders and free lists,
LRU and page migration itself (its outcome is a choice, STEPS.md "Choices"), memory holes inside
a section other than at the end of a block, CONFIG_HOLES_IN_ZONE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spec.actions import EBUSY, EAGAIN, EINTR, FIRMWARE_THREAD
from spec.kernel.structs import MemSection, PageRun, Resource, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

# --- include/linux/mmzone.h, mm/sparse.c -------------------------------------------------


def section_nr_to_pfn(k: "Kernel", sec: int) -> int:
    return sec * k.PAGES_PER_SECTION


def pfn_to_section_nr(k: "Kernel", pfn: int) -> int:
    return pfn // k.PAGES_PER_SECTION


def __nr_to_section(k: "Kernel", nr: int) -> MemSection | None:
    return k.mem_sections.get(nr)


def pfn_valid(k: "Kernel", pfn: int) -> bool:
    """include/linux/mmzone.h pfn_valid (SPARSEMEM): the section is present with a memmap."""
    ms = k.mem_sections.get(pfn // k.PAGES_PER_SECTION)
    return ms is not None and ms.present


def present_sections(k: "Kernel", start_pfn: int, end_pfn: int) -> list[MemSection]:
    """The present sections that intersect [start_pfn, end_pfn), in pfn order."""
    out = []
    first = start_pfn // k.PAGES_PER_SECTION
    last = (end_pfn - 1) // k.PAGES_PER_SECTION
    for nr in range(first, last + 1):
        ms = k.mem_sections.get(nr)
        if ms is not None and ms.present:
            out.append(ms)
    return out


def page_run(k: "Kernel", pfn: int) -> PageRun | None:
    ms = k.mem_sections.get(pfn // k.PAGES_PER_SECTION)
    if ms is None or not ms.present:
        return None
    for r in ms.runs:
        if r.start <= pfn < r.end:
            return r
    return None


def page_to_nid(k: "Kernel", pfn: int) -> int:
    """include/linux/mm.h page_to_nid(pfn_to_page(pfn)); -1 where there is no memmap."""
    r = k.fn.page_run(k, pfn)
    return r.nid if r is not None else -1


def page_zone(k: "Kernel", pfn: int) -> Zone | None:
    """include/linux/mm.h page_zone(pfn_to_page(pfn)); None where no zone is linked."""
    r = k.fn.page_run(k, pfn)
    if r is None or r.zone is None:
        return None
    return k.node_data[r.nid].node_zones[r.zone]


def zone_to_nid(zone: Zone) -> int:
    return zone.nid


def node_present_pages(k: "Kernel", nid: int) -> int:
    """include/linux/mmzone.h node_present_pages(nid) (0 for a node without a pgdat)."""
    pgdat = k.node_data.get(nid)
    return pgdat.node_present_pages if pgdat is not None else 0


def populated_zone(zone: Zone) -> bool:
    return zone.present_pages != 0


def zone_span(k: "Kernel", zone: Zone) -> tuple[int, int] | None:
    """zone->zone_start_pfn and zone_end_pfn(): kept equal to the hull of the pages linked to
    the zone, as resize_zone_range() and shrink_zone_span() maintain it; None if empty."""
    lo: int | None = None
    hi = 0
    for ms in k.mem_sections.values():
        if not ms.present:
            continue
        for r in ms.runs:
            if r.nid == zone.nid and r.zone == zone.name:
                lo = r.start if lo is None else min(lo, r.start)
                hi = max(hi, r.end)
    return None if lo is None else (lo, hi)


def zone_intersects(k: "Kernel", zone: Zone, start_pfn: int, nr_pages: int) -> bool:
    """include/linux/mmzone.h zone_intersects."""
    span = k.fn.zone_span(k, zone)
    if span is None:  # zone_is_empty
        return False
    if start_pfn >= span[1] or start_pfn + nr_pages <= span[0]:
        return False
    return True


def set_page_links(k: "Kernel", start_pfn: int, nr_pages: int, nid: int, zone: str | None) -> None:
    """mm/page_alloc.c memmap_init_range / set_page_links (zone None: page_init_poison)."""
    end = start_pfn + nr_pages
    for ms in k.fn.present_sections(k, start_pfn, end):
        s0 = ms.nr * k.PAGES_PER_SECTION
        lo, hi = max(start_pfn, s0), min(end, s0 + k.PAGES_PER_SECTION)
        runs: list[PageRun] = []
        for r in ms.runs:
            if r.end <= lo or r.start >= hi:
                runs.append(r)
                continue
            if r.start < lo:
                runs.append(PageRun(r.start, lo, r.nid, r.zone))
            if r.end > hi:
                runs.append(PageRun(hi, r.end, r.nid, r.zone))
        runs.append(PageRun(lo, hi, nid, zone))
        runs.sort(key=lambda r: r.start)
        ms.runs = runs


# --- kernel/resource.c --------------------------------------------------------------------


def walk_system_ram_range(k: "Kernel", start_pfn: int, nr_pages: int, arg: Any,
                          func: Callable[..., int]) -> int:
    """kernel/resource.c walk_system_ram_range: ``func(k, pfn, nr, arg)`` per System RAM run;
    -1 when no System RAM intersects the range."""
    end = start_pfn + nr_pages
    ret = -1
    for res in sorted(k.iomem, key=lambda r: r.start):
        if res.name != "System RAM" or res.end <= start_pfn or res.start >= end:
            continue
        lo, hi = max(res.start, start_pfn), min(res.end, end)
        ret = func(k, lo, hi - lo, arg)
        if ret:
            break
    return ret


def request_resource_conflict(k: "Kernel", new: Resource) -> Resource | None:
    """kernel/resource.c request_resource_conflict: the busy resource it overlaps, or None."""
    for res in k.iomem:
        if res.start < new.end and new.start < res.end:
            return res
    k.iomem.append(new)
    return None


def release_mem_region(k: "Kernel", start_pfn: int, end_pfn: int) -> None:
    """kernel/resource.c release_mem_region_adjustable (whole resources inside the range)."""
    k.iomem[:] = [r for r in k.iomem if not (start_pfn <= r.start and r.end <= end_pfn)]


def _count_ram(k: "Kernel", pfn: int, nr: int, arg: list[int]) -> int:
    arg[0] += nr
    return 0


def section_ram_pages(k: "Kernel", ms: MemSection) -> int:
    """System RAM pages of a section (its pages outside System RAM are memory holes)."""
    n = [0]
    k.fn.walk_system_ram_range(k, ms.nr * k.PAGES_PER_SECTION, k.PAGES_PER_SECTION, n, _count_ram)
    return n[0]


# --- mm/page_alloc.c, mm/page_isolation.c ---------------------------------------------------


def range_allocatable(k: "Kernel", start_pfn: int, nr_pages: int) -> bool:
    """Could the page allocator hand out a page of the range now (in the buddy allocator,
    pageblock not MIGRATE_ISOLATE)?"""
    for ms in k.fn.present_sections(k, start_pfn, start_pfn + nr_pages):
        if not ms.reserved and not ms.isolate and k.fn.section_ram_pages(k, ms) > 0:
            return True
    return False


def start_isolate_page_range(k: "Kernel", start_pfn: int, end_pfn: int) -> int:
    """mm/page_isolation.c start_isolate_page_range: set_migratetype_isolate per pageblock;
    -EBUSY if a pageblock holds unmovable pages (then undo what was isolated)."""
    done: list[MemSection] = []
    for ms in k.fn.present_sections(k, start_pfn, end_pfn):
        if ms.unmovable:
            for d in done:
                d.isolate = False
            return -EBUSY
        ms.isolate = True
        done.append(ms)
    return 0


def undo_isolate_page_range(k: "Kernel", start_pfn: int, end_pfn: int) -> int:
    """mm/page_isolation.c undo_isolate_page_range: pageblocks back to MIGRATE_MOVABLE."""
    for ms in k.fn.present_sections(k, start_pfn, end_pfn):
        ms.isolate = False
    return 0


def test_pages_isolated(k: "Kernel", start_pfn: int, end_pfn: int) -> int:
    """mm/page_isolation.c test_pages_isolated: every pageblock isolated and every page free in
    the allocator (a PG_reserved page fails it); 0 or -EBUSY."""
    for ms in k.fn.present_sections(k, start_pfn, end_pfn):
        if not ms.isolate or ms.reserved:
            return -EBUSY
    return 0


def __offline_isolated_pages(k: "Kernel", start_pfn: int, end_pfn: int) -> None:
    """mm/page_alloc.c __offline_isolated_pages: take the free isolated pages out of the buddy
    allocator (3.4 also sets PG_reserved on them)."""
    for ms in k.fn.present_sections(k, start_pfn, end_pfn):
        ms.reserved = True


def offline_pages_outcome(k: "Kernel", isolated: bool, timeout: int) -> int:
    """The retry loop of offline_pages (mm/memory_hotplug.c ``repeat:``): timeout (-EAGAIN, only
    with a timeout), signal_pending (-EINTR, not on kernel threads), scan/do_migrate_range with
    retry_max (-EBUSY), check_pages_isolated; collapsed into one outcome taken as a choice with
    the options of STEPS.md "Choices". ``isolated``: check_pages_isolated() would pass (the
    pages were online when isolation started). Returns 0 or the -errno it gave up with."""
    allowed = k.world.migration
    options: list[str] = []
    if isolated and "ok" in allowed:
        options.append("ok")
    if "-EBUSY" in allowed or not isolated:
        options.append("-EBUSY")
    if k.current != FIRMWARE_THREAD and "-EINTR" in allowed:
        options.append("-EINTR")
    if timeout and "-EAGAIN" in allowed:
        options.append("-EAGAIN")
    outcome = k.decide("migration", options)
    return {"ok": 0, "-EBUSY": -EBUSY, "-EINTR": -EINTR, "-EAGAIN": -EAGAIN}[outcome]


# --- include/linux/nodemask.h ----------------------------------------------------------------


def node_state(k: "Kernel", node: int, state: str) -> bool:
    return node in k.node_states[state]


def node_set_state(k: "Kernel", node: int, state: str) -> None:
    k.node_states[state].add(node)


def node_clear_state(k: "Kernel", node: int, state: str) -> None:
    k.node_states[state].discard(node)


def node_online(k: "Kernel", nid: int) -> bool:
    return nid in k.node_states["N_ONLINE"]


def node_set_online(k: "Kernel", nid: int) -> None:
    k.node_states["N_ONLINE"].add(nid)


def node_set_offline(k: "Kernel", nid: int) -> None:
    k.node_states["N_ONLINE"].discard(nid)
