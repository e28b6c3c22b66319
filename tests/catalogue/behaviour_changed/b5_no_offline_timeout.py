"""Catalogue B5 (facts.md section 7): offlining no longer gives up after 120 s (v4.15).

72b39cfc4d75 "mm, memory_hotplug: do not fail offlining too early" and ecde0f3e7f9e "remove
timeout from __offline_memory" removed the timeout and retry_max from the retry loop of
offline_pages(); only a signal (-EINTR) or a hard failure ends it. Applied to the 3.4 mirror's
retry loop (spec/kernel/mm.py offline_pages_outcome): -EAGAIN is no longer a possible outcome.
No promise of the seed depends on the timeout, so this changes behaviour only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EBUSY, EINTR, FIRMWARE_THREAD

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def offline_pages_outcome(k: "Kernel", isolated: bool, timeout: int) -> int:
    """The retry loop of offline_pages without ``expire`` and ``retry_max`` (4.15)."""
    allowed = k.world.migration
    options: list[str] = []
    if isolated and "ok" in allowed:
        options.append("ok")
    if "-EBUSY" in allowed or not isolated:
        options.append("-EBUSY")
    if k.current != FIRMWARE_THREAD and "-EINTR" in allowed:
        options.append("-EINTR")
    # CATALOGUE B5: no "if (time_after(jiffies, expire))" -> -EAGAIN any more
    outcome = k.decide("migration", options)
    return {"ok": 0, "-EBUSY": -EBUSY, "-EINTR": -EINTR}[outcome]
