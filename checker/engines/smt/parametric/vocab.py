"""The vocabulary of the parametric model: sorts, rigid relations and state symbols.

Models: four uninterpreted sorts (``Block``, ``Node``, ``Callback``, ``Thread``) and finite enumerated
sorts for a thread's program counter, its operation kind and the notifier event it delivers.
Rigid symbols describe the world (a block's node, hot-pluggability, the chain's priority order,
which thread is the firmware); state symbols describe the machine and each thread's operation.
A :class:`Vocab` is one copy of the state symbols (the pre-state, the post-state, or step ``k`` of
a bounded unrolling); rigid symbols are shared by every copy.

Leaves out: anything numeric. Present pages are abstracted to "a block's pages are counted in its
node" (``nonres``: the block's pages are not reserved), so every question about
``node_present_pages`` becomes a question about the existence of such a block.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import z3

# program counters of a thread (a union over both lock models)
PCS = ("IDLE", "WAIT_SMX", "OFF_ENTRY", "WAIT_HP", "CHAIN", "FIN")
# operation kinds: write online / write offline / firmware hot-add / firmware eject
KINDS = ("WON", "WOFF", "ADD", "EJ")
# the event of the chain a thread delivers
EVENTS = ("GON", "GOFF", "XON", "XOFF", "CON", "COFF")
EVENT_NAMES = {"GON": "MEM_GOING_ONLINE", "GOFF": "MEM_GOING_OFFLINE", "XON": "MEM_ONLINE",
               "XOFF": "MEM_OFFLINE", "CON": "MEM_CANCEL_ONLINE", "COFF": "MEM_CANCEL_OFFLINE"}

# state symbols: name -> (argument sorts, range); "Bool" or an enum name as range
STATE: dict[str, tuple[tuple[str, ...], str]] = {
    # blocks
    "present": (("B",), "Bool"), "reg": (("B",), "Bool"), "res": (("B",), "Bool"),
    "st_on": (("B",), "Bool"), "st_go": (("B",), "Bool"),
    "pg_on": (("B",), "Bool"), "pg_iso": (("B",), "Bool"), "kz": (("B",), "Bool"),
    "smx": (("B",), "Bool"),
    # nodes
    "nmem": (("N",), "Bool"), "nnorm": (("N",), "Bool"), "non": (("N",), "Bool"),
    "link": (("N", "B"), "Bool"), "blink": (("B", "N"), "Bool"),
    # the hotplug lock (state_mutex lock model: mem_hotplug_mutex; device_hotplug: device_hotplug_lock)
    "locked": ((), "Bool"), "holder": ((), "T"),
    # threads
    "pc": (("T",), "Pc"), "kind": (("T",), "Kind"), "blk": (("T",), "B"), "ev": (("T",), "Ev"),
    "cal": (("T", "C"), "Bool"), "stop": (("T",), "Bool"), "cerr": (("T",), "Bool"),
    "err": (("T",), "Bool"), "stale": (("T",), "Bool"),
    "scn": (("T",), "Bool"), "scnn": (("T",), "Bool"),
    # per-operation notifier history (the monitor's OpTrack)
    "sg": (("T", "C"), "Bool"), "okg": (("T", "C"), "Bool"), "cl": (("T", "C"), "Bool"),
    "opn": (("T",), "Bool"), "gon": (("T",), "Bool"), "gdone": (("T",), "Bool"),
    "cbo": (("T",), "Bool"),
    # ghost flags: a history invariant was broken by some transition
    "v_closed": ((), "Bool"), "v_promise": ((), "Bool"), "v_xunseen": ((), "Bool"),
    "v_scn": ((), "Bool"), "v_remove": ((), "Bool"),
}

RIGID: dict[str, tuple[tuple[str, ...], str]] = {
    "bn": (("B", "N"), "Bool"),        # the block's node (functional)
    "lt": (("C", "C"), "Bool"),        # chain order: c1 is called before c2
    "hot": (("B",), "Bool"),           # an ACPI memory device (hot-add / eject)
    "fw": (("T",), "Bool"),            # the firmware thread (runs hot-add / eject, no writes)
    "unmov": (("B",), "Bool"),         # unmovable pages: isolation fails while online
    "refuse": (("B",), "Bool"),        # offline refused at entry (spans zones; 6.1: a missing section)
    "refuse_on": (("B",), "Bool"),     # pages_correctly_reserved() fails (missing section)
    "hole": (("B",), "Bool"),          # the block's span has pages that are not System RAM
    "cpu": (("N",), "Bool"),           # the node has a CPU
}


@dataclass
class Sig:
    """Sorts and enumerations shared by every copy of the vocabulary."""

    sorts: dict[str, Any]
    enums: dict[str, dict[str, Any]]
    rigid: dict[str, Any]
    #: for a finite instance: each of B, N, C, T by its Z3 sort name -> its elements
    domains: dict[str, list[Any]] | None = None

    def sort(self, name: str) -> Any:
        if name == "Bool":
            return z3.BoolSort()
        return self.sorts[name]

    def e(self, enum: str, value: str) -> Any:
        return self.enums[enum][value]


def make_sig(finite: dict[str, int] | None = None, tag: str = "") -> Sig:
    """The signature. ``finite`` gives some sorts a fixed size (enumerated sorts), for the
    finite instances; the parametric proofs leave every sort uninterpreted. Every call makes
    fresh sorts (Z3 declares an enumeration's name once per process)."""
    tag = f".{tag}{uuid.uuid4().hex[:8]}"
    sorts: dict[str, Any] = {}
    domains: dict[str, list[Any]] = {}
    for s in ("B", "N", "C", "T"):
        if finite and s in finite:
            sorts[s], elems = z3.EnumSort(f"{s}{tag}",
                                          [f"{s.lower()}{i}{tag}" for i in range(finite[s])])
            domains[sorts[s].name()] = list(elems)
        else:
            sorts[s] = z3.DeclareSort(f"{s}{tag}")
    enums = {}
    for name, vals in (("Pc", PCS), ("Kind", KINDS), ("Ev", EVENTS)):
        srt, consts = z3.EnumSort(f"{name}{tag}", [f"{v}{tag}" for v in vals])
        sorts[name] = srt
        enums[name] = dict(zip(vals, consts))
    sig = Sig(sorts, enums, {}, domains if finite and len(domains) == 4 else None)
    for name, (args, rng) in RIGID.items():
        sig.rigid[name] = z3.Function(f"{name}{tag}", *[sig.sort(a) for a in args], sig.sort(rng))
    return sig


class Vocab:
    """One copy of the state symbols (suffix ``name``), plus the shared rigid ones."""

    def __init__(self, sig: Sig, name: str) -> None:
        self.sig = sig
        self.name = name
        self.syms: dict[str, Any] = {}
        for sym, (args, rng) in STATE.items():
            if args:
                self.syms[sym] = z3.Function(f"{sym}@{name}", *[sig.sort(a) for a in args],
                                             sig.sort(rng))
            else:
                self.syms[sym] = z3.Const(f"{sym}@{name}", sig.sort(rng))

    def __getattr__(self, item: str) -> Any:
        syms = self.__dict__.get("syms", {})
        if item in syms:
            return syms[item]
        sig = self.__dict__.get("sig")
        if sig is not None and item in sig.rigid:
            return sig.rigid[item]
        raise AttributeError(item)

    # derived predicates
    def nonres(self, b: Any) -> Any:
        """The block's pages are counted in its node's present pages (online or isolated)."""
        return z3.Or(self.pg_on(b), self.pg_iso(b))

    def offline(self, b: Any) -> Any:
        return z3.And(z3.Not(self.st_on(b)), z3.Not(self.st_go(b)))

    def is_pc(self, t: Any, *names: str) -> Any:
        return z3.Or(*[self.pc(t) == self.sig.e("Pc", n) for n in names])

    def is_kind(self, t: Any, *names: str) -> Any:
        return z3.Or(*[self.kind(t) == self.sig.e("Kind", n) for n in names])

    def is_ev(self, t: Any, *names: str) -> Any:
        return z3.Or(*[self.ev(t) == self.sig.e("Ev", n) for n in names])

    def hp(self, t: Any) -> Any:
        return z3.And(self.locked, self.holder == t)
