"""Which kernel profiles the parametric model renders, read off their ``spec.profiles.Profile`` flags.

Models: the step shapes of spec/STEPS.md that the parametric model has, as conditions on the
flags. The model's rules branch on the flag that names a behaviour (``locks`` for the lock model
itself: 3.4's per-block ``state_mutex`` and ``mem_hotplug_mutex`` with the ``mem->state`` update
after the hotplug lock is dropped, or 6.1's ``device_hotplug_lock`` held around the whole device
online/offline; ``hot_remove`` for the eject; ``pages_correctly_reserved``; ``node_flags`` and
``nid_normal`` for N_HIGH_MEMORY / N_MEMORY / N_NORMAL_MEMORY and ``status_change_nid_normal``;
``online_gated``; ``cancel_before_undo``; ``holes_refused``; ``hotadd_zone``; ``zone_shift``;
``memoryless_online_at_boot``). :func:`supports` says whether a profile's combination of flags is
one the model renders, and if not, which behaviour it lacks.

Flags the model does not read, and why that is sound: ``parse``, ``online_file`` and
``online_types`` (a write is an online or an offline request, chosen freely; texts the parser
refuses change nothing the invariants read), ``offline_timeout`` (every failed migration is one
free outcome), ``end_phys_index`` and ``removable_always_one`` (sysfs file contents),
``slub_nid_field`` (SLUB's structures are left out), ``try_offline_node`` (a node an eject
leaves without memory and CPUs stays online in the model: every property and lemma that reads a
node's N_ONLINE speaks of memory on that node, a registered block on it or a link to it, and
try_offline_node() takes only a node with none of them; so the model's instance agrees with the
explorer state for state only on worlds whose nodes all have CPUs, as
tests/checker/engines/smt_parametric/world_2x2.toml's).

Refused (the model has no such steps): the NUMA node notifier (``node_chain``) and a
``struct memory_notify`` without ``status_change_nid`` (``memory_notify_nids``); and every
mixture of the two lock models' steps that neither spec/STEPS.md nor spec/model.py describes
(for example 6.1's removing eject with 3.4's locks, or 3.4's ``pages_correctly_reserved()``
check under ``device_hotplug_lock``).
"""

from __future__ import annotations

from spec.errors import MemhpError
from spec.profiles import Profile, get_profile
from spec.state import KERNEL_ZONES

STATE_MUTEX, DEVICE_HOTPLUG = "state_mutex", "device_hotplug"
HIGH = ("N_HIGH_MEMORY",)
MEMORY_NORMAL = ("N_MEMORY", "N_NORMAL_MEMORY")


class UnsupportedProfile(MemhpError):
    """A profile has a behaviour the parametric model does not render (one line)."""


def resolve(profile: str | Profile) -> Profile:
    """The Profile itself, or the named one (an unknown name is a WorldError)."""
    return profile if isinstance(profile, Profile) else get_profile(profile)


def _lacks(p: Profile) -> str | None:
    if p.node_chain:
        return "has the NUMA node notifier (node_chain): the parametric model has no NODE_* events"
    if not p.memory_notify_nids:
        return ("has no status_change_nid in struct memory_notify (memory_notify_nids=False): "
                "the parametric model judges that field")
    if p.hot_remove not in ("offline_pages", "offline_and_remove"):
        return f"has an unknown eject (hot_remove={p.hot_remove!r})"
    if (p.node_flags, p.nid_normal) not in ((HIGH, False), (MEMORY_NORMAL, True)):
        return (f"keeps the node states {', '.join(p.node_flags) or '(none)'} with "
                f"nid_normal={p.nid_normal}: the parametric model has N_HIGH_MEMORY without "
                "status_change_nid_normal, or N_MEMORY and N_NORMAL_MEMORY with it")
    if p.hotadd_zone is not None and not isinstance(p.hotadd_zone, str):
        return f"has an unknown hot-add zone (hotadd_zone={p.hotadd_zone!r})"
    if p.locks == STATE_MUTEX:
        why = "with the 3.4 lock model (locks=state_mutex), whose steps have "
        if p.hot_remove != "offline_pages":
            return ("removes the memory block on eject (hot_remove=offline_and_remove) " + why
                    + "only remove_memory() -> offline_pages()")
        if not p.pages_correctly_reserved:
            return ("onlines without pages_correctly_reserved() (pages_correctly_reserved=False) "
                    + why + "that check in memory_block_action()")
        if not p.cancel_before_undo:
            return ("undoes the isolation before MEM_CANCEL_OFFLINE (cancel_before_undo=False) "
                    + why + "it after the CANCEL chain, under mem_hotplug_mutex")
        if p.holes_refused:
            return ("refuses blocks with holes (holes_refused=True) " + why
                    + "no such check before offline_pages()")
        if p.hotadd_zone is None:
            return ("chooses the zone at online (hotadd_zone=None) " + why
                    + "no zone choice in online_pages()")
        if p.zone_shift and not p.online_types:
            return ("moves zones at online (zone_shift) without online_kernel / online_movable "
                    "(online_types=False), which are what asks for the move")
        return None
    if p.locks == DEVICE_HOTPLUG:
        why = "with the 6.1 lock model (locks=device_hotplug), whose steps have "
        if p.hot_remove != "offline_and_remove":
            return ("only offlines the pages on eject (hot_remove=offline_pages) " + why
                    + "an eject that offlines the block through the device core and removes it")
        if "N_HIGH_MEMORY" in p.node_flags:
            return ("keeps N_HIGH_MEMORY " + why
                    + "status_change_nid computed from N_MEMORY")
        if p.pages_correctly_reserved:
            return ("checks pages_correctly_reserved() " + why + "no such check")
        if p.hotadd_zone is not None:
            return (f"puts hot-added memory in a zone at hot-add (hotadd_zone={p.hotadd_zone}) "
                    + why + "the zone chosen at online and dropped at offline")
        if p.zone_shift:
            return ("moves zones in online_pages() (zone_shift) " + why
                    + "the zone chosen at online instead")
        return None
    return f"has an unknown lock model (locks={p.locks!r})"


def supports(profile: str | Profile) -> str | None:
    """None if the parametric model renders ``profile``; else one line naming the profile and
    the behaviour the model lacks. An unknown profile name raises WorldError."""
    p = resolve(profile)
    why = _lacks(p)
    return None if why is None else f"profile {p.name} {why}"


def require(profile: str | Profile) -> Profile:
    """The Profile, or UnsupportedProfile (``--parametric: <why>``) if the model lacks it."""
    p = resolve(profile)
    why = supports(p)
    if why is not None:
        raise UnsupportedProfile(f"--parametric: {why}")
    return p


def kernel_zone(zone: str | None) -> bool:
    """Whether a hot-add zone is a kernel zone (its pages count for N_NORMAL_MEMORY)."""
    return zone in KERNEL_ZONES
