"""The steps every profile shares: starting operations, scheduling, the notifier chain, hot-add.

Models: what starts an operation (a sysfs write of any text, parsed as the profile's store
method parses it; a firmware hot-add or eject of an ACPI memory device; a read), when a thread
may run (not blocked on a held lock), a thread's next step (take the lock it waited for, deliver
the next callback of a chain, or run the handler its program counter names), the memory notifier
chain and, in 6.17, the NUMA node notifier chain (one callback per step, in priority order,
stopped by ``NOTIFY_STOP_MASK``), the callbacks' answers (a choice, the error injector's
setting, SLUB's slab_memory_callback), and add_memory() under the hotplug lock.

Every function here is written over the step context (:mod:`spec.steps.ctx`) and runs under
both of its interpretations. The program counters are the handlers' names (``h_<pc>``); a
subclass that redefines a handler (a spec mutant) changes the step under both.

Leaves out: what spec/model.py's docstring lists (the probe file, memmap_on_memory,
MEM_PREPARE_ONLINE, page-level state).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from spec.actions import (
    EEXIST, EINVAL, ENODEV, MEM_OFFLINE, NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP_MASK, Action,
    answer_value, notifier_from_errno,
)
from spec.config import CallbackSpec, World
from spec.parse import kstrtobool, mhp_online_type_from_str, prefix_request, prefix_request_38
from spec.profiles import Profile
from spec.state import PAGES_ONLINE, PAGES_RESERVED, thread_names
from spec.steps.ctx import Ctx, Reader, Val

GOING_EVENTS = ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE", "NODE_ADDING_FIRST_MEMORY",
                "NODE_REMOVING_LAST_MEMORY")
#: every event a chain delivers, in a fixed order (the symbolic encoding's codes)
EVENTS = ("MEM_GOING_ONLINE", "MEM_ONLINE", "MEM_CANCEL_ONLINE", "MEM_GOING_OFFLINE",
          "MEM_OFFLINE", "MEM_CANCEL_OFFLINE", "NODE_ADDING_FIRST_MEMORY",
          "NODE_ADDED_FIRST_MEMORY", "NODE_CANCEL_ADDING_FIRST_MEMORY",
          "NODE_REMOVING_LAST_MEMORY", "NODE_REMOVED_LAST_MEMORY",
          "NODE_CANCEL_REMOVING_LAST_MEMORY")
START_KINDS = ("write", "hotadd", "hotremove", "read")



def zone_pages(world: World, x: Reader, node: int, zones: tuple[str, ...]) -> Val:
    """Present pages of ``node`` in ``zones``: the System RAM pages of its blocks whose pages
    are in the page allocator (online or isolated) and in one of those zones (the steps count
    them; the Monitor's history judges status_change_nid_normal by them)."""
    total: Val = 0
    for k, s in enumerate(world.blocks):
        if s.node == node:
            live = x.And(x.b(k, "pages") != PAGES_RESERVED,
                         x.test(x.b(k, "zones"), lambda z: any(q in zones for q in z)))
            total = total + x.If(live, world.ram_pages(s.id), 0)
    return total

class StartGroup(NamedTuple):
    """Start actions enabled together (:meth:`Core.start_groups`)."""

    kind: str
    thread: int | None
    block: int
    requires: tuple[tuple[Any, ...], ...]
    actions: tuple[Action, ...]


def requirement(x: Reader, req: tuple[Any, ...]) -> Val:
    """One requirement of a start group, read through ``x``."""
    if req[0] == "idle":
        return x.idle(req[1])
    _, i, f, v = req
    got = x.b(i, f)
    return got if v is True else x.Not(got) if v is False else got == v


class Core:
    """The shared steps of one profile on one world (the module docstring)."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.world, self.profile = world, profile
        self.chain, self.node_chain = world.notifier_chains(profile.node_chain)
        self.threads = thread_names(world)
        self.fw = len(self.threads) - 1
        self.bindex = {b.id: i for i, b in enumerate(world.blocks)}
        self.nnodes = len(world.nodes)

    # --- what the definition is made of ------------------------------------------------------
    @classmethod
    def pcs(cls) -> tuple[str, ...]:
        """Every program counter: the handlers (``h_<pc>``) and the two generic ones."""
        return ("wait", "chain") + tuple(sorted(n[2:] for n in dir(cls) if n.startswith("h_")))

    def locks(self) -> tuple[str, ...]:
        """Every lock the profile's steps take."""
        if self.profile.locks == "state_mutex":
            return tuple(f"state_mutex:memory{b.id}" for b in self.world.blocks) + ("mem_hotplug_mutex",)
        return ("device_hotplug_lock",)

    def hotplug_lock(self) -> str:
        """The lock add_memory() and the offline/online core run under."""
        return "mem_hotplug_mutex" if self.profile.locks == "state_mutex" else "device_hotplug_lock"

    def handler(self, pc: str) -> Callable[[Ctx], None]:
        return getattr(self, "h_" + pc)  # type: ignore[no-any-return]

    # --- what can start ----------------------------------------------------------------------
    def start_groups(self) -> list[StartGroup]:
        """The start actions of the world, grouped by (kind, thread, block). The actions of a
        group are enabled together, when every requirement of the group holds: ``("idle", t)``
        (thread t has no operation in flight) or ``("b", i, field, value)`` (block i's field
        has that value). Requirements are data, so that every interpretation reads them."""
        w, p = self.world, self.profile
        out: list[StartGroup] = []
        for t, name in enumerate(self.threads[:-1]):
            for i, spec in enumerate(w.blocks):
                acts = [Action("write", name, spec.id, "state", tx) for tx in w.texts]
                if p.online_file:
                    acts += [Action("write", name, spec.id, "online", tx) for tx in w.online_texts]
                out.append(StartGroup("write", t, i, self.start_requires("write", t, i), tuple(acts)))
        for i, spec in enumerate(w.blocks):
            if spec.hotplug:
                for kind in ("hotadd", "hotremove"):
                    out.append(StartGroup(kind, self.fw, i, self.start_requires(kind, self.fw, i),
                                          (Action(kind, thread="fw", block=spec.id),)))
        if w.reads:
            for i, spec in enumerate(w.blocks):
                out.append(StartGroup("read", None, i, self.start_requires("read", None, i),
                                      (Action("read", block=spec.id, file="state"),)))
        return out

    def start_requires(self, kind: str, t: int | None, i: int) -> tuple[tuple[Any, ...], ...]:
        """What an action of ``kind`` on thread ``t`` and block ``i`` requires to start."""
        if kind == "read":
            return (("b", i, "registered", True),)
        if kind == "write":
            return (("idle", t), ("b", i, "registered", True))
        return (("idle", t), ("b", i, "present", kind == "hotremove"))

    def start(self, x: Ctx, a: Action) -> None:
        """The first step of an operation (or the whole of a read)."""
        i = self.bindex[a.block]  # type: ignore[index]
        if a.kind == "read":
            x.show(i, a.file or "state")
        elif a.kind == "write":
            self.write(x, i, a.file or "state", a.text or b"")
        elif a.kind == "hotadd":
            x.setb(i, present=True)  # the firmware plugs the device, then notifies the kernel
            x.new_op("hotadd", i)
            x.wait(self.hotplug_lock(), "ha_add")
        else:
            x.new_op("hotremove", i, req="offline", via="eject")
            if self.profile.hot_remove == "offline_pages":  # 3.4 remove_memory(): no state_mutex
                self.h_off_entry(x)
            else:  # 6.1 acpi_scan_try_to_offline(): device_offline() under the lock
                x.wait("device_hotplug_lock", "dev_op")

    def write(self, x: Ctx, i: int, file: str, text: bytes) -> None:
        """The store method of ``memory<i>/<file>`` up to its first lock."""
        p = self.profile
        if not text:
            x.finish(0)  # sysfs never calls the store method for an empty write
            return
        if file == "online":  # online_store(): kstrtobool
            val = kstrtobool(text)
            if val is None:
                x.finish(-EINVAL)
                return
            x.new_op("write", i, req="online" if val else "offline", via="online", count=len(text))
        else:
            if p.parse == "prefix":  # 3.4 / 3.8 store_mem_state: strncmp prefixes
                otype = (prefix_request_38(text) or "") if p.online_types else ""
                req = prefix_request(text) if not p.online_types else \
                    None if not otype else "offline" if otype == "offline" else "online"
            else:  # state_store(): mhp_online_type_from_str()
                otype = mhp_online_type_from_str(text) or ""
                req = None if not otype else "offline" if otype == "offline" else "online"
            if req is None:
                x.finish(-EINVAL)
                return
            x.new_op("write", i, req=req, via="state", online_type=otype, count=len(text))
        if p.locks == "state_mutex":
            x.wait(f"state_mutex:memory{self.world.blocks[i].id}", "ws_check")
        else:
            x.wait("device_hotplug_lock", "dev_op")

    # --- a thread's next step ------------------------------------------------------------------
    def runnable(self, x: Reader, t: int) -> Val:
        """Thread ``t`` can take a step: it has an operation and is not blocked on a lock."""
        if x.op_of(t, "kind") == "":
            return False
        if x.op_of(t, "pc") != "wait":
            return True
        return x.lock_free(x.op_of(t, "lock"))

    def advance(self, x: Ctx) -> None:
        """The thread's next step: the lock it waited for, then its program counter's work."""
        pc = x.op("pc")
        if pc == "wait":
            if x.op("kind") == "write" and x.br(x.Or(x.op("stale"),
                                                       x.Not(x.b(x.block, "registered")))):  # type: ignore[arg-type]
                x.finish(-ENODEV)  # 6.1: the restarted write finds its kernfs node removed
                return
            x.take(x.op("lock"))
            pc = x.op("next")
            x.goto(pc)  # taking a lock is a right mover: the step goes on (STEPS.md)
        if pc == "chain":
            self.chain_call(x)
            return
        self.handler(pc)(x)

    # --- the notifier chains ---------------------------------------------------------------
    def chain_of(self, event: str) -> tuple[CallbackSpec, ...]:
        return self.node_chain if event.startswith("NODE_") else self.chain

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        """memory_notify(event, &arg) (node_notify() for NODE_*): the first callback is called
        in this step; an empty chain returns NOTIFY_DONE and the operation goes on to
        ``cont`` at once."""
        if not self.chain_of(event):
            x.upd(chain_ret=NOTIFY_DONE, event=event)
            self.handler(cont)(x)
            return
        x.upd(pc="chain", event=event, cb=0, next=cont)
        self.chain_call(x)

    def chain_call(self, x: Ctx) -> None:
        """One callback of the chain being delivered (notifier_call_chain)."""
        event, cbi = x.op("event"), x.op("cb")
        chain = self.chain_of(event)
        cb = chain[cbi]
        ret = self.callback(x, cb, event)
        start, nr, nid, nid_normal = x.op("arg")
        alloc = x.b(x.block, "pages") == PAGES_ONLINE  # type: ignore[arg-type]
        if event.startswith("NODE_"):  # struct node_notify { int nid; }, shown as the nid
            nid, nid_normal = self.world.blocks[x.block].node, None  # type: ignore[index]
        elif not self.profile.memory_notify_nids:
            nid, nid_normal = -1, None
        elif not self.profile.nid_normal:
            nid_normal = None
        x.call(event, cb.name, start, nr, nid, nid_normal, ret, alloc)
        x.point = "call"
        if self.stops(ret) or cbi + 1 == len(chain):
            x.upd(pc=x.op("next"), chain_ret=ret, cb=0)
        else:
            x.upd(cb=cbi + 1)

    @staticmethod
    def stops(ret: int) -> bool:
        """notifier_call_chain(): ``if (ret & NOTIFY_STOP_MASK) break``."""
        return bool(ret & NOTIFY_STOP_MASK)

    def callback(self, x: Ctx, cb: CallbackSpec, event: str) -> int:
        """What one callback does with ``event`` and returns."""
        going = event in GOING_EVENTS
        if cb.kind == "choice":
            return answer_value(x.decide(list(cb.answers))) if going else NOTIFY_OK
        if cb.kind == "injector":
            return notifier_from_errno(x.inject_setting(event)) if going else NOTIFY_OK
        if cb.kind != "slub":
            return NOTIFY_OK
        arg = x.op("arg")
        if event.startswith("NODE_"):  # 6.17 slab_memory_callback on the node chain
            add = event == "NODE_ADDING_FIRST_MEMORY"
            drop = event in ("NODE_REMOVED_LAST_MEMORY", "NODE_CANCEL_ADDING_FIRST_MEMORY")
            nid = arg[2]
        else:  # slab_mem_going_online_callback / slab_mem_offline_callback
            add = event == "MEM_GOING_ONLINE"
            drop = event in ("MEM_OFFLINE", "MEM_CANCEL_ONLINE")
            nid = arg[3] if self.profile.slub_nid_field == "status_change_nid_normal" else arg[2]
        for j in range(self.nnodes):
            if add:
                x.set_slub(j, x.Or(x.slub(j), nid == j))
            elif drop:
                x.set_slub(j, x.And(x.slub(j), nid != j))
        return NOTIFY_OK

    # --- hot-add ------------------------------------------------------------------------------
    def h_ha_add(self, x: Ctx) -> None:
        """add_memory() under the hotplug lock: the resource, a new node, the block device
        (offline, pages reserved) and its node links."""
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        lock = self.hotplug_lock()
        if x.br(x.b(i, "resource")):
            x.upd(ret=-EEXIST)
            x.unlock(lock, "ret")
            return
        p = self.profile
        node = spec.node
        was_online = x.n(node, "online")
        zones = (p.hotadd_zone,) if p.hotadd_zone else ()
        for n in spec.nodes:
            # 6.1: __try_online_node() before the devices, so every node of the range is linked;
            # 3.4: register_mem_sect_under_node() links only nodes already online
            linked = True if p.hotadd_node_online_first else x.n(n, "online")
            x.set_link(i, n, x.Or(x.link(i, n), linked))
            x.set_backlink(i, n, x.Or(x.backlink(i, n), linked))
        x.setb(i, registered=True, state=MEM_OFFLINE, pages=PAGES_RESERVED, zones=zones,
               online_type="offline", resource=True)
        for n in spec.nodes:
            x.setn(n, online=True)
        if not p.hotadd_node_online_first:
            # 3.4 node_set_online(), then register_one_node() -> link_mem_sections(nid):
            # every registered block of a node that was offline
            for k, s2 in enumerate(self.world.blocks):
                if node in s2.nodes:
                    add = x.And(x.Not(was_online), x.b(k, "registered"))
                    x.set_link(k, node, x.Or(x.link(k, node), add))
                    x.set_backlink(k, node, x.Or(x.backlink(k, node), add))
        x.upd(ret=0)
        x.unlock(lock, "ret")

    # --- helpers shared by the handlers -------------------------------------------------------
    def nr_pages(self) -> int:
        return self.world.pages_per_block

    def zone_pages(self, x: Reader, node: int, zones: tuple[str, ...]) -> Val:
        """Present pages of ``node`` in ``zones`` (:func:`zone_pages`)."""
        return zone_pages(self.world, x, node, zones)

    def start_pfn(self, i: int) -> int:
        return self.world.start_pfn(self.world.blocks[i].id)

__all__ = ["Core", "EVENTS", "GOING_EVENTS", "START_KINDS", "StartGroup", "requirement"]
