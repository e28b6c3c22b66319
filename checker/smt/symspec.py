"""The spec's steps (spec/model.py) as symbolic paths over the state encoding.

Models: every handler of :class:`spec.model.Spec`, one method of the same name, with the same
cuts (spec/STEPS.md), for both profiles: write starts (parsed concretely: the text is part of the
action), hot-add and hot-remove starts, reads, and each thread's next step with its choices.
The machine's data stay symbolic; the operation's control fields (pc, kind, block, event,
callback) are made concrete by case split. ``tests/checker/smt/test_smt.py`` checks that on
every reachable state of small worlds the successors these paths admit are exactly the spec's.

Leaves out: ``inject`` actions (the explorer does not take them either) and observations other
than the notifier calls' event, callee, chain position, allocatability and nids (the callback's
return value and start_pfn / nr_pages are not recorded).
"""

from __future__ import annotations

from typing import Any

import z3

from checker.smt.encoding import (
    EVENTS, KINDS, NONE, OTYPES, PCS, REQS, VIAS, ZONE_NAMES, Layout,
)
from checker.smt.paths import And, If, Infeasible, Not, Or, Path, Run, Val, all_paths
from spec.actions import (
    EBUSY, EEXIST, EINVAL, ENODEV, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE,
    NOTIFY_OK, NOTIFY_STOP_MASK, Action, answer_value, notifier_from_errno, notifier_to_errno,
    parse_errno,
)
from spec.parse import kstrtobool, mhp_online_type_from_str, prefix_request
from spec.state import KERNEL_ZONES

RES, ISO, ONL = 0, 1, 2  # page codes (encoding.PAGES)


