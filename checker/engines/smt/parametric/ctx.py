"""The context a transition of the parametric model is built in, and the named mutants.

Models: :class:`Ctx` holds the pre- and post-state vocabularies, the profile whose flags the
rules read, and the update under construction, with the building blocks the transitions share
(starting and finishing an operation with the monitor's end-of-operation checks, taking and
releasing the hotplug lock, starting a notifier chain with its bookkeeping, the removing eject's
removal of a block). :data:`MUTANTS` names the deliberately wrong variants of some transitions
(teeth for the proofs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from checker.engines.smt.parametric.flags import STATE_MUTEX
from checker.engines.smt.parametric.update import Upd
from checker.engines.smt.parametric.vocab import Sig, Vocab
from spec.profiles import Profile

MUTANTS = {
    "online_no_node_state": "online commit does not set the node's memory state",
    "no_cancel_offline": "a failed GOING_OFFLINE chain is not followed by CANCEL_OFFLINE",
    "cancel_first_only": "CANCEL_* reaches only the first callback",
    "scn_always": "status_change_nid is the node id on every online",
    "add_no_backlink": "hot-add creates the node link but not the memoryX/nodeN backlink",
    "eject_online": "the eject removes a block without offlining it first",
    "no_notify_stop": "callbacks never answer NOTIFY_STOP (a variant that must prove x_after_going)",
}


@dataclass
class Rule:
    name: str
    params: tuple[tuple[str, str], ...]
    body: Callable[[Ctx, dict[str, Any]], Any]


class Ctx:
    """What a rule body sees: the pre/post vocabularies, the profile, the update under
    construction."""

    def __init__(self, pre: Vocab, post: Vocab, profile: Profile, mutant: str | None) -> None:
        self.pre, self.post, self.u = pre, post, Upd(pre, post)
        self.p = profile
        #: the 3.4 lock model: mem->state is set after mem_hotplug_mutex is dropped (pc FIN)
        self.state_mutex = profile.locks == STATE_MUTEX
        self.mut = mutant
        self.sig: Sig = pre.sig

    def E(self, enum: str, value: str) -> Any:
        return self.sig.e(enum, value)

    # --- building blocks shared by the rules -------------------------------------------
    def start_op(self, t: Any, b: Any, kind: Any, pc: str) -> None:
        p, u = self.pre, self.u
        u.pt("pc", (t,), self.E("Pc", pc))
        u.pt("kind", (t,), kind)
        u.pt("blk", (t,), b)
        for r in ("cal", "sg", "okg", "cl"):
            u.fn(r, lambda x, c, r=r: z3.If(x == t, False, p.syms[r](x, c)))
        for r in ("opn", "gon", "gdone", "cbo", "stop", "cerr", "err", "stale", "scn", "scnn"):
            u.pt(r, (t,), False)

    def finish(self, t: Any) -> None:
        """The operation returns: the monitor's end-of-operation checks."""
        p = self.pre
        self.u.pt("pc", (t,), self.E("Pc", "IDLE"))
        self.u.flag("v_closed", p.opn(t))
        c = z3.Const("c_fin", self.sig.sort("C"))
        self.u.flag("v_promise", z3.Exists([c], z3.And(p.okg(t, c), z3.Not(p.cl(t, c)))))

    def take(self, t: Any) -> None:
        self.u.pt("locked", (), True)
        self.u.pt("holder", (), t)

    def release(self) -> None:
        self.u.pt("locked", (), False)

    def start_chain(self, t: Any, ev: str) -> None:
        p, u = self.pre, self.u
        u.pt("pc", (t,), self.E("Pc", "CHAIN"))
        u.pt("ev", (t,), self.E("Ev", ev))
        u.fn("cal", lambda x, c: z3.If(x == t, False, p.cal(x, c)))
        u.pt("stop", (t,), False)
        u.pt("cerr", (t,), False)
        if ev in ("GON", "GOFF"):
            u.flag("v_closed", z3.Or(p.opn(t), p.gdone(t)))
            u.pt("opn", (t,), True)
            u.pt("gon", (t,), ev == "GON")
        else:
            on = ev in ("XON", "CON")
            u.flag("v_closed", z3.Not(z3.And(p.opn(t), p.gon(t) == on)))
            u.pt("opn", (t,), False)
            u.pt("gdone", (t,), True)
            u.pt("cbo", (t,), ev == "XOFF")

    def set_state(self, b: Any, on: Any, going: Any) -> None:
        self.u.pt("st_on", (b,), on)
        self.u.pt("st_go", (b,), going)

    def set_pages(self, b: Any, on: Any, iso: Any) -> None:
        self.u.pt("pg_on", (b,), on)
        self.u.pt("pg_iso", (b,), iso)

    def noother(self, b: Any, n: Any, kernel: bool = False) -> Any:
        """No other block of node ``n`` has counted pages (kernel zone only, if asked)."""
        p = self.pre
        y = z3.Const("y_other", self.sig.sort("B"))
        cond = [y != b, p.bn(y, n), p.nonres(y)] + ([p.kz(y)] if kernel else [])
        return z3.ForAll([y], z3.Not(z3.And(*cond)))

    def remove_flag(self, t: Any, b: Any, when: Any) -> None:
        """remove_only_offline: the block goes while it is not offline (own offline excepted)."""
        p = self.pre
        self.u.flag("v_remove", z3.And(when, p.present(b),
                                       z3.Or(p.st_on(b), z3.And(p.st_go(b), z3.Not(p.cbo(t))))))

    def remove_block(self, t: Any, b: Any, when: Any) -> None:
        """try_remove_memory() (hot_remove=offline_and_remove): device, links, sections,
        resource (if ``when``)."""
        p, u = self.pre, self.u
        self.remove_flag(t, b, when)
        for r in ("present", "reg", "res"):
            u.pt(r, (b,), z3.And(z3.Not(when), p.syms[r](b)))
        u.fn("link", lambda x, y: z3.And(p.link(x, y), z3.Not(z3.And(when, y == b))))
        u.fn("blink", lambda y, x: z3.And(p.blink(y, x), z3.Not(z3.And(when, y == b))))
        u.fn("stale", lambda x: z3.Or(p.stale(x), z3.And(
            when, x != t, z3.Not(p.is_pc(x, "IDLE")), p.is_kind(x, "WON", "WOFF"), p.blk(x) == b)))


def flipcheck(c: Ctx, t: Any, n: Any, new_nmem: Any) -> None:
    """A node's memory state flips only in an operation that announced it (Monitor._flip)."""
    c.u.flag("v_scn", z3.And(new_nmem != c.pre.nmem(n), z3.Not(c.pre.scn(t))))


