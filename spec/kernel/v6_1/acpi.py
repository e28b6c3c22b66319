"""drivers/acpi/scan.c and drivers/acpi/acpi_memhotplug.c (6.1): ACPI memory device hot-add
and eject, under device_hotplug_lock.

Models: acpi_device_hotplug (lock_device_hotplug; DEVICE_CHECK -> acpi_memory_device_add ->
acpi_memory_enable_device -> __add_memory; EJECT_REQUEST -> acpi_scan_hot_remove ->
acpi_scan_try_to_offline (device_offline of the memory block, as acpi_bus_offline does; any
failure is -EBUSY) -> acpi_bus_trim -> acpi_memory_device_remove -> acpi_memory_remove_memory ->
__remove_memory -> _EJ0), unlock_device_hotplug.

Leaves out: acpi_scan_lock (always under device_hotplug_lock), _OST, the namespace walk over
child devices, and the second pass of acpi_scan_try_to_offline: STEPS.md gives one offline
attempt (the C code retries a failed device_offline once more before acpi_bus_online).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EBUSY, PAGE_SHIFT
from spec.kernel.structs import AcpiMemoryDevice, Gen

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

ACPI_NOTIFY_DEVICE_CHECK = 1
ACPI_NOTIFY_EJECT_REQUEST = 3


def acpi_memory_enable_device(k: "Kernel", mem_device: AcpiMemoryDevice) -> int:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_enable_device."""
    return k.fn.__add_memory(k, mem_device.nid, mem_device.start_addr, mem_device.length)


def acpi_memory_device_add(k: "Kernel", mem_device: AcpiMemoryDevice) -> int:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_device_add."""
    return k.fn.acpi_memory_enable_device(k, mem_device)


def acpi_memory_remove_memory(k: "Kernel", mem_device: AcpiMemoryDevice) -> None:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_remove_memory: __remove_memory per range."""
    k.fn.__remove_memory(k, mem_device.start_addr, mem_device.length)


def acpi_bus_offline(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/scan.c acpi_bus_offline: device_offline of each physical node (the memory
    blocks of the device's range); a negative result names the failing device."""
    start_pfn = mem_device.start_addr >> PAGE_SHIFT
    end_pfn = start_pfn + (mem_device.length >> PAGE_SHIFT)
    for block_id in sorted(k.memory_blocks):
        mem = k.memory_blocks[block_id]
        lo = mem.start_section_nr * k.PAGES_PER_SECTION
        if not start_pfn <= lo < end_pfn:
            continue
        ret = yield from k.fn.device_offline(k, mem)
        if ret < 0:
            return ret
    return 0


def acpi_scan_try_to_offline(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/scan.c acpi_scan_try_to_offline (one pass, see the module docstring)."""
    ret = yield from k.fn.acpi_bus_offline(k, mem_device)
    if ret < 0:
        # dev_warn(errdev, "Offline failed."); acpi_bus_online(...)
        return -EBUSY
    return 0


def acpi_scan_hot_remove(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/scan.c acpi_scan_hot_remove."""
    error = yield from k.fn.acpi_scan_try_to_offline(k, mem_device)
    if error:
        return error
    k.fn.acpi_bus_trim(k, mem_device)
    # acpi_evaluate_lck(handle, 0); _EJ0: the firmware takes the device away
    mem_device.present = False
    return 0


def acpi_bus_trim(k: "Kernel", mem_device: AcpiMemoryDevice) -> None:
    """drivers/acpi/scan.c acpi_bus_trim -> acpi_memory_device_remove."""
    k.fn.acpi_memory_remove_memory(k, mem_device)


def acpi_device_hotplug(k: "Kernel", adev: AcpiMemoryDevice, src: int) -> Gen:
    """drivers/acpi/scan.c acpi_device_hotplug."""
    yield from k.fn.lock_device_hotplug(k)
    # mutex_lock(&acpi_scan_lock)
    if src == ACPI_NOTIFY_EJECT_REQUEST:
        error = yield from k.fn.acpi_scan_hot_remove(k, adev)
    else:
        error = k.fn.acpi_memory_device_add(k, adev)  # acpi_scan_device_check -> acpi_bus_scan
    # acpi_evaluate_ost(...); mutex_unlock(&acpi_scan_lock)
    yield from k.fn.unlock_device_hotplug(k)
    return error
