"""A patch whose offline_pages raises (a mistake while editing a copy of the 6.1 function)."""

from __future__ import annotations

from typing import Any


def offline_pages(k: Any, start_pfn: int, nr_pages: int, zone: Any) -> Any:
    """mm/memory_hotplug.c offline_pages (6.1), broken."""
    end_pfn = start_pfn + nr_pages
    node = k.fn.zone_to_nid(zone)
    return node // (end_pfn - end_pfn)
    yield
