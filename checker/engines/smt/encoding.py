"""The state encoding shared by the Python spec and its Z3 transition relation.

Models: a spec :class:`spec.state.State` of one world and profile as a flat record of named
fields, each a bool, an int, or the code of a value with a finite domain (page location, zones,
online types, the operation's kind, request, program counter, event, waited-for lock, ...;
:attr:`Layout.enums` maps each such field to its values, in code order), and the same record as
Z3 variables (:meth:`Layout.fresh`). Every field has a finite domain (:meth:`Layout.domain`),
which k-induction asserts of every frame. The domains come from the world, the profile and the
definition of the steps (:mod:`spec.steps`: its handlers are the program counters, its locks
the lock fields); after the relation's paths are enumerated, the control fields' domains are
narrowed to the values those paths can produce (:meth:`Layout.narrow`).

Leaves out: the error injector's debugfs settings (no explored action changes them: ``inject``
is not one of the explored actions; the world's settings are constants of the relation) and
observations (the Trace of a counterexample gets them by running the decoded actions through
the spec).
"""

from __future__ import annotations

from typing import Any

import z3

from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE, NOTIFY_OK, answer_value, \
    notifier_from_errno
from spec.config import ZONES, World
from spec.profiles import Profile
from spec.state import IDLE_OP, PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED, State, thread_names
from spec.steps import EVENTS as STEP_EVENTS, Steps

#: ints are signed bit-vectors of this width (bit-blasted: far faster than linear arithmetic here)
WIDTH = 32
STATES = (MEM_ONLINE, MEM_GOING_OFFLINE, MEM_OFFLINE)
PAGES = (PAGES_RESERVED, PAGES_ISOLATED, PAGES_ONLINE)
OTYPES = ("", "offline", "online", "online_kernel", "online_movable")
KINDS = ("", "write", "hotadd", "hotremove")
REQS = ("", "online", "offline")
VIAS = ("", "state", "online", "eject")
EVENTS = ("",) + STEP_EVENTS
ZONE_NAMES = ("",) + ZONES
#: an operation's fields in the encoding (``t<n>.<field>``); ``a0``..``a3`` are its ``arg``
OP_FIELDS = ("kind", "block", "req", "via", "pc", "otype", "event", "cb", "chain_ret", "a0",
             "a1", "a2", "a3", "ret", "count", "zone", "lock", "next", "stale")
#: the encoding's name of a field of spec.state's records, where the two differ
FIELD = {"online_type": "otype", "present_pages": "present"}


