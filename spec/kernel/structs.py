"""The kernel data structures the mirror keeps, as plain mutable records.

Models (each record names its C struct): ``struct mem_section`` with its memmap reduced to page
runs (``struct page`` flags: node and zone links, PG_reserved, the pageblock migratetype), ``struct
memory_block`` (with its embedded ``struct device``'s ``offline`` flag), ``struct zone`` and
``struct pglist_data`` (present pages), iomem ``struct resource``, ``struct notifier_block``,
``struct memory_notify``, the ACPI memory device, and the points a thread's generator yields.

Leaves out: per-page state (all System RAM pages of one section share PG_reserved and the
pageblock migratetype, as the operations move whole sections), page counts, LRU lists, the buddy
free lists, zone watermarks and zonelists, per-cpu pagesets, kobjects and uevents.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

from spec.actions import NotifierCall

_T = TypeVar("_T")


def _pickled(cls: type[_T]) -> type[_T]:
    """Pickle the record as its constructor's arguments, read by one C attrgetter: a slotted
    dataclass's own pickling walks its fields in Python, and Kernel.snapshot pickles every
    record of the kernel."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    get = attrgetter(*names)
    if len(names) == 1:
        def __reduce__(self: Any) -> tuple[Any, ...]:
            return cls, (get(self),)
    else:
        def __reduce__(self: Any) -> tuple[Any, ...]:
            return cls, get(self)
    cls.__reduce__ = __reduce__  # type: ignore[method-assign, assignment]
    return cls


@_pickled
@dataclass(frozen=True, slots=True)
class Point:
    """A point of STEPS.md where a thread's step ends (``call`` carries the callback call)."""

    name: str
    call: NotifierCall | None = None


#: A C function that can block or reach a point: run with ``yield from``; returns the C value.
Gen = Generator[Point, None, int]


@_pickled
@dataclass(slots=True)
class PageRun:
    """struct pages [start, end) whose page flags link the same node and zone (zone None: the
    memmap is not initialised / poisoned, as for 6.1 memory that is offline)."""

    start: int
    end: int
    nid: int
    zone: str | None


@_pickled
@dataclass(slots=True)
class MemSection:
    """include/linux/mmzone.h struct mem_section (SPARSEMEM)."""

    nr: int
    #: SECTION_MARKED_PRESENT with a memmap (sparse_add_one_section / sparse_init).
    present: bool = False
    runs: list[PageRun] = field(default_factory=list)
    #: PG_reserved on its System RAM pages: not handed to the buddy allocator.
    reserved: bool = True
    #: its pageblocks are MIGRATE_ISOLATE.
    isolate: bool = False
    #: holds pages that can be neither migrated nor isolated (a fact of the world).
    unmovable: bool = False


@_pickled
@dataclass(slots=True)
class MemoryBlock:
    """include/linux/memory.h struct memory_block (and its struct device)."""

    id: int
    start_section_nr: int
    end_section_nr: int
    state: int
    section_count: int
    #: the per-block mutex of 3.4 (drivers/base/memory.c); its lock name.
    state_mutex: str
    phys_device: int = 0
    #: 6.1: mem->nid, mem->zone (None = NULL), mem->online_type (MMOP_*).
    nid: int = -1
    zone: str | None = None
    online_type: int = 0
    #: struct device .offline (drivers/base/core.c, 3.12+).
    dev_offline: bool = True


@_pickled
@dataclass(slots=True)
class Zone:
    """include/linux/mmzone.h struct zone (present pages; its span is read from the memmap)."""

    name: str
    nid: int
    present_pages: int = 0


@_pickled
@dataclass(slots=True)
class PglistData:
    """include/linux/mmzone.h struct pglist_data."""

    node_id: int
    node_present_pages: int = 0
    node_zones: dict[str, Zone] = field(default_factory=dict)


@_pickled
@dataclass(slots=True)
class Resource:
    """include/linux/ioport.h struct resource in iomem_resource, in pfns [start, end)."""

    start: int
    end: int
    name: str = "System RAM"


@_pickled
@dataclass(slots=True)
class NotifierBlock:
    """include/linux/notifier.h struct notifier_block; ``notifier_call`` names the mirror
    function (looked up through the kernel's namespace, so a patched mirror can replace it)."""

    name: str
    notifier_call: str
    priority: int
    answers: tuple[str, ...] = ()


@_pickled
@dataclass(slots=True)
class MemoryNotify:
    """include/linux/memory.h struct memory_notify (``status_change_nid_normal`` None where the
    profile's struct has no such field)."""

    start_pfn: int = 0
    nr_pages: int = 0
    status_change_nid: int = -1
    status_change_nid_normal: int | None = None


@_pickled
@dataclass(slots=True)
class AcpiMemoryDevice:
    """drivers/acpi/acpi_memhotplug.c struct acpi_memory_device (one range, one memory block)."""

    block_id: int
    start_addr: int
    length: int
    nid: int
    #: the firmware reports the device present (_STA); _EJ0 clears it.
    present: bool = False


@_pickled
@dataclass(slots=True)
class ThreadCtx:
    """An operation in flight: its generator and the point its last step ended at."""

    gen: Gen
    point: str
