"""drivers/acpi/acpi_memhotplug.c (3.4): the ACPI memory device (PNP0C80) driver.

Models: hot-add (acpi_memory_device_add -> acpi_memory_enable_device -> add_memory with the
device's node and range) and the eject request (acpi_memory_device_notify(EJECT_REQUEST) ->
acpi_memory_disable_device -> acpi_memory_remove_memory -> remove_memory, then
acpi_memory_powerdown_device: the device is ejected only if every range went offline). 3.4
takes neither a block's state_mutex nor device_hotplug_lock here, changes no mem->state and
removes no memory block device: the directories and their state stay.

Leaves out: _OST, _STA polling, the -EEXIST "already in use" binding rule of
acpi_memory_enable_device (the operation returns add_memory()'s value), several ranges per device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import AcpiMemoryDevice, Gen

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

ACPI_NOTIFY_EJECT_REQUEST = 3


def acpi_memory_enable_device(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_enable_device."""
    node = mem_device.nid  # memory_add_physaddr_to_nid / acpi_get_node
    result = yield from k.fn.add_memory(k, node, mem_device.start_addr, mem_device.length)
    return result


def acpi_memory_device_add(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_device_add (the firmware made it present)."""
    result = yield from k.fn.acpi_memory_enable_device(k, mem_device)
    return result


def acpi_memory_remove_memory(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_remove_memory: remove_memory per range."""
    result = yield from k.fn.remove_memory(k, mem_device.start_addr, mem_device.length)
    return result


def acpi_memory_powerdown_device(k: "Kernel", mem_device: AcpiMemoryDevice) -> int:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_powerdown_device: _EJ0, the device is gone."""
    mem_device.present = False
    return 0


def acpi_memory_disable_device(k: "Kernel", mem_device: AcpiMemoryDevice) -> Gen:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_disable_device."""
    result = yield from k.fn.acpi_memory_remove_memory(k, mem_device)
    if result:
        return result
    return k.fn.acpi_memory_powerdown_device(k, mem_device)


def acpi_memory_device_notify(k: "Kernel", mem_device: AcpiMemoryDevice, event: int) -> Gen:
    """drivers/acpi/acpi_memhotplug.c acpi_memory_device_notify (ACPI_NOTIFY_EJECT_REQUEST)."""
    result = yield from k.fn.acpi_memory_disable_device(k, mem_device)
    return result
