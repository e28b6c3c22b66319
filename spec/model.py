"""The executable specification: what each profile's kernel does, step by step, as a pure function.

Models: sysfs writes to ``state`` (and, in v6.1, ``online``) of any text; reads of ``state``;
firmware hot-add and eject of ACPI memory devices; the memory notifier chain delivered callback
by callback in priority order with NOTIFY_OK / NOTIFY_BAD / NOTIFY_STOP and errno answers and
CANCEL_* to the whole chain; the offline retry loop's outcomes (-EBUSY, -EINTR, -EAGAIN); page
isolation; node states; SLUB's per-node structures; the locks of each profile. The cuts between
steps follow ``spec/STEPS.md``; the kernel mirror (``spec.kernel``) follows the same cuts.

Profiles v3.4 and v6.1, and the later rows of facts.md section 8 (v3.8, v4.15, v5.6, v6.17 with
the NUMA node notifier; their own steps are in spec.model_later). The v6.1 steps under
device_hotplug_lock (device_online / device_offline, the ACPI eject's removal) are in
spec.model_v61.

Leaves out: the ``probe`` file (absent on x86), memmap_on_memory, MEM_PREPARE_ONLINE,
kswapd/kcompactd, and page-level state (pages of a block move together).

``Spec(world, profile)`` holds only the (immutable) world and profile; ``initial``, ``enabled``,
``step`` and ``successors`` never mutate their inputs.

>>> from spec.worlds import builtin_world
>>> from spec.profiles import get_profile
>>> w = builtin_world("default"); sp = Spec(w, get_profile(w.profile))
>>> s0 = sp.initial()
>>> s1, obs = sp.step(s0, write("w0", 1, "offline"))
>>> obs.point
'wait:state_mutex:memory1'
"""

from __future__ import annotations

from typing import Iterator

from spec.actions import (
    EBUSY, EEXIST, EINVAL, ENODEV, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE, NOTIFY_OK,
    NOTIFY_STOP_MASK, STATE_TEXT, Action, NotifierCall, Observation, answer_value,
    notifier_from_errno, notifier_to_errno, parse_errno, write,
)
from spec.config import World
from spec.errors import ActionError
from spec.parse import kstrtobool, mhp_online_type_from_str, prefix_request, prefix_request_38
from spec.profiles import Profile
from spec.state import (
    KERNEL_ZONES, PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED, Block, Machine, Op, State,
    evolve, initial_state, node_zone_pages, thread_names,
)
from spec.model_later import LaterProfiles
from spec.model_v61 import DeviceHotplug61
from spec.sysfs import render

__all__ = ["Spec", "write"]


class _Tx:
    """One step under construction: private mutable copies, frozen again by ``done``."""

    def __init__(self, sp: "Spec", s: State, thread: int | None, choice: str | None, first: bool):
        m = s.machine
        self.sp, self.w, self.p = sp, sp.world, sp.profile
        self.blocks = list(m.blocks)
        self.nodes = list(m.nodes)
        self.slub = set(m.slub_nodes)
        self.m0 = m
        self.inject = dict(m.inject)
        self.locks = dict(m.locks)
        self.threads = list(s.threads)
        self.t = thread
        self.tname = sp.threads[thread] if thread is not None else None
        self.op: Op | None = s.threads[thread] if thread is not None else None
        self.calls: list[NotifierCall] = []
        self.point = ""
        self.ret: int | None = None
        self.read: str | None = None
        self.choice, self.first = choice, first
        self.asked: tuple[str, ...] | None = None

    # --- nondeterminism ----------------------------------------------------------------
    def decide(self, options: list[str]) -> str:
        if self.asked is not None:
            raise AssertionError("a step asks for at most one choice")
        self.asked = tuple(options)
        if self.choice is None:
            if self.first:
                return options[0]
            raise ActionError(f"this step of {self.tname} needs a choice among {options}")
        if self.choice not in options:
            raise ActionError(f"choice {self.choice!r} is not among {options}")
        return self.choice

    # --- helpers ------------------------------------------------------------------------
    def machine(self) -> Machine:
        m0 = self.m0
        blocks = tuple(self.blocks)
        nodes = tuple(self.nodes)
        slub = m0.slub_nodes if self.slub == m0.slub_nodes else frozenset(self.slub)
        locks = tuple(sorted(self.locks.items()))
        return Machine(m0.blocks if blocks == m0.blocks else blocks,
                       m0.nodes if nodes == m0.nodes else nodes, slub, m0.inject, locks)

    def blk(self, i: int) -> Block:
        return self.blocks[i]

    def setb(self, i: int, **kw: object) -> None:
        self.blocks[i] = evolve(self.blocks[i], **kw)

    def setn(self, n: int, **kw: object) -> None:
        self.nodes[n] = evolve(self.nodes[n], **kw)

    def upd(self, **kw: object) -> None:
        assert self.op is not None
        self.op = evolve(self.op, **kw)

    def wait(self, lock: str, nxt: str) -> None:
        self.upd(pc="wait", lock=lock, next=nxt)
        self.point = f"wait:{lock}"

    def unlock(self, lock: str, nxt: str) -> None:
        """Release ``lock``; a release after which the operation only returns ends at ``ret``."""
        assert self.locks.get(lock) == self.tname, (lock, self.locks)
        del self.locks[lock]
        if nxt == "ret":
            assert self.op is not None
            self.finish(self.op.ret)
            return
        self.upd(pc=nxt)
        self.point = f"unlock:{lock}"

    def finish(self, ret: int) -> None:
        """The operation returns ``ret`` in this step."""
        self.op = None
        self.ret = ret
        self.point = "ret"

    def done(self, s: State) -> tuple[State, Observation]:
        if self.t is not None:
            self.threads[self.t] = self.op
        obs = Observation(self.tname, self.point, tuple(self.calls), self.ret, self.read)
        return State(self.machine(), tuple(self.threads)), obs


