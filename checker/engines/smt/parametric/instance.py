"""The parametric model instantiated on one World: finite sorts, the world's facts, its boot state.

Models: blocks, nodes, callbacks (in chain order) and threads (the world's writers, then the
firmware thread) become the elements of finite sorts; the rigid relations take the world's values
(each block's node, hot-pluggability, unmovable pages, offline refusals, holes, CPUs); the initial
state is ``spec.state.initial_machine`` of the world, translated fact by fact. Every quantifier
is expanded over the finite sorts, so the queries are quantifier-free.

Leaves out: blocks that span two nodes (the parametric model gives each block one node; such a
world is refused with a WorldError).
"""

from __future__ import annotations

from typing import Any

import z3

from checker.engines.smt.parametric.flags import DEVICE_HOTPLUG, require
from checker.engines.smt.parametric.vocab import Sig, Vocab, make_sig
from spec.actions import MEM_GOING_OFFLINE, MEM_ONLINE
from spec.config import World
from spec.errors import WorldError
from spec.profiles import Profile
from spec.state import KERNEL_ZONES, PAGES_ISOLATED, PAGES_ONLINE, initial_machine


def instance_sig(world: World, tag: str = "w") -> Sig:
    sizes = {"B": len(world.blocks), "N": len(world.nodes), "C": len(world.callbacks),
             "T": world.writers + 1}
    return make_sig(finite=sizes, tag=tag)


def world_facts(world: World, profile: str | Profile, sig: Sig) -> tuple[Any, Any]:
    """(axioms fixing the rigid relations, the initial-state predicate of the world)."""
    if any(len(b.nodes) != 1 for b in world.blocks):
        raise WorldError(f"world {world.name!r}: a block spans two nodes, which the parametric "
                         "model does not describe")
    prof = require(profile)
    dom = sig.domains or {}
    B = dom[sig.sort("B").name()]
    N = dom[sig.sort("N").name()]
    C = dom[sig.sort("C").name()]
    T = dom[sig.sort("T").name()]
    r = sig.rigid
    facts = []
    chain = world.chain()
    for i, c1 in enumerate(chain):
        for j, c2 in enumerate(chain):
            facts.append(r["lt"](C[i], C[j]) == (i < j))
    for i, b in enumerate(world.blocks):
        for n in range(len(world.nodes)):
            facts.append(r["bn"](B[i], N[n]) == (b.node == n))
        facts.append(r["hot"](B[i]) == b.hotplug)
        facts.append(r["unmov"](B[i]) == b.unmovable)
        multi = b.boot != "absent" and len(b.zones) != 1
        holes = bool(b.hole_pages or b.missing_sections)
        # refused at offline entry whatever the flags: no single zone; in the device-core
        # offline path (memory_subsys_offline() under device_hotplug_lock) a missing section
        # too. Holes are refused by the rules where holes_refused.
        missing = bool(b.missing_sections) and prof.locks == DEVICE_HOTPLUG
        facts.append(r["refuse"](B[i]) == (multi or missing))
        facts.append(r["refuse_on"](B[i]) == bool(b.missing_sections))
        facts.append(r["hole"](B[i]) == holes)
    for n, node in enumerate(world.nodes):
        facts.append(r["cpu"](N[n]) == node.cpus)
    for k, t in enumerate(T):
        facts.append(r["fw"](t) == (k == len(T) - 1))
    m = initial_machine(world, prof)

    def init(V: Vocab, _profile: Profile) -> Any:
        out = [V.is_pc(t, "IDLE") for t in T] + [z3.Not(V.locked)] + [
            z3.Not(V.syms[f]) for f in ("v_closed", "v_promise", "v_xunseen", "v_scn", "v_remove")]
        for t in T:
            out += [z3.Not(V.syms[r](t)) for r in ("stop", "cerr", "err", "stale", "scn",
                                                   "scnn", "opn", "gon", "gdone", "cbo")]
            out += [z3.Not(V.syms[r](t, c)) for r in ("cal", "sg", "okg", "cl") for c in C]
        for i, b in enumerate(m.blocks):
            out += [V.present(B[i]) == b.present, V.reg(B[i]) == b.registered,
                    V.res(B[i]) == b.resource, V.st_on(B[i]) == (b.state == MEM_ONLINE),
                    V.st_go(B[i]) == (b.state == MEM_GOING_OFFLINE),
                    V.pg_on(B[i]) == (b.pages == PAGES_ONLINE),
                    V.pg_iso(B[i]) == (b.pages == PAGES_ISOLATED),
                    V.kz(B[i]) == any(z in KERNEL_ZONES for z in b.zones), z3.Not(V.smx(B[i]))]
            for n in range(len(world.nodes)):
                out += [V.link(N[n], B[i]) == (n in b.links), V.blink(B[i], N[n]) == (n in b.backlinks)]
        for n, node in enumerate(m.nodes):
            mem = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in prof.node_flags else "N_MEMORY"
            out += [V.nmem(N[n]) == (mem in node.flags),
                    V.nnorm(N[n]) == ("N_NORMAL_MEMORY" in node.flags), V.non(N[n]) == node.online]
        return z3.And(*out)

    return z3.And(*facts), init