class Layout:
    """The fields of one world's states under one profile, their codes and domains."""

    def __init__(self, world: World, profile: Profile, steps: type[Steps] = Steps) -> None:
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
        self.locks = steps(world, profile).locks()
        self.pc_names = ("",) + steps.pcs()
        rets = {NOTIFY_DONE, NOTIFY_OK}
        for cb in world.callbacks:
            rets.update(answer_value(a) for a in cb.answers)
        rets.update(notifier_from_errno(v) for _, v in world.inject_errors)
        rets.add(notifier_from_errno(0))
        self.chain_rets = tuple(sorted(rets))
        self.bools: list[str] = []
        self.ints: dict[str, tuple[int, ...]] = {}
        #: fields holding a code: the values, in code order
        self.enums: dict[str, tuple[Any, ...]] = {}
        #: int fields whose domain is the range [lo, hi] (two-element domains of ``ints``)
        self.ranges: set[str] = set()
        for i in range(self.nblocks):
            p = f"b{i}."
            self.bools += [p + "present", p + "registered", p + "resource"]
            self.bools += [f"{p}link{n}" for n in range(self.nnodes)]
            self.bools += [f"{p}back{n}" for n in range(self.nnodes)]
            self.ints[p + "state"] = STATES
            self._enum(p + "pages", PAGES)
            self._enum(p + "zones", self.zone_tuples)
            self._enum(p + "otype", OTYPES)
        for n in range(self.nnodes):
            self.bools += [f"n{n}.online", f"slub{n}"] + [f"n{n}.{f}" for f in self.flags]
            total = sum(world.ram_pages(b.id) for b in world.blocks if b.node == n)
            self._range(f"n{n}.present", 0, total)
        for lk in self.locks:
            self.ints[f"lock:{lk}"] = tuple(range(-1, len(self.threads)))
        maxcount = max([len(t) for t in world.texts + world.online_texts] + [0])
        ncb = max([len(c) for c in world.notifier_chains(profile.node_chain)] + [1])
        for t in range(len(self.threads)):
            p = f"t{t}."
            self.bools.append(p + "stale")
            for f, dom in (("kind", KINDS), ("req", REQS), ("via", VIAS), ("pc", self.pc_names),
                           ("otype", OTYPES), ("event", EVENTS), ("zone", ZONE_NAMES),
                           ("lock", ("",) + self.locks), ("next", self.pc_names)):
                self._enum(p + f, dom)
            self.ints[p + "block"] = tuple(range(self.nblocks))
            self.ints[p + "cb"] = tuple(range(ncb))
            self.ints[p + "chain_ret"] = self.chain_rets
            self.ints[p + "a2"] = self.ints[p + "a3"] = tuple(range(-1, self.nnodes))
            self._range(p + "a0", 0, max(world.start_pfn(b.id) for b in world.blocks))
            self._range(p + "a1", 0, world.pages_per_block)
            self._range(p + "ret", -4095, maxcount)
            self._range(p + "count", 0, maxcount)
        self.names = tuple(self.bools) + tuple(self.ints)

    def _enum(self, name: str, values: tuple[Any, ...]) -> None:
        self.enums[name] = values
        self.ints[name] = tuple(range(len(values)))

    def _range(self, name: str, lo: int, hi: int) -> None:
        self.ints[name] = (lo, hi)
        self.ranges.add(name)

    def narrow(self, name: str, codes: set[int]) -> None:
        """Restrict a field's domain to ``codes`` (the values the relation's paths produce)."""
        self.ints[name] = tuple(c for c in self.ints[name] if c in codes)

    # --- codes -----------------------------------------------------------------------------
    def code(self, name: str, value: Any) -> Any:
        """The encoding of ``value`` in field ``name`` (values of other fields pass through)."""
        dom = self.enums.get(name)
        return value if dom is None else dom.index(value)

    def value(self, name: str, code: Any) -> Any:
        dom = self.enums.get(name)
        return code if dom is None else dom[code]

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
            out.update(self.encode_op(t, IDLE_OP if op is None else op))
        return out

    def encode_op(self, t: int, op: Any) -> dict[str, int | bool]:
        p = f"t{t}."
        vals: dict[str, Any] = {
            "kind": op.kind, "block": op.block, "req": op.req, "via": op.via, "pc": op.pc,
            "otype": op.online_type, "event": op.event, "cb": op.cb, "chain_ret": op.chain_ret,
            "a0": op.arg[0], "a1": op.arg[1], "a2": op.arg[2], "a3": op.arg[3], "ret": op.ret,
            "count": op.count, "zone": op.zone, "lock": op.lock, "next": op.next, "stale": op.stale,
        }
        return {p + k: self.code(p + k, v) for k, v in vals.items()}

    def idle_op(self, t: int) -> dict[str, int | bool]:
        """The fields of an idle thread (no operation in flight)."""
        return self.encode_op(t, IDLE_OP)

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
        def v(name: str) -> Any:
            dom = self.enums.get(name)
            c = int(vals[name])
            return dom[c] if dom is not None and 0 <= c < len(dom) else c

        parts = []
        st = {MEM_ONLINE: "online", MEM_OFFLINE: "offline", MEM_GOING_OFFLINE: "going-offline"}
        for i, b in enumerate(self.world.blocks):
            p = f"b{i}."
            parts.append(f"memory{b.id}: {'present' if vals[p + 'present'] else 'absent'}"
                         f"{', registered' if vals[p + 'registered'] else ''}, "
                         f"{st.get(int(vals[p + 'state']), vals[p + 'state'])}, pages "
                         f"{v(p + 'pages')}, zones {v(p + 'zones')}")
        for n in range(self.nnodes):
            fl = [f for f in self.flags if vals[f"n{n}.{f}"]]
            parts.append(f"node{n}: {'online' if vals[f'n{n}.online'] else 'offline'}, present "
                         f"{vals[f'n{n}.present']}, flags {fl}, slub {bool(vals[f'slub{n}'])}")
        for t, name in enumerate(self.threads):
            p = f"t{t}."
            if not vals[p + "kind"]:
                parts.append(f"{name}: idle")
                continue
            blk = int(vals[p + "block"])
            bid = self.world.blocks[blk].id if 0 <= blk < self.nblocks else blk
            parts.append(f"{name}: {v(p + 'kind')} memory{bid} pc {v(p + 'pc')}"
                         f" event {v(p + 'event') or '-'} next {v(p + 'next')}")
        held = [f"{lk}:{self.threads[int(vals['lock:' + lk])]}" for lk in self.locks
                if int(vals["lock:" + lk]) >= 0]
        parts.append(f"locks: {', '.join(held) or 'none'}")
        return "; ".join(parts)


__all__ = ["EVENTS", "FIELD", "KINDS", "Layout", "OP_FIELDS", "OTYPES", "PAGES", "REQS", "STATES",
           "VIAS", "WIDTH", "ZONE_NAMES"]