class Spec(LaterProfiles, DeviceHotplug61):
    """The pure transition system of one profile on one world."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.world = world
        self.profile = profile
        self.chain, self.node_chain = world.notifier_chains(profile.node_chain)
        self.threads = thread_names(world)
        self.bindex = {b.id: i for i, b in enumerate(world.blocks)}
        self.writers = frozenset(world.writer_threads())

    # --- the interface ------------------------------------------------------------------
    def initial(self) -> State:
        return initial_state(self.world, self.profile)

    def enabled(self, s: State) -> list[Action]:
        return [a for a, _, _ in self.successors(s)]

    def successors(self, s: State) -> Iterator[tuple[Action, State, Observation]]:
        for a in self.start_actions(s):
            s2, obs = self._read(s, a) if a.kind == "read" else self._start(s, a)
            yield a, s2, obs
        for t, name in enumerate(self.threads):
            if not self._runnable(s, t):
                continue
            tx = _Tx(self, s, t, None, True)
            self._advance(tx)
            s1, obs1 = tx.done(s)
            if tx.asked is None:
                yield Action("step", thread=name), s1, obs1
                continue
            yield Action("step", thread=name, choice=tx.asked[0]), s1, obs1
            for c in tx.asked[1:]:
                a = Action("step", thread=name, choice=c)
                s2, obs2 = self.step(s, a)
                yield a, s2, obs2

    def start_actions(self, s: State) -> list[Action]:
        w, p, m = self.world, self.profile, s.machine
        out: list[Action] = []
        for t, name in enumerate(self.threads[:-1]):
            if s.threads[t] is not None:
                continue
            for spec, b in zip(w.blocks, m.blocks):
                if not b.registered:
                    continue
                out.extend(Action("write", name, spec.id, "state", tx) for tx in w.texts)
                if p.online_file:
                    out.extend(Action("write", name, spec.id, "online", tx) for tx in w.online_texts)
        if s.threads[-1] is None:
            for spec, b in zip(w.blocks, m.blocks):
                if spec.hotplug:
                    kind = "hotremove" if b.present else "hotadd"
                    out.append(Action(kind, thread="fw", block=spec.id))
        if w.reads:
            out.extend(Action("read", block=spec.id, file="state")
                       for spec, b in zip(w.blocks, m.blocks) if b.registered)
        return out

    def step(self, s: State, a: Action) -> tuple[State, Observation]:
        if a.kind == "step":
            if a.thread not in self.threads:
                raise ActionError(f"no thread {a.thread!r} (threads: {', '.join(self.threads)})")
            t = self.threads.index(a.thread)
            if not self._runnable(s, t):
                raise ActionError(f"thread {a.thread} cannot step now")
            tx = _Tx(self, s, t, a.choice, False)
            self._advance(tx)
            if a.choice is not None and tx.asked is None:
                raise ActionError(f"this step of {a.thread} takes no choice (got {a.choice!r})")
            return tx.done(s)
        if a.kind == "read":
            return self._read(s, a)
        if a.kind == "inject":
            return self._inject(s, a)
        self._check_start(s, a)
        return self._start(s, a)

    def _check_start(self, s: State, a: Action) -> None:
        """Any text may be written; the action only has to fit the machine as it is now."""
        if a.kind not in ("write", "hotadd", "hotremove"):
            raise ActionError(f"unknown action kind {a.kind!r}")
        i = self.bindex.get(a.block)  # type: ignore[arg-type]
        if i is None:
            raise ActionError(f"world {self.world.name!r} has no block memory{a.block}")
        b, spec = s.machine.blocks[i], self.world.blocks[i]
        if a.kind == "write":
            if a.thread not in self.writers:
                raise ActionError(f"write on {a.thread!r}: not a writer thread")
            if s.threads[self.threads.index(a.thread)] is not None:
                raise ActionError(f"{a.thread} is busy")
            if not b.registered:
                raise ActionError(f"memory{a.block} does not exist")
            files = ("state", "online") if self.profile.online_file else ("state",)
            if a.file not in files:
                raise ActionError(f"memory{a.block}/{a.file} is not writable in {self.profile.name}")
            return
        if s.threads[-1] is not None:
            raise ActionError("the firmware thread is busy")
        if not spec.hotplug or (a.kind == "hotadd") == b.present:
            raise ActionError(f"{a.kind} memory{a.block}: not possible now (present={b.present})")

    def _start(self, s: State, a: Action) -> tuple[State, Observation]:
        t = self.threads.index(a.thread) if a.thread else None
        tx = _Tx(self, s, t, None, False)
        i = self.bindex[a.block]  # type: ignore[index]
        if a.kind == "write":
            self._write(tx, i, a.file or "state", a.text or b"")
        elif a.kind == "hotadd":
            tx.setb(i, present=True)  # the firmware plugs the device, then notifies the kernel
            tx.op = Op("hotadd", i)
            tx.wait(self._hotplug_lock(), "ha_add")
        else:
            tx.op = Op("hotremove", i, req="offline", via="eject")
            if self.profile.locks == "state_mutex":
                self._h_off_entry(tx)
            else:
                tx.wait("device_hotplug_lock", "dev_op")
        return tx.done(s)

    # --- scheduling ---------------------------------------------------------------------
    def _runnable(self, s: State, t: int) -> bool:
        op = s.threads[t]
        if op is None:
            return False
        return op.pc != "wait" or s.machine.holder(op.lock) is None

    def _hotplug_lock(self) -> str:
        return "mem_hotplug_mutex" if self.profile.locks == "state_mutex" else "device_hotplug_lock"

    def _advance(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        if op.pc == "wait":
            if op.kind == "write" and (op.stale or not tx.blk(op.block).registered):
                tx.finish(-ENODEV)  # 6.1: the restarted write finds its kernfs node removed
                return
            tx.locks[op.lock] = tx.tname  # type: ignore[assignment]
            tx.upd(pc=op.next)  # taking a lock is a right mover: the step goes on (STEPS.md)
        op = tx.op
        assert op is not None
        if op.pc == "chain":
            self._chain_call(tx)
            return
        getattr(self, "_h_" + op.pc)(tx)

    # --- reads and the injector ----------------------------------------------------------
    def _read(self, s: State, a: Action) -> tuple[State, Observation]:
        i = self.bindex.get(a.block)  # type: ignore[arg-type]
        if i is None or not s.machine.blocks[i].registered:
            raise ActionError(f"memory{a.block} does not exist")
        if a.file == "state":
            text = STATE_TEXT[s.machine.blocks[i].state] + "\n"
        else:
            v = render(self.world, self.profile, s.machine).get(f"memory/memory{a.block}/{a.file}")
            if not isinstance(v, str):
                raise ActionError(f"memory{a.block}/{a.file} does not exist")
            text = v
        return s, Observation(None, "ret", (), len(text), text)

    def _inject(self, s: State, a: Action) -> tuple[State, Observation]:
        if not any(c.kind == "injector" for c in self.world.callbacks):
            raise ActionError("this world has no memory notifier error injector")
        if a.choice not in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
            raise ActionError(f"the injector has no action {a.choice!r}")
        value = parse_errno((a.text or b"").decode("utf-8", "replace"))
        value = min(0, max(-4095, value))
        inject = dict(s.machine.inject)
        inject[a.choice] = value
        m = evolve(s.machine, inject=tuple(sorted(inject.items())))
        return State(m, s.threads), Observation(None, "ret", (), 0)

    # --- writes -----------------------------------------------------------------------------
    def _write(self, tx: _Tx, i: int, file: str, text: bytes) -> None:
        bid = self.world.blocks[i].id
        if not text:
            tx.finish(0)  # sysfs never calls the store method for an empty write
            return
        if self.profile.locks == "state_mutex":
            otype = ""
            if self.profile.online_types:
                otype = (prefix_request_38(text) or "") if file == "state" else ""
                req = None if not otype else "offline" if otype == "offline" else "online"
            else:
                req = prefix_request(text) if file == "state" else None
            if req is None:
                tx.finish(-EINVAL)
                return
            tx.op = Op("write", i, req=req, via="state", online_type=otype, count=len(text))
            tx.wait(f"state_mutex:memory{bid}", "ws_check")
            return
        if file == "state":
            otype = mhp_online_type_from_str(text)
            if otype is None:
                tx.finish(-EINVAL)
                return
            req = "offline" if otype == "offline" else "online"
            tx.op = Op("write", i, req=req, via="state", online_type=otype, count=len(text))
        else:
            val = kstrtobool(text)
            if val is None:
                tx.finish(-EINVAL)
                return
            tx.op = Op("write", i, req="online" if val else "offline", via="online", count=len(text))
        tx.wait("device_hotplug_lock", "dev_op")

    # --- the notifier chain ------------------------------------------------------------------
    def _chain_of(self, event: str) -> tuple:  # type: ignore[type-arg]
        return self.node_chain if event.startswith("NODE_") else self.chain

    def _start_chain(self, tx: _Tx, event: str, cont: str) -> None:
        """memory_notify(event, &arg) (node_notify() for NODE_*): the first callback is called
        in this step."""
        if not self._chain_of(event):
            tx.upd(chain_ret=NOTIFY_DONE, event=event)
            getattr(self, "_h_" + cont)(tx)
            return
        tx.upd(pc="chain", event=event, cb=0, next=cont)
        self._chain_call(tx)

    def _chain_call(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        chain = self._chain_of(op.event)
        cb = chain[op.cb]
        ret = self._callback(tx, cb.kind, cb.answers, op.event, op.arg)
        start, nr, nid, nid_normal = op.arg
        alloc = tx.blk(op.block).pages == PAGES_ONLINE
        if op.event.startswith("NODE_"):  # struct node_notify { int nid; }, shown as the nid
            nid, nid_normal = self.world.blocks[op.block].node, None
        elif not self.profile.memory_notify_nids:
            nid, nid_normal = -1, None
        tx.calls.append(NotifierCall(op.event, cb.name, start, nr, nid,
                                     nid_normal if self.profile.nid_normal else None, ret, alloc))
        tx.point = "call"
        if ret & NOTIFY_STOP_MASK or op.cb + 1 == len(chain):
            tx.upd(pc=op.next, chain_ret=ret, cb=0)
        else:
            tx.upd(cb=op.cb + 1)

    def _callback(self, tx: _Tx, kind: str, answers: tuple[str, ...], event: str,
                  arg: tuple[int, int, int, int | None]) -> int:
        going = event in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE", "NODE_ADDING_FIRST_MEMORY",
                          "NODE_REMOVING_LAST_MEMORY")
        if kind == "choice":
            return answer_value(tx.decide(list(answers))) if going else NOTIFY_OK
        if kind == "injector":
            return notifier_from_errno(tx.inject.get(event, 0)) if going else NOTIFY_OK
        if kind == "slub" and event.startswith("NODE_"):  # 6.17 slab_memory_callback
            nid = arg[2]
            if event == "NODE_ADDING_FIRST_MEMORY":
                tx.slub.add(nid)
            elif event in ("NODE_REMOVED_LAST_MEMORY", "NODE_CANCEL_ADDING_FIRST_MEMORY"):
                tx.slub.discard(nid)
            return NOTIFY_OK
        if kind == "slub":
            nid = arg[3] if self.profile.slub_nid_field == "status_change_nid_normal" else arg[2]
            nid = -1 if nid is None else nid
            if event == "MEM_GOING_ONLINE" and nid >= 0:
                tx.slub.add(nid)
            elif event in ("MEM_OFFLINE", "MEM_CANCEL_ONLINE") and nid >= 0:
                tx.slub.discard(nid)
            return NOTIFY_OK
        return NOTIFY_OK

    # --- v3.4 sysfs write: memory_block_change_state ------------------------------------------
    def _h_ws_check(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        b = tx.blk(op.block)
        spec = self.world.blocks[op.block]
        frm = MEM_OFFLINE if op.req == "online" else MEM_ONLINE
        lock = f"state_mutex:memory{spec.id}"
        if b.state != frm:
            tx.upd(ret=-EINVAL)
            tx.unlock(lock, "ret")
        elif op.req == "offline":
            tx.setb(op.block, state=MEM_GOING_OFFLINE)
            tx.upd(pc="off_entry")
            tx.point = "going_offline"
        elif spec.missing_sections or b.pages != PAGES_RESERVED:
            tx.upd(ret=-EBUSY)  # pages_correctly_reserved() failed
            tx.unlock(lock, "ret")
        else:
            tx.wait("mem_hotplug_mutex", "on_going")

    def _h_ws_finish(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        spec = self.world.blocks[op.block]
        if op.ret:
            tx.setb(op.block, state=MEM_OFFLINE if op.req == "online" else MEM_ONLINE)
        else:
            tx.setb(op.block, state=MEM_ONLINE if op.req == "online" else MEM_OFFLINE)
            tx.upd(ret=op.count)
        tx.unlock(f"state_mutex:memory{spec.id}", "ret")

    # --- online_pages -----------------------------------------------------------------------
    def _h_on_going(self, tx: _Tx) -> None:
        """3.4 online_pages() after lock_memory_hotplug()."""
        op = tx.op
        assert op is not None
        spec = self.world.blocks[op.block]
        if self.profile.zone_shift and not self._zone_shift(tx):
            tx.upd(ret=-1)  # 3.8: online_pages() returns -1 when the range cannot move
            self._h_on_unlock_hp(tx)
            return
        if self.profile.nid_normal:  # 3.8 node_states_check_changes_online()
            flags = tx.nodes[spec.node].flags
            zones = tx.blk(op.block).zones
            nid = spec.node if "N_MEMORY" not in flags else -1
            nid_normal = (spec.node if any(z in KERNEL_ZONES for z in zones)
                          and "N_NORMAL_MEMORY" not in flags else -1)
            tx.upd(arg=(self.world.start_pfn(spec.id), self.world.pages_per_block, nid, nid_normal))
        else:
            nid = spec.node if tx.nodes[spec.node].present_pages == 0 else -1
            tx.upd(arg=(self.world.start_pfn(spec.id), self.world.pages_per_block, nid, None))
        self._start_chain(tx, "MEM_GOING_ONLINE", "on_after_going")

    def _h_on_after_going(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        err = notifier_to_errno(op.chain_ret)
        if err:
            tx.upd(ret=err)
            cont = "on_unlock_hp" if self.profile.locks == "state_mutex" else "on61_fail_tail"
            if self.profile.node_chain and op.arg[2] >= 0:
                cont = "on_node_cancel"  # 6.17: MEM_CANCEL_ONLINE, then the node's cancel
            self._start_chain(tx, "MEM_CANCEL_ONLINE", cont)
            return
        spec = self.world.blocks[op.block]
        pages = self.world.ram_pages(spec.id)
        node = tx.nodes[spec.node]
        tx.setb(op.block, pages=PAGES_ONLINE)
        flags = set(node.flags)
        if "N_HIGH_MEMORY" in self.profile.node_flags:
            if pages:
                flags.add("N_HIGH_MEMORY")
        elif self.profile.online_gated:  # 3.8-5.5 node_states_set_node(), if (onlined_pages)
            if pages:
                flags.add("N_MEMORY")
                if op.arg[3] is not None and op.arg[3] >= 0:
                    flags.add("N_NORMAL_MEMORY")
        else:
            if op.arg[2] >= 0:
                flags.add("N_MEMORY")
            if op.arg[3] is not None and op.arg[3] >= 0:
                flags.add("N_NORMAL_MEMORY")
        tx.setn(spec.node, present_pages=node.present_pages + pages, flags=frozenset(flags))
        tx.upd(pc="on_after_commit")
        tx.point = "commit"

    def _h_on_after_commit(self, tx: _Tx) -> None:
        assert tx.op is not None
        if self.profile.locks == "state_mutex":
            if self.world.ram_pages(self.world.blocks[tx.op.block].id):
                self._start_chain(tx, "MEM_ONLINE", "on_unlock_hp")
            else:
                self._h_on_unlock_hp(tx)
        elif self.profile.node_chain and tx.op.arg[2] >= 0:
            self._start_chain(tx, "NODE_ADDED_FIRST_MEMORY", "on_mem_online")
        else:
            self._start_chain(tx, "MEM_ONLINE", "on61_ok_tail")

    def _h_on_unlock_hp(self, tx: _Tx) -> None:
        tx.unlock("mem_hotplug_mutex", "ws_finish")

    # --- offline_pages ------------------------------------------------------------------------
    def _h_off_entry(self, tx: _Tx) -> None:
        """3.4 remove_memory() -> offline_pages(): checks before lock_memory_hotplug()."""
        op = tx.op
        assert op is not None
        spec, b = self.world.blocks[op.block], tx.blk(op.block)
        if len(b.zones) != 1 or len(spec.nodes) != 1:  # test_pages_in_a_zone()
            if op.kind == "hotremove":
                tx.finish(-EINVAL)
            else:
                tx.setb(op.block, state=MEM_ONLINE)
                tx.upd(ret=-EINVAL)
                tx.unlock(f"state_mutex:memory{spec.id}", "ret")
            return
        tx.wait("mem_hotplug_mutex", "off_isolate")

    def _h_off_isolate(self, tx: _Tx) -> None:
        """3.4 offline_pages() after lock_memory_hotplug()."""
        op = tx.op
        assert op is not None
        spec, b = self.world.blocks[op.block], tx.blk(op.block)
        if spec.unmovable and b.pages == PAGES_ONLINE:  # start_isolate_page_range() fails
            tx.upd(ret=-EBUSY)
            tx.unlock("mem_hotplug_mutex", "off_finish")
            return
        if b.pages == PAGES_ONLINE:
            tx.setb(op.block, pages=PAGES_ISOLATED)
        nr = self.world.pages_per_block
        nid = spec.node if nr >= tx.nodes[spec.node].present_pages else -1
        nid_normal = None
        if self.profile.nid_normal:  # 3.8 node_states_check_changes_offline()
            normal = node_zone_pages(self.world, tx.machine(), spec.node, KERNEL_ZONES)
            nid_normal = spec.node if b.zones[0] in KERNEL_ZONES and nr >= normal else -1
        tx.upd(arg=(self.world.start_pfn(spec.id), nr, nid, nid_normal))
        self._start_chain(tx, "MEM_GOING_OFFLINE", "off_after_going")

    def _migration_options(self, tx: _Tx) -> list[str]:
        assert tx.op is not None
        isolated = tx.blk(tx.op.block).pages == PAGES_ISOLATED
        allowed = self.world.migration
        opts = ["ok"] if isolated and "ok" in allowed else []
        if "-EBUSY" in allowed or not isolated or not opts:
            opts.append("-EBUSY")
        if "-EINTR" in allowed and tx.tname in self.writers:
            opts.append("-EINTR")
        if "-EAGAIN" in allowed and self.profile.offline_timeout:
            opts.append("-EAGAIN")
        return opts

    def _h_off_after_going(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        err = notifier_to_errno(op.chain_ret)
        if err:
            tx.upd(ret=err)
            self._h_off_failed(tx)
            return
        outcome = tx.decide(self._migration_options(tx))
        if outcome != "ok":
            tx.upd(ret=parse_errno(outcome), pc="off_failed")
            tx.point = "migrate_failed"
            return
        spec = self.world.blocks[op.block]
        pages = self.world.ram_pages(spec.id)
        node = tx.nodes[spec.node]
        tx.setb(op.block, pages=PAGES_RESERVED)
        present = node.present_pages - pages
        flags = set(node.flags)
        if "N_HIGH_MEMORY" in self.profile.node_flags:
            if present == 0:
                flags.discard("N_HIGH_MEMORY")
        else:
            if op.arg[3] is not None and op.arg[3] >= 0:
                flags.discard("N_NORMAL_MEMORY")
            if op.arg[2] >= 0:
                flags.discard("N_MEMORY")
        tx.setn(spec.node, present_pages=present, flags=frozenset(flags))
        tx.upd(pc="off_after_commit")
        tx.point = "commit"

    def _h_off_failed(self, tx: _Tx) -> None:
        assert tx.op is not None
        if self.profile.cancel_before_undo:
            cont = "off_undo_unlock" if self.profile.locks == "state_mutex" else "off61_undo_tail"
            self._start_chain(tx, "MEM_CANCEL_OFFLINE", cont)
        else:
            self._undo_isolation(tx)
            cont = "off61_fail_tail"
            if self.profile.node_chain and tx.op.arg[2] >= 0:
                cont = "off_node_cancel"
            self._start_chain(tx, "MEM_CANCEL_OFFLINE", cont)

    def _undo_isolation(self, tx: _Tx) -> None:
        assert tx.op is not None
        if tx.blk(tx.op.block).pages == PAGES_ISOLATED:
            tx.setb(tx.op.block, pages=PAGES_ONLINE)

    def _h_off_undo_unlock(self, tx: _Tx) -> None:
        self._undo_isolation(tx)
        tx.unlock("mem_hotplug_mutex", "off_finish")

    def _h_off_after_commit(self, tx: _Tx) -> None:
        assert tx.op is not None
        if self.profile.node_chain and tx.op.arg[2] >= 0:
            self._start_chain(tx, "NODE_REMOVED_LAST_MEMORY", "off_mem_offline")
            return
        cont = "off_unlock_hp" if self.profile.locks == "state_mutex" else "off61_ok_tail"
        self._start_chain(tx, "MEM_OFFLINE", cont)

    def _h_off_unlock_hp(self, tx: _Tx) -> None:
        tx.unlock("mem_hotplug_mutex", "off_finish")

    def _h_off_finish(self, tx: _Tx) -> None:
        """3.4: back in memory_block_change_state (writer) or the ACPI driver (eject)."""
        op = tx.op
        assert op is not None
        if op.kind == "hotremove":
            if op.ret == 0:
                tx.setb(op.block, present=False)  # the firmware ejects the device
            tx.finish(op.ret)
            return
        spec = self.world.blocks[op.block]
        if op.ret:
            tx.setb(op.block, state=MEM_ONLINE)
        else:
            tx.setb(op.block, state=MEM_OFFLINE)
            tx.upd(ret=op.count)
        tx.unlock(f"state_mutex:memory{spec.id}", "ret")

    # --- hot-add ------------------------------------------------------------------------------
    def _h_ha_add(self, tx: _Tx) -> None:
        op = tx.op
        assert op is not None
        spec, b = self.world.blocks[op.block], tx.blk(op.block)
        lock = self._hotplug_lock()
        if b.resource:
            tx.upd(ret=-EEXIST)
            tx.unlock(lock, "ret")
            return
        node = spec.node
        was_online = tx.nodes[node].online
        zones = (self.profile.hotadd_zone,) if self.profile.hotadd_zone else ()
        linked = frozenset(n for n in spec.nodes if tx.nodes[n].online)
        if self.profile.locks != "state_mutex":
            linked = frozenset(spec.nodes)
        tx.setb(op.block, registered=True, state=MEM_OFFLINE, pages=PAGES_RESERVED,
                zones=zones, online_type="offline", resource=True,
                links=b.links | linked, backlinks=b.backlinks | linked)
        for n in spec.nodes:
            tx.setn(n, online=True)
        if not was_online and self.profile.locks == "state_mutex":
            # register_one_node() -> link_mem_sections(nid): every block of the node
            for i, (s2, b2) in enumerate(zip(self.world.blocks, tx.blocks)):
                if b2.registered and node in s2.nodes:
                    tx.setb(i, links=b2.links | {node}, backlinks=b2.backlinks | {node})
        tx.upd(ret=0)
        tx.unlock(lock, "ret")
