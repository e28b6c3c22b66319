"""The state encoding shared by the Python spec and its Z3 transition relation.

Models: a spec :class:`spec.state.State` of one world and profile as a flat record of named
fields, each a bool or an int code (:func:`Layout.encode`), and the same record as Z3
variables (:meth:`Layout.fresh`). Strings (pcs, events, zones, online types, lock holders) are
coded by their position in the tuples below; ``None`` in ``status_change_nid_normal`` is
:data:`NONE`. Every field has a finite domain (:meth:`Layout.domain`), which k-induction
asserts of every frame.

Leaves out: the error injector's debugfs settings (no successor changes them: ``inject`` is not
one of the explored actions) and observations (the Trace of a counterexample gets them by
running the decoded actions through the spec).
"""

from __future__ import annotations

from typing import Any

import z3

from spec.actions import (
    MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE, NOTIFY_OK, answer_value,
    notifier_from_errno,
)
from spec.config import ZONES, World
from spec.profiles import Profile
from spec.state import PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED, State, thread_names

NONE = -2  # status_change_nid_normal = None
#: ints are signed bit-vectors of this width (bit-blasted: far faster than linear arithmetic here)
WIDTH = 32
STATES = (MEM_ONLINE, MEM_GOING_OFFLINE, MEM_OFFLINE)
PAGES = (PAGES_RESERVED, PAGES_ISOLATED, PAGES_ONLINE)
OTYPES = ("", "offline", "online", "online_kernel", "online_movable")
KINDS = ("", "write", "hotadd", "hotremove")
REQS = ("", "online", "offline")
VIAS = ("", "state", "online", "eject")
EVENTS = ("", "MEM_GOING_ONLINE", "MEM_ONLINE", "MEM_CANCEL_ONLINE", "MEM_GOING_OFFLINE",
          "MEM_OFFLINE", "MEM_CANCEL_OFFLINE")
ZONE_NAMES = ("",) + ZONES
#: where an operation stands (Op.pc and Op.next): the spec's handlers, plus wait and chain.
PCS = ("", "wait", "chain", "ws_check", "ws_finish", "on_going", "on_after_going",
       "on_after_commit", "on_unlock_hp", "off_entry", "off_isolate", "off_after_going",
       "off_failed", "off_undo_unlock", "off_after_commit", "off_unlock_hp", "off_finish",
       "ha_add", "dev_op", "off61_entry", "on61_ok_tail", "on61_fail_tail", "off61_ok_tail",
       "off61_fail_tail")
#: handlers only one lock model has (the other profile's states never reach them).
PCS_V61 = ("dev_op", "off61_entry", "on61_ok_tail", "on61_fail_tail", "off61_ok_tail",
           "off61_fail_tail")
PCS_V34 = ("ws_check", "ws_finish", "on_going", "on_unlock_hp", "off_entry", "off_isolate",
           "off_undo_unlock", "off_unlock_hp", "off_finish")
OP_FIELDS = ("kind", "block", "req", "via", "pc", "otype", "event", "cb", "chain_ret", "a0",
             "a1", "a2", "a3", "ret", "count", "zone", "lock", "next", "stale")


