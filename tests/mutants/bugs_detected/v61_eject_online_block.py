"""Mutant (v6.1): the ACPI eject removes memory without offlining it first.

drivers/acpi/scan.c acpi_scan_hot_remove without acpi_scan_try_to_offline, and
mm/memory_hotplug.c check_memblock_offlined_cb that no longer refuses an online block: the
firmware takes away memory whose block is still online. Breaks **remove_only_offline**
(seed section 7: memory is physically removed only when its block is offline), which 6.1 keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import AcpiMemoryDevice, Gen, MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def acpi_scan_hot_remove(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/scan.c acpi_scan_hot_remove."""
    # MUTANT: error = acpi_scan_try_to_offline(device); if (error) return error; dropped
    k.fn.acpi_bus_trim(k, mem_device)
    mem_device.present = False
    return 0
    yield  # a generator, as the caller expects


def check_memblock_offlined_cb(k: "Kernel", mem: MemoryBlock) -> int:
    """mm/memory_hotplug.c check_memblock_offlined_cb."""
    return 0  # MUTANT: was -EBUSY if mem->state != MEM_OFFLINE