class SymSpec:
    """The symbolic twin of ``Spec(world, profile)``; subclass and override a handler to mutate
    the transition (tests/mutants/spec pair each such override with the spec's own)."""

    def __init__(self, layout: Layout) -> None:
        self.L = layout
        self.world, self.profile = layout.world, layout.profile
        self.chain = self.world.chain()
        self.threads = layout.threads
        self.writers = frozenset(self.world.writer_threads())
        zt = layout.zone_tuples
        self.zt_kernel = tuple(k for k, z in enumerate(zt) if any(x in KERNEL_ZONES for x in z))
        self.zt_not_one = tuple(k for k, z in enumerate(zt) if len(z) != 1)

    # --- state access ---------------------------------------------------------------------
    def b(self, x: Run, i: int, f: str) -> Val:
        return x.get(f"b{i}.{f}")

    def setb(self, x: Run, i: int, **kw: Val) -> None:
        for k, v in kw.items():
            x.set(f"b{i}.{k}", v)

    def n(self, x: Run, j: int, f: str) -> Val:
        return x.get(f"n{j}.{f}")

    def op(self, x: Run, f: str) -> Val:
        return x.get(f"t{x.t}.{f}")

    def upd(self, x: Run, **kw: Val) -> None:
        for k, v in kw.items():
            x.set(f"t{x.t}.{k}", v)

    def conc_op(self, x: Run, f: str) -> int:
        return x.conc(f"t{x.t}.{f}", self.L.ints[f"t{x.t}.{f}"])  # type: ignore[arg-type]

    def new_op(self, x: Run, **kw: Val) -> None:
        vals: dict[str, Val] = dict(self.L.idle_op(x.t))
        for k, v in kw.items():
            vals[f"t{x.t}.{k}"] = v
        for k, v in vals.items():
            x.set(k, v)

    def in_codes(self, v: Val, codes: tuple[int, ...]) -> Val:
        return Or(*[v == c for c in codes]) if codes else False

    def holder(self, x: Run, lock: str) -> Val:
        return x.get(f"lock:{lock}")

    def wait(self, x: Run, lock: str, nxt: str) -> None:
        self.upd(x, pc=PCS.index("wait"), lock=self.L.lock_code(lock), next=PCS.index(nxt))

    def unlock(self, x: Run, lock: str, nxt: str) -> None:
        x.require(self.holder(x, lock) == x.t)
        x.set(f"lock:{lock}", -1)
        if nxt == "ret":
            self.finish(x)
            return
        self.upd(x, pc=PCS.index(nxt))

    def finish(self, x: Run, ret: Val | None = None) -> None:
        """The operation returns ``ret`` (default: its record's) in this step."""
        x.end = self.op(x, "ret") if ret is None else ret
        self.new_op(x)

    # --- the paths --------------------------------------------------------------------------
    def paths(self, frame: dict[str, z3.ExprRef]) -> list[Path]:
        out: list[Path] = []
        w, p = self.world, self.profile
        for t, name in enumerate(self.threads[:-1]):
            for i, spec in enumerate(w.blocks):
                acts = [("state", tx) for tx in w.texts]
                if p.online_file:
                    acts += [("online", tx) for tx in w.online_texts]
                for file, text in acts:
                    a = Action("write", name, spec.id, file, text)
                    out += all_paths(frame, lambda x, t=t, i=i, a=a: self._start_write(x, t, i, a))
        fw = len(self.threads) - 1
        for i, spec in enumerate(w.blocks):
            if spec.hotplug:
                out += all_paths(frame, lambda x, i=i: self._start_fw(x, fw, i, "hotadd"))
                out += all_paths(frame, lambda x, i=i: self._start_fw(x, fw, i, "hotremove"))
            if w.reads:
                out += all_paths(frame, lambda x, i=i: self._read(x, i))
        for t in range(len(self.threads)):
            out += all_paths(frame, lambda x, t=t: self._thread_step(x, t))
        return out

    def _read(self, x: Run, i: int) -> Action:
        x.require(self.b(x, i, "registered"))
        return Action("read", block=self.world.blocks[i].id, file="state")

    def _start_write(self, x: Run, t: int, i: int, a: Action) -> Action:
        x.t = t
        x.block = i
        x.require(x.get(f"t{t}.kind") == 0)
        x.require(self.b(x, i, "registered"))
        self._write(x, i, a.file or "state", a.text or b"")
        return a

    def _start_fw(self, x: Run, t: int, i: int, kind: str) -> Action:
        x.t = t
        x.block = i
        x.require(x.get(f"t{t}.kind") == 0)
        present = self.b(x, i, "present")
        if kind == "hotadd":
            x.require(Not(present))
            self.setb(x, i, present=True)
            self.new_op(x, kind=KINDS.index("hotadd"), block=i)
            self.wait(x, self._hotplug_lock(), "ha_add")
        else:
            x.require(present)
            self.new_op(x, kind=KINDS.index("hotremove"), block=i, req=REQS.index("offline"),
                        via=VIAS.index("eject"))
            if self.profile.locks == "state_mutex":
                self._h_off_entry(x)
            else:
                self.wait(x, "device_hotplug_lock", "dev_op")
        return Action(kind, thread="fw", block=self.world.blocks[i].id)

    def _hotplug_lock(self) -> str:
        return "mem_hotplug_mutex" if self.profile.locks == "state_mutex" else "device_hotplug_lock"

    def _waits(self) -> tuple[tuple[str, str], ...]:
        """Every (lock, next) a wait of the spec names (the calls of ``wait`` in spec/model.py)."""
        if self.profile.locks == "state_mutex":
            return tuple((f"state_mutex:memory{b.id}", "ws_check") for b in self.world.blocks) + (
                ("mem_hotplug_mutex", "on_going"), ("mem_hotplug_mutex", "off_isolate"),
                ("mem_hotplug_mutex", "ha_add"))
        return (("device_hotplug_lock", "dev_op"), ("device_hotplug_lock", "ha_add"))

    def _thread_step(self, x: Run, t: int) -> Action:
        """A state whose waiting thread names a (lock, next) no wait of the spec names, or a pc
        of the other profile, has no step here (no reachable state has one: the agreement test)."""
        x.t = t
        x.require(x.get(f"t{t}.kind") != 0)
        x.block = self.conc_op(x, "block")
        pc = PCS[self.conc_op(x, "pc")]
        if pc == "wait":
            waits = self._waits()
            lname, nxt = waits[x._fork(len(waits))]
            x.require(And(self.op(x, "lock") == self.L.lock_code(lname), self.op(x, "next") == PCS.index(nxt)))
            x.require(self.holder(x, lname) == -1)
            if x.br(And(self.op(x, "kind") == KINDS.index("write"),
                        Or(self.op(x, "stale"), Not(self.b(x, x.block, "registered"))))):
                self.finish(x, -ENODEV)
            else:
                x.set(f"lock:{lname}", t)
                self.upd(x, pc=PCS.index(nxt))
                self._dispatch(x, nxt)
        else:
            self._dispatch(x, pc)
        return Action("step", thread=self.threads[t], choice=x.choice)

    def _dispatch(self, x: Run, pc: str) -> None:
        if pc == "chain":
            self._chain_call(x)
        elif PCS.index(pc) not in self.L.pcs or pc in ("", "wait"):
            raise Infeasible
        else:
            getattr(self, "_h_" + pc)(x)

    # --- writes -------------------------------------------------------------------------------
    def _write(self, x: Run, i: int, file: str, text: bytes) -> None:
        bid = self.world.blocks[i].id
        write = KINDS.index("write")
        if not text:
            self.finish(x, 0)
            return
        if self.profile.locks == "state_mutex":
            req = prefix_request(text) if file == "state" else None
            if req is None:
                self.finish(x, -EINVAL)
                return
            self.new_op(x, kind=write, block=i, req=REQS.index(req), via=VIAS.index("state"),
                        count=len(text))
            self.wait(x, f"state_mutex:memory{bid}", "ws_check")
            return
        if file == "state":
            otype = mhp_online_type_from_str(text)
            if otype is None:
                self.finish(x, -EINVAL)
                return
            req = "offline" if otype == "offline" else "online"
            self.new_op(x, kind=write, block=i, req=REQS.index(req), via=VIAS.index("state"),
                        otype=OTYPES.index(otype), count=len(text))
        else:
            val = kstrtobool(text)
            if val is None:
                self.finish(x, -EINVAL)
                return
            self.new_op(x, kind=write, block=i, req=REQS.index("online" if val else "offline"),
                        via=VIAS.index("online"), count=len(text))
        self.wait(x, "device_hotplug_lock", "dev_op")

    # --- the notifier chain -------------------------------------------------------------------
    def _start_chain(self, x: Run, event: str, cont: str) -> None:
        if not self.chain:
            self.upd(x, chain_ret=NOTIFY_DONE, event=EVENTS.index(event))
            getattr(self, "_h_" + cont)(x)
            return
        self.upd(x, pc=PCS.index("chain"), event=EVENTS.index(event), cb=0, next=PCS.index(cont))
        self._chain_call(x)

    def _chain_call(self, x: Run) -> None:
        cbi = self.conc_op(x, "cb")
        if cbi >= len(self.chain):
            raise Infeasible
        event = EVENTS[self.conc_op(x, "event")]
        if not event:
            raise Infeasible
        cb = self.chain[cbi]
        ret = self._callback(x, cb.kind, cb.answers, event)
        assert x.block is not None
        x.calls.append(_call(event, cb.name, self.b(x, x.block, "pages") == ONL, cbi,
                             self.op(x, "a2"), self.op(x, "a3"), ret))
        if ret & NOTIFY_STOP_MASK or cbi + 1 == len(self.chain):
            self.upd(x, pc=self.op(x, "next"), chain_ret=ret, cb=0)
        else:
            self.upd(x, cb=cbi + 1)

    def _callback(self, x: Run, kind: str, answers: tuple[str, ...], event: str) -> int:
        going = event in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE")
        if kind == "choice":
            return answer_value(x.decide(list(answers))) if going else NOTIFY_OK
        if kind == "injector":
            inject = dict(self.world.inject_errors)
            return notifier_from_errno(inject.get(event, 0)) if going else NOTIFY_OK
        if kind == "slub":
            nid = self.op(x, "a3") if self.profile.slub_nid_field == "status_change_nid_normal" \
                else self.op(x, "a2")
            for j in range(self.L.nnodes):
                cur = x.get(f"slub{j}")
                if event == "MEM_GOING_ONLINE":
                    x.set(f"slub{j}", Or(cur, nid == j))
                elif event in ("MEM_OFFLINE", "MEM_CANCEL_ONLINE"):
                    x.set(f"slub{j}", And(cur, nid != j))
            return NOTIFY_OK
        return NOTIFY_OK

    def _chain_err(self, x: Run) -> int:
        return notifier_to_errno(self.conc_op(x, "chain_ret"))

    # --- v3.4 sysfs write ---------------------------------------------------------------------
    def _h_ws_check(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        req = REQS[self.conc_op(x, "req")]
        frm = MEM_OFFLINE if req == "online" else MEM_ONLINE
        lock = f"state_mutex:memory{spec.id}"
        if x.br(self.b(x, i, "state") != frm):
            self.upd(x, ret=-EINVAL)
            self.unlock(x, lock, "ret")
        elif req == "offline":
            self.setb(x, i, state=MEM_GOING_OFFLINE)
            self.upd(x, pc=PCS.index("off_entry"))
        elif spec.missing_sections or x.br(self.b(x, i, "pages") != RES):
            self.upd(x, ret=-EBUSY)
            self.unlock(x, lock, "ret")
        else:
            self.wait(x, "mem_hotplug_mutex", "on_going")

    def _h_ws_finish(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        req = REQS[self.conc_op(x, "req")]
        if x.br(self.op(x, "ret") != 0):
            self.setb(x, i, state=MEM_OFFLINE if req == "online" else MEM_ONLINE)
        else:
            self.setb(x, i, state=MEM_ONLINE if req == "online" else MEM_OFFLINE)
            self.upd(x, ret=self.op(x, "count"))
        self.unlock(x, f"state_mutex:memory{spec.id}", "ret")

    # --- online_pages -------------------------------------------------------------------------
    def _h_on_going(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        nid = If(self.n(x, spec.node, "present") == 0, spec.node, -1)
        self.upd(x, a0=self.world.start_pfn(spec.id), a1=self.world.pages_per_block, a2=nid, a3=NONE)
        self._start_chain(x, "MEM_GOING_ONLINE", "on_after_going")

    def _h_on_after_going(self, x: Run) -> None:
        i = x.block
        assert i is not None
        err = self._chain_err(x)
        if err:
            self.upd(x, ret=err)
            cont = "on_unlock_hp" if self.profile.locks == "state_mutex" else "on61_fail_tail"
            self._start_chain(x, "MEM_CANCEL_ONLINE", cont)
            return
        spec = self.world.blocks[i]
        pages = self.world.ram_pages(spec.id)
        j = spec.node
        self.setb(x, i, pages=ONL)
        if self.profile.online_gated:
            if pages:
                x.set(f"n{j}.N_HIGH_MEMORY", True)
        else:
            x.set(f"n{j}.N_MEMORY", Or(self.n(x, j, "N_MEMORY"), self.op(x, "a2") >= 0))
            x.set(f"n{j}.N_NORMAL_MEMORY", Or(self.n(x, j, "N_NORMAL_MEMORY"), self.op(x, "a3") >= 0))
        x.set(f"n{j}.present", self.n(x, j, "present") + pages)
        self.upd(x, pc=PCS.index("on_after_commit"))

    def _h_on_after_commit(self, x: Run) -> None:
        assert x.block is not None
        if self.profile.locks == "state_mutex":
            if self.world.ram_pages(self.world.blocks[x.block].id):
                self._start_chain(x, "MEM_ONLINE", "on_unlock_hp")
            else:
                self._h_on_unlock_hp(x)
        else:
            self._start_chain(x, "MEM_ONLINE", "on61_ok_tail")

    def _h_on_unlock_hp(self, x: Run) -> None:
        self.unlock(x, "mem_hotplug_mutex", "ws_finish")

    # --- offline_pages ------------------------------------------------------------------------
    def _h_off_entry(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        if len(spec.nodes) != 1 or x.br(self.in_codes(self.b(x, i, "zones"), self.zt_not_one)):
            if KINDS[self.conc_op(x, "kind")] == "hotremove":
                self.finish(x)
            else:
                self.setb(x, i, state=MEM_ONLINE)
                self.upd(x, ret=-EINVAL)
                self.unlock(x, f"state_mutex:memory{spec.id}", "ret")
            return
        self.wait(x, "mem_hotplug_mutex", "off_isolate")

    def _h_off_isolate(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        pages = self.b(x, i, "pages")
        if spec.unmovable and x.br(pages == ONL):
            self.upd(x, ret=-EBUSY)
            self.unlock(x, "mem_hotplug_mutex", "off_finish")
            return
        self.setb(x, i, pages=If(pages == ONL, ISO, pages))
        nr = self.world.pages_per_block
        nid = If(nr >= self.n(x, spec.node, "present"), spec.node, -1)
        self.upd(x, a0=self.world.start_pfn(spec.id), a1=nr, a2=nid, a3=NONE)
        self._start_chain(x, "MEM_GOING_OFFLINE", "off_after_going")

    def _migration_options(self, x: Run) -> list[str]:
        assert x.block is not None
        isolated = x.br(self.b(x, x.block, "pages") == ISO)
        allowed = self.world.migration
        opts = ["ok"] if isolated and "ok" in allowed else []
        if "-EBUSY" in allowed or not isolated or not opts:
            opts.append("-EBUSY")
        if "-EINTR" in allowed and self.threads[x.t] in self.writers:
            opts.append("-EINTR")
        if "-EAGAIN" in allowed and self.profile.offline_timeout:
            opts.append("-EAGAIN")
        return opts

    def _h_off_after_going(self, x: Run) -> None:
        i = x.block
        assert i is not None
        err = self._chain_err(x)
        if err:
            self.upd(x, ret=err)
            self._h_off_failed(x)
            return
        outcome = x.decide(self._migration_options(x))
        if outcome != "ok":
            self.upd(x, ret=parse_errno(outcome), pc=PCS.index("off_failed"))
            return
        spec = self.world.blocks[i]
        pages = self.world.ram_pages(spec.id)
        j = spec.node
        self.setb(x, i, pages=RES)
        present = self.n(x, j, "present") - pages
        if self.profile.online_gated:
            x.set(f"n{j}.N_HIGH_MEMORY", And(self.n(x, j, "N_HIGH_MEMORY"), present != 0))
        else:
            x.set(f"n{j}.N_NORMAL_MEMORY", And(self.n(x, j, "N_NORMAL_MEMORY"), self.op(x, "a3") < 0))
            x.set(f"n{j}.N_MEMORY", And(self.n(x, j, "N_MEMORY"), self.op(x, "a2") < 0))
        x.set(f"n{j}.present", present)
        self.upd(x, pc=PCS.index("off_after_commit"))

    def _h_off_failed(self, x: Run) -> None:
        if self.profile.cancel_before_undo:
            self._start_chain(x, "MEM_CANCEL_OFFLINE", "off_undo_unlock")
        else:
            self._undo_isolation(x)
            self._start_chain(x, "MEM_CANCEL_OFFLINE", "off61_fail_tail")

    def _undo_isolation(self, x: Run) -> None:
        assert x.block is not None
        pages = self.b(x, x.block, "pages")
        self.setb(x, x.block, pages=If(pages == ISO, ONL, pages))

    def _h_off_undo_unlock(self, x: Run) -> None:
        self._undo_isolation(x)
        self.unlock(x, "mem_hotplug_mutex", "off_finish")

    def _h_off_after_commit(self, x: Run) -> None:
        cont = "off_unlock_hp" if self.profile.locks == "state_mutex" else "off61_ok_tail"
        self._start_chain(x, "MEM_OFFLINE", cont)

    def _h_off_unlock_hp(self, x: Run) -> None:
        self.unlock(x, "mem_hotplug_mutex", "off_finish")

    def _h_off_finish(self, x: Run) -> None:
        i = x.block
        assert i is not None
        ret = self.op(x, "ret")
        if KINDS[self.conc_op(x, "kind")] == "hotremove":
            self.setb(x, i, present=If(ret == 0, False, self.b(x, i, "present")))
            self.finish(x)
            return
        spec = self.world.blocks[i]
        if x.br(ret != 0):
            self.setb(x, i, state=MEM_ONLINE)
        else:
            self.setb(x, i, state=MEM_OFFLINE)
            self.upd(x, ret=self.op(x, "count"))
        self.unlock(x, f"state_mutex:memory{spec.id}", "ret")

    # --- hot-add ------------------------------------------------------------------------------
    def _h_ha_add(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        lock = self._hotplug_lock()
        if x.br(self.b(x, i, "resource")):
            self.upd(x, ret=-EEXIST)
            self.unlock(x, lock, "ret")
            return
        node = spec.node
        was_online = self.n(x, node, "online")
        v34 = self.profile.locks == "state_mutex"
        zones = (self.profile.hotadd_zone,) if self.profile.hotadd_zone else ()
        for n in range(self.L.nnodes):
            linked: Val = n in spec.nodes and (self.n(x, n, "online") if v34 else True)
            self.setb(x, i, **{f"link{n}": Or(self.b(x, i, f"link{n}"), linked),
                               f"back{n}": Or(self.b(x, i, f"back{n}"), linked)})
        self.setb(x, i, registered=True, state=MEM_OFFLINE, pages=RES,
                  zones=self.L.zone_code(zones), otype=OTYPES.index("offline"), resource=True)
        for n in spec.nodes:
            x.set(f"n{n}.online", True)
        if v34:
            for k, s2 in enumerate(self.world.blocks):
                if node in s2.nodes:
                    add = And(Not(was_online), self.b(x, k, "registered"))
                    self.setb(x, k, **{f"link{node}": Or(self.b(x, k, f"link{node}"), add),
                                       f"back{node}": Or(self.b(x, k, f"back{node}"), add)})
        self.upd(x, ret=0)
        self.unlock(x, lock, "ret")

    # --- v6.1 -------------------------------------------------------------------------------
    def _zone_span_hits(self, x: Run, node: int, zone: str, start: int, nr: int) -> Val:
        """_intersects(zone_span(node, zone), start, nr): blocks are aligned and of one size."""
        lo: list[Val] = []
        hi: list[Val] = []
        codes = tuple(k for k, z in enumerate(self.L.zone_tuples) if zone in z)
        for k, s in enumerate(self.world.blocks):
            if s.node != node:
                continue
            m = And(self.in_codes(self.b(x, k, "zones"), codes), self.b(x, k, "registered"))
            s0 = self.world.start_pfn(s.id)
            if s0 < start + nr:
                lo.append(m)
            if start < s0 + nr:
                hi.append(m)
        return And(Or(*lo), Or(*hi))

    def _zone_for_online(self, x: Run, node: int, block_id: int, otype: Val) -> Val:
        """spec.sysfs.zone_for_online as a zone-name code."""
        w = self.world
        start, nr = w.start_pfn(block_id), w.pages_per_block
        kernel: Val = ZONE_NAMES.index("Normal")
        for z in reversed(KERNEL_ZONES):
            kernel = If(self._zone_span_hits(x, node, z, start, nr), ZONE_NAMES.index(z), kernel)
        in_kernel: Val = False
        for z in KERNEL_ZONES:
            in_kernel = If(kernel == ZONE_NAMES.index(z), self._zone_span_hits(x, node, z, start, nr),
                           in_kernel)
        in_movable = self._zone_span_hits(x, node, "Movable", start, nr)
        mov = ZONE_NAMES.index("Movable")
        dflt = If(in_kernel != in_movable, If(in_kernel, kernel, mov), mov if w.movable_node else kernel)
        return If(otype == OTYPES.index("online_kernel"), kernel,
                  If(otype == OTYPES.index("online_movable"), mov, dflt))

    def _singleton(self, zone: Val) -> Val:
        out: Val = 0
        for k, z in enumerate(ZONE_NAMES[1:], 1):
            out = If(zone == k, self.L.zone_code((z,)), out)
        return out

    def _h_dev_op(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        req, via = REQS[self.conc_op(x, "req")], VIAS[self.conc_op(x, "via")]
        count = self.op(x, "count")
        if req == "online":
            if via == "state":
                self.setb(x, i, otype=self.op(x, "otype"))
            if x.br(self.b(x, i, "state") != MEM_OFFLINE):
                self.upd(x, ret=-EINVAL if via == "state" else count)
                self.unlock(x, "device_hotplug_lock", "ret")
                return
            ot = self.b(x, i, "otype")
            otype = If(ot == OTYPES.index("offline"), OTYPES.index("online"), ot)
            zone = self._zone_for_online(x, spec.node, spec.id, otype)
            self.setb(x, i, otype=otype, zones=self._singleton(zone))
            j = spec.node
            nid = If(self.n(x, j, "N_MEMORY"), -1, j)
            kz = Or(*[zone == ZONE_NAMES.index(z) for z in KERNEL_ZONES])
            nid_normal = If(And(kz, Not(self.n(x, j, "N_NORMAL_MEMORY"))), j, -1)
            self.upd(x, zone=zone, a0=self.world.start_pfn(spec.id), a1=self.world.pages_per_block,
                     a2=nid, a3=nid_normal)
            self._start_chain(x, "MEM_GOING_ONLINE", "on_after_going")
            return
        if x.br(self.b(x, i, "state") == MEM_OFFLINE):
            if via == "eject":
                self._remove_block(x)
                self.upd(x, ret=0)
            else:
                self.upd(x, ret=-EINVAL if via == "state" else count)
            self.unlock(x, "device_hotplug_lock", "ret")
            return
        self.setb(x, i, state=MEM_GOING_OFFLINE)
        self.upd(x, pc=PCS.index("off61_entry"))

    def _h_off61_entry(self, x: Run) -> None:
        i = x.block
        assert i is not None
        spec = self.world.blocks[i]
        zones = self.b(x, i, "zones")
        pages = self.b(x, i, "pages")
        if len(spec.nodes) != 1 or x.br(self.in_codes(zones, self.zt_not_one)):
            err = -EINVAL
        elif spec.hole_pages or spec.missing_sections:
            err = -EINVAL
        elif spec.unmovable and x.br(pages == ONL):
            err = -EBUSY
        else:
            err = 0
        if err:
            self.upd(x, ret=err)
            self._h_off61_fail_tail(x)
            return
        self.setb(x, i, pages=ISO)
        nr = self.world.pages_per_block
        j = spec.node
        normal: Val = 0
        for k, s in enumerate(self.world.blocks):
            if s.node == j:
                normal = normal + If(And(self.b(x, k, "pages") != RES,
                                         self.in_codes(self.b(x, k, "zones"), self.zt_kernel)),
                                     self.world.ram_pages(s.id), 0)
        nid_normal = If(And(self.in_codes(zones, self.zt_kernel), nr >= normal), j, -1)
        nid = If(nr >= self.n(x, j, "present"), j, -1)
        self.upd(x, a0=self.world.start_pfn(spec.id), a1=nr, a2=nid, a3=nid_normal)
        self._start_chain(x, "MEM_GOING_OFFLINE", "off_after_going")

    def _h_on61_ok_tail(self, x: Run) -> None:
        assert x.block is not None
        self.setb(x, x.block, state=MEM_ONLINE, otype=OTYPES.index("offline"))
        self.upd(x, ret=self.op(x, "count"))
        self.unlock(x, "device_hotplug_lock", "ret")

    def _h_on61_fail_tail(self, x: Run) -> None:
        assert x.block is not None
        self.setb(x, x.block, state=MEM_OFFLINE, otype=OTYPES.index("offline"), zones=0)
        self.unlock(x, "device_hotplug_lock", "ret")

    def _h_off61_ok_tail(self, x: Run) -> None:
        assert x.block is not None
        self.setb(x, x.block, state=MEM_OFFLINE, zones=0)
        if VIAS[self.conc_op(x, "via")] == "eject":
            self._remove_block(x)
            self.upd(x, ret=0)
        else:
            self.upd(x, ret=self.op(x, "count"))
        self.unlock(x, "device_hotplug_lock", "ret")

    def _h_off61_fail_tail(self, x: Run) -> None:
        assert x.block is not None
        self.setb(x, x.block, state=MEM_ONLINE)
        if VIAS[self.conc_op(x, "via")] == "eject":
            self.upd(x, ret=-EBUSY)
        self.unlock(x, "device_hotplug_lock", "ret")

    def _remove_block(self, x: Run) -> None:
        i = x.block
        assert i is not None
        for u in range(len(self.threads)):
            if u == x.t:
                continue
            hit = And(x.get(f"t{u}.kind") == KINDS.index("write"), x.get(f"t{u}.block") == i)
            x.set(f"t{u}.stale", Or(x.get(f"t{u}.stale"), hit))
        self.setb(x, i, present=False, registered=False, state=MEM_OFFLINE, pages=RES, zones=0,
                  otype=OTYPES.index("offline"), resource=False,
                  **{f"link{n}": False for n in range(self.L.nnodes)},
                  **{f"back{n}": False for n in range(self.L.nnodes)})


def _call(event: str, callback: str, alloc: Val, pos: int, nid: Val, nid_normal: Val,
          ret: int = 0) -> Any:
    from checker.smt.paths import Call

    return Call(event, callback, alloc, pos, nid, nid_normal, ret)
