"""Promela for SPIN from the one definition: a spec world and profile as the relation's paths.

Models: the transition system the compiled explorer searches (:mod:`.codegen`), for SPIN. Every
field of the packing (:mod:`.pack`) is a global variable of the smallest Promela type that holds
its domain, initialised to the world's initial state; one process runs a ``do`` loop with one
``d_step`` option per path of the relation (its whole guard, pinned control tuple included,
then the updates, computed from the state before the step), so SPIN stores one state per state
the compiled explorer stores with ``--no-reduce`` (which keys states by every field, the byte
counts of writes in flight included: merging states that differ only there keeps the count the
search reaches first, so with the merge the number of states depends on the search order,
breadth first in memhp, depth first in SPIN). Each history finding a path reports is an
``assert`` on the state before the step, named after its invariant; the state invariants are
not (the spec's Monitor judges those in memhp only), which the header says. A last option,
never enabled, reads every field: ``spin -a`` hides the fields no statement reads (the notes,
for one), and states that differ only there would merge.

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
from checker.formats.traces import Trace
from spec.actions import Action
from spec.errors import ActionError, MemhpError

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
    out = [_HEADER.format(world=_comment(model.world.name), profile=_comment(model.profile.name),
                          file=_comment(file), paths=len(sy.paths), fields=len(P.order))]
    for n in P.order:
        lo, hi = P.lo[n], P.lo[n] + (1 << P.width[n]) - 1
        kind = _type(lo, hi, n in sy.L.bools)
        out.append(f"{kind} {promela_name(n)} = {init[n]};")
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
        out.append(f"  :: d_step {{ {'; '.join(body)} }} /* {p}: {_label(path.action)} */")
    # SPIN hides a variable no statement reads (spin -a's data-flow optimisation): states that
    # differ only there would merge. This option, never enabled, reads every field.
    reads = " + ".join(promela_name(n) for n in P.order)
    out.append(f"  :: d_step {{ (false && ({reads}) != 0) }} /* reads every field; never enabled */")
    out += ["  od", "}", ""]
    return "\n".join(out)


class TrailError(MemhpError):
    """A SPIN trail that does not fit the Promela model of this world and profile;
    ``in_model``: the Promela model is what is wrong, not the trail."""

    def __init__(self, message: str, in_model: bool = False) -> None:
        super().__init__(message)
        self.in_model = in_model


_STEP = re.compile(r"^\s*(\d+):\s+proc\s+\d+ \(memhp:\d+\) \S+:(\d+) ")
_PATH = re.compile(r"^  :: d_step \{.*\} /\* (\d+): (.*) \*/$")


def trail_actions(model: SpecModel, pml: str, spin_out: str) -> list[Action]:
    """The actions of a SPIN counterexample: ``spin_out`` is what ``spin -t -p`` printed for
    the trail of ``pml`` (a model :func:`render` wrote for ``model``'s world and profile). Each
    step of the trail is one ``d_step``, one path, on a line of its own; the paths are generated
    again and each line's label must be its path's, so a trail of another model is refused."""
    sy, paths = _trail(model, pml, spin_out)
    return [sy.paths[p].action for p in paths]


def _trail(model: SpecModel, pml: str, spin_out: str) -> tuple[NotedSystem, list[int]]:
    sy = NotedSystem(model.world, model.profile, model.steps_class)
    by_line: dict[int, int] = {}
    for n, line in enumerate(pml.splitlines(), start=1):
        m = _PATH.match(line)
        if m:
            p = int(m.group(1))
            if p >= len(sy.paths) or m.group(2) != _label(sy.paths[p].action):
                raise TrailError(f"line {n} is not path {p} of world {model.world.name} under "
                                 f"{model.profile.name}: export the model again", True)
            by_line[n] = p
    if not by_line:
        raise TrailError("no path of memhp's in it: give the file memhp export promela wrote", True)
    out: list[int] = []
    last = 0
    for line in spin_out.splitlines():
        m = _STEP.match(line)
        if m is None or int(m.group(1)) == last:
            continue
        last = int(m.group(1))
        p = by_line.get(int(m.group(2)))
        if p is None:
            raise TrailError(f"step {last} of the trail is at line {m.group(2)}, which holds no path")
        out.append(p)
    if not out:
        raise TrailError("no step of a SPIN trail in it: give what spin -t -p printed")
    return sy, out


def spin_trace(model: SpecModel, pml: str, spin_out: str) -> Trace:
    """The SPIN counterexample as a memhp trace: its actions (:func:`trail_actions`) replayed
    through the interpreted spec and judged by the spec's Monitor. The trace is named by the
    Monitor's violation, at the last step, of an invariant that step's ``d_step`` asserts; a
    trail that ends on none is a TrailError (the assert and the Monitor disagree)."""
    from checker.formats.traces import judge
    from checker.formats.traces import annotate

    sy, paths = _trail(model, pml, spin_out)
    actions = [sy.paths[p].action for p in paths]
    asserted = {inv for inv, *_ in sy.judged[paths[-1]].violations}
    try:
        steps, vs = judge(model, actions)
    except ActionError as e:
        raise TrailError(f"the trail takes a step the spec does not: {e}") from None
    found = [v for v in vs if v.invariant in asserted]
    if not found:
        raise TrailError(f"the trail's {len(actions)} steps end on no violation of what the last "
                         f"step asserts ({', '.join(sorted(asserted)) or 'nothing'}) that the "
                         "spec's Monitor reports")
    v = found[0]
    t = Trace(model.profile.name, model.world, steps, v.invariant, v.cause, v.message)
    return annotate(t, model)


def _label(a: Action) -> str:
    return _comment(a.label())


def _comment(text: str) -> str:
    """``text`` inside a Promela comment: printable ASCII, never closing the comment."""
    return re.sub(r"[^ -~]|\*/", "?", text)


__all__ = ["PromelaRender", "TrailError", "promela_name", "render", "spin_trace", "trail_actions"]