class Layout:
    """The fields of one world's states under one profile, their codes and domains."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.world, self.profile = world, profile
        self.threads = thread_names(world)
        self.nblocks, self.nnodes = len(world.blocks), len(world.nodes)
        self.flags = profile.node_flags
        zt: list[tuple[str, ...]] = [()]
        for b in world.blocks:
            if b.zones not in zt:
                zt.append(b.zones)
        for z in ZONES:
            if (z,) not in zt:
                zt.append((z,))
        self.zone_tuples = tuple(zt)
        if profile.locks == "state_mutex":
            self.locks = tuple(f"state_mutex:memory{b.id}" for b in world.blocks) + ("mem_hotplug_mutex",)
        else:
            self.locks = ("device_hotplug_lock",)
        other = PCS_V61 if profile.locks == "state_mutex" else PCS_V34
        self.pcs = tuple(k for k, pc in enumerate(PCS) if pc not in other)
        rets = {NOTIFY_DONE, NOTIFY_OK}
        for cb in world.callbacks:
            rets.update(answer_value(a) for a in cb.answers)
        rets.update(notifier_from_errno(v) for _, v in world.inject_errors)
        rets.add(notifier_from_errno(0))
        self.chain_rets = tuple(sorted(rets))
        self.bools: list[str] = []
        self.ints: dict[str, tuple[int, int] | tuple[int, ...]] = {}
        for i in range(self.nblocks):
            p = f"b{i}."
            self.bools += [p + "present", p + "registered", p + "resource"]
            self.bools += [f"{p}link{n}" for n in range(self.nnodes)]
            self.bools += [f"{p}back{n}" for n in range(self.nnodes)]
            self.ints[p + "state"] = STATES
            self.ints[p + "pages"] = (0, 1, 2)
            self.ints[p + "zones"] = tuple(range(len(self.zone_tuples)))
            self.ints[p + "otype"] = tuple(range(len(OTYPES)))
        for n in range(self.nnodes):
            self.bools += [f"n{n}.online", f"slub{n}"] + [f"n{n}.{f}" for f in self.flags]
            total = sum(world.ram_pages(b.id) for b in world.blocks if b.node == n)
            self.ints[f"n{n}.present"] = (0, total)  # a range
        for lk in self.locks:
            self.ints[f"lock:{lk}"] = tuple(range(-1, len(self.threads)))
        maxcount = max([len(t) for t in world.texts + world.online_texts] + [0])
        for t in range(len(self.threads)):
            p = f"t{t}."
            self.bools.append(p + "stale")
            dom: dict[str, Any] = {
                "kind": range(len(KINDS)), "block": range(self.nblocks), "req": range(len(REQS)),
                "via": range(len(VIAS)), "pc": self.pcs, "otype": range(len(OTYPES)),
                "event": range(len(EVENTS)), "cb": range(max(1, len(world.callbacks))),
                "chain_ret": self.chain_rets, "a0": (0, max(world.start_pfn(b.id) for b in world.blocks)),
                "a1": (0, world.pages_per_block), "a2": range(-1, self.nnodes),
                "a3": range(NONE, self.nnodes), "ret": (-4095, maxcount),
                "count": (0, maxcount), "zone": range(len(ZONE_NAMES)),
                "lock": range(len(self.locks) + 1), "next": self.pcs,
            }
            for k, v in dom.items():
                self.ints[p + k] = tuple(v) if not (isinstance(v, tuple) and len(v) == 2
                                                    and k in ("a0", "a1", "ret", "count")) else v
        self.ranges = {f"n{n}.present" for n in range(self.nnodes)}
        self.ranges |= {f"t{t}.{k}" for t in range(len(self.threads)) for k in ("a0", "a1", "ret", "count")}
        self.names = tuple(self.bools) + tuple(self.ints)

    # --- codes -----------------------------------------------------------------------------
    def zone_code(self, zones: tuple[str, ...]) -> int:
        return self.zone_tuples.index(zones)

    def lock_code(self, lock: str) -> int:
        return 0 if not lock else self.locks.index(lock) + 1

    def encode(self, s: State) -> dict[str, int | bool]:
        """The field values of a spec state (the comparison key of the agreement tests)."""
        m = s.machine
        out: dict[str, int | bool] = {}
        for i, b in enumerate(m.blocks):
            p = f"b{i}."
            out[p + "present"], out[p + "registered"], out[p + "resource"] = b.present, b.registered, b.resource
            for n in range(self.nnodes):
                out[f"{p}link{n}"] = n in b.links
                out[f"{p}back{n}"] = n in b.backlinks
            out[p + "state"] = b.state
            out[p + "pages"] = PAGES.index(b.pages)
            out[p + "zones"] = self.zone_code(b.zones)
            out[p + "otype"] = OTYPES.index(b.online_type)
        for n, node in enumerate(m.nodes):
            out[f"n{n}.online"] = node.online
            out[f"n{n}.present"] = node.present_pages
            out[f"slub{n}"] = n in m.slub_nodes
            for f in self.flags:
                out[f"n{n}.{f}"] = f in node.flags
        held = dict(m.locks)
        for lk in self.locks:
            out[f"lock:{lk}"] = self.threads.index(held[lk]) if lk in held else -1
        for t, op in enumerate(s.threads):
            p = f"t{t}."
            if op is None:
                out.update(self.idle_op(t))
                continue
            a3 = op.arg[3]
            vals: dict[str, int | bool] = {
                "kind": KINDS.index(op.kind), "block": op.block, "req": REQS.index(op.req),
                "via": VIAS.index(op.via), "pc": PCS.index(op.pc), "otype": OTYPES.index(op.online_type),
                "event": EVENTS.index(op.event), "cb": op.cb, "chain_ret": op.chain_ret,
                "a0": op.arg[0], "a1": op.arg[1], "a2": op.arg[2], "a3": NONE if a3 is None else a3,
                "ret": op.ret, "count": op.count, "zone": ZONE_NAMES.index(op.zone),
                "lock": self.lock_code(op.lock), "next": PCS.index(op.next), "stale": op.stale,
            }
            out.update({p + k: v for k, v in vals.items()})
        return out

    def idle_op(self, t: int) -> dict[str, int | bool]:
        """The fields of an idle thread (no operation in flight): the Op defaults, kind ''."""
        p = f"t{t}."
        out: dict[str, int | bool] = {p + k: 0 for k in OP_FIELDS}
        out[p + "a2"], out[p + "a3"], out[p + "stale"] = -1, NONE, False
        return out

    # --- Z3 -------------------------------------------------------------------------------
    def fresh(self, tag: str) -> dict[str, z3.ExprRef]:
        """A frame of Z3 variables named ``<field>@<tag>``."""
        out: dict[str, z3.ExprRef] = {}
        for name in self.bools:
            out[name] = z3.Bool(f"{name}@{tag}")
        for name in self.ints:
            out[name] = z3.BitVec(f"{name}@{tag}", WIDTH)
        return out

    def domain(self, S: dict[str, z3.ExprRef]) -> z3.BoolRef:
        """Every int field within its finite domain."""
        parts = []
        for name, dom in self.ints.items():
            v = S[name]
            if name in self.ranges:
                parts.append(z3.And(v >= dom[0], v <= dom[1]))
            else:
                parts.append(z3.Or([v == d for d in dom]))
        return z3.And(parts)

    def equals(self, S: dict[str, z3.ExprRef], vals: dict[str, int | bool]) -> z3.BoolRef:
        return z3.And([S[k] == v for k, v in vals.items()])

    def read_model(self, model: z3.ModelRef, S: dict[str, z3.ExprRef]) -> dict[str, int | bool]:
        out: dict[str, int | bool] = {}
        for name in self.bools:
            out[name] = z3.is_true(model.eval(S[name], model_completion=True))
        for name in self.ints:
            out[name] = model.eval(S[name], model_completion=True).as_signed_long()
        return out

    def describe(self, vals: dict[str, int | bool]) -> str:
        """A short human reading of an encoded state (for cti reports)."""
        parts = []
        for i, b in enumerate(self.world.blocks):
            p = f"b{i}."
            st = {MEM_ONLINE: "online", MEM_OFFLINE: "offline", MEM_GOING_OFFLINE: "going-offline"}
            parts.append(f"memory{b.id}: {'present' if vals[p + 'present'] else 'absent'}"
                         f"{', registered' if vals[p + 'registered'] else ''}, "
                         f"{st.get(int(vals[p + 'state']), vals[p + 'state'])}, pages "
                         f"{PAGES[int(vals[p + 'pages'])]}, zones {self.zone_tuples[int(vals[p + 'zones'])]}")
        for n in range(self.nnodes):
            fl = [f for f in self.flags if vals[f"n{n}.{f}"]]
            parts.append(f"node{n}: {'online' if vals[f'n{n}.online'] else 'offline'}, present "
                         f"{vals[f'n{n}.present']}, flags {fl}, slub {bool(vals[f'slub{n}'])}")
        for t, name in enumerate(self.threads):
            p = f"t{t}."
            if not vals[p + "kind"]:
                parts.append(f"{name}: idle")
                continue
            parts.append(f"{name}: {KINDS[int(vals[p + 'kind'])]} memory"
                         f"{self.world.blocks[int(vals[p + 'block'])].id} pc {PCS[int(vals[p + 'pc'])]}"
                         f" event {EVENTS[int(vals[p + 'event'])] or '-'} next {PCS[int(vals[p + 'next'])]}")
        held = [f"{lk}:{self.threads[int(vals['lock:' + lk])]}" for lk in self.locks
                if int(vals["lock:" + lk]) >= 0]
        parts.append(f"locks: {', '.join(held) or 'none'}")
        return "; ".join(parts)
