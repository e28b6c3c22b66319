"""Promela for SPIN from the one definition: a spec world and profile as the relation's paths.

Models: the transition system the compiled explorer searches (:mod:`.codegen`), for SPIN. Every
field of the packing (:mod:`.pack`) is a global variable of the smallest Promela type that holds
its domain, initialised to the world's initial state; one process runs a ``do`` loop with one
``d_step`` option per path of the relation (its whole guard, pinned control tuple included,
then the updates, computed from the state before the step), so SPIN stores one state per state
the compiled explorer stores. The byte counts of writes in flight are ``hidden``, as the
explorer's key leaves them out (checker.model). Each history finding a path reports is an
``assert`` on the state before the step, named after its invariant; so are none of the state
invariants (the spec's Monitor judges those in memhp only), which the header says.

Leaves out: the state invariants and the twins (Python in the spec's Monitor); symmetry and
partial-order reduction (SPIN's own partial-order reduction has nothing to act on in one
process).
"""

from __future__ import annotations

import re

import z3

from checker.engines.compiled.codegen import Render
from checker.engines.compiled.notes import NotedSystem
from checker.engines.compiled.pack import Packing
from checker.model import SpecModel

_HEADER = """\
/* World {world}, profile {profile}: the memory-hotplug spec as Promela, written by
 * `memhp export promela` from the spec's one definition of the steps and of the Monitor's
 * history ({paths} paths, {fields} fields).
 * Run:  spin -a {file} && gcc -O2 -DSAFETY -o pan pan.c && ./pan -E -m1000000
 * (-E: a state where nothing is enabled is where the world stops, not a deadlock; -A leaves
 * out the asserts, to count states only). The asserts are the history findings
 * (notifier_protocol, chain_order, status_change_nid, ...); the state invariants (state
 * strings, page accounting, node states, sysfs) are judged by memhp only. */
"""


class PromelaRender(Render):
    """Z3 terms of the frame before a step as Promela expressions over the global variables."""

    AND, OR, NOT, ITE, TRUE, FALSE = " && ", " || ", "(!{0})", "({0} -> {1} : {2})", "true", "false"

    def var(self, name: str) -> str:
        return promela_name(name)


def promela_name(field: str) -> str:
    """The variable of a packed field: ``b0.present`` -> ``b0_present``."""
    return "f_" + re.sub(r"[^A-Za-z0-9]", "_", field)


def _type(lo: int, hi: int, boolean: bool) -> str:
    if boolean:
        return "bit"
    if 0 <= lo and hi <= 255:
        return "byte"
    if -32768 <= lo and hi <= 32767:
        return "short"
    return "int"


def render(model: SpecModel, file: str = "model.pml") -> str:
    """The Promela model of ``model``'s world and profile (module docstring)."""
    sy = NotedSystem(model.world, model.profile, model.steps_class)
    P = Packing(sy.L, model.initial()[0].machine)
    init = P.unpack(P.pack(sy.initial_values()))
    hidden = {f"t{t}.count" for t in range(len(sy.L.threads))}
    out = [_HEADER.format(world=model.world.name, profile=model.profile.name, file=file,
                          paths=len(sy.paths), fields=len(P.order))]
    for n in P.order:
        lo, hi = P.lo[n], P.lo[n] + (1 << P.width[n]) - 1
        kind = _type(lo, hi, n in sy.L.bools)
        out.append(f"{'hidden ' if n in hidden else ''}{kind} {promela_name(n)} = {init[n]};")
    temps = sorted({n for p in sy.paths for n, v in p.upd.items() if isinstance(v, z3.ExprRef)},
                   key=P.index.__getitem__)
    for n in temps:
        out.append(f"hidden int x_{promela_name(n)};")
    out += ["", "active proctype memhp() {", "  do"]
    memo: dict[int, tuple[str, frozenset[str]]] = {}
    r = PromelaRender(P, memo)
    for p, path in enumerate(sy.paths):
        guard = " && ".join(r(g) for g in path.guard) or "true"
        body = [f"({guard})"]
        for inv, _tpl, _holes, c in sy.judged[p].violations:
            body.append(f"assert(!({r(c)})) /* {inv} */")
        const, comp = [], []
        for n, v in path.upd.items():
            if isinstance(v, z3.ExprRef):
                body.append(f"x_{promela_name(n)} = {r(v)}")
                comp.append(f"{promela_name(n)} = x_{promela_name(n)}")
            else:
                const.append(f"{promela_name(n)} = {int(v)}")
        body += comp + const
        label = re.sub(r"[^ -~]|\*/", "?", path.action.label())
        out.append(f"  :: d_step {{ {'; '.join(body)} }} /* {p}: {label} */")
    out += ["  od", "}", ""]
    return "\n".join(out)


__all__ = ["PromelaRender", "promela_name", "render"]
