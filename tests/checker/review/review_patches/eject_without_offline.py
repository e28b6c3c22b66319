"""A patch whose eject no longer offlines the device's memory blocks first (6.1): acpi_scan_hot_remove
then calls __remove_memory on memory that is online, and the kernel hits the BUG() there."""

from __future__ import annotations

from typing import Any


def acpi_scan_try_to_offline(k: Any, mem_device: Any) -> Any:
    """drivers/acpi/scan.c acpi_scan_try_to_offline (6.1), broken: the offline pass is gone."""
    return 0
    yield
