"""The ``smt`` engine: BMC and k-induction of the encoded invariants, as InvariantResults.

Models: for each invariant :mod:`checker.smt.props` encodes, k-induction up to ``k`` (its base
case is BMC, so a violation comes out with its shortest trace, decoded and replayed); an
invariant left with a counterexample to induction is retried with the invariants already
proved as lemmas (sound: they hold in every reachable state), and then with all the others
(which, if it helps, is reported as a hint, the verdict staying ``cti``). A deadline over the
whole run turns whatever is unfinished into ``unknown``.

Leaves out: the invariants props.NOT_ENCODED lists (they are named in the notes).
"""

from __future__ import annotations

import time

from checker.results import InvariantResult
from checker.smt.bmc import Checker, Outcome, Timeout
from checker.smt.props import NOT_ENCODED, Props
from checker.smt.symspec import SymSpec
from checker.smt.system import System
from spec.config import World
from spec.invariants import BY_NAME
from spec.profiles import Profile


def prove(world: World, profile: Profile, k: int, timeout: float,
          sym: type[SymSpec] = SymSpec, spec_cls: object = None
          ) -> tuple[list[InvariantResult], list[str]]:
    deadline = time.monotonic() + timeout
    sy = System(world, profile, sym, spec_cls)
    ch = Checker(sy, deadline)
    names = Props(sy.L).names()
    out: dict[str, Outcome] = {}
    for n in names:
        try:
            out[n] = ch.kind(n, k)
        except Timeout:
            out[n] = Outcome("unknown", k, message=f"solver timeout ({timeout:g} s for the run)")
    proved = [n for n in names if out[n].verdict == "proved"]
    for n in names:
        if out[n].verdict != "cti":
            continue
        try:
            if proved:
                o = ch.kind(n, k, tuple(proved))
                if o.verdict == "proved":
                    out[n] = o
                    continue
            others = tuple(m for m in names if m != n and out[m].verdict not in ("violated",))
            if others and ch.kind(n, k, others).verdict == "proved":
                out[n].message = (f"k-inductive together with {', '.join(others)} (not all proved); "
                                  f"cti pre-state: {out[n].message}")
            else:
                out[n].message = f"cti pre-state: {out[n].message}"
        except Timeout:
            out[n].message = f"cti pre-state: {out[n].message} (strengthening timed out)"
    results = []
    for n in names:
        o = out[n]
        msg = o.message
        if o.verdict == "proved":
            msg = f"{o.bound}-inductive" + (f" with lemmas {', '.join(o.strengthened_by)}"
                                            if o.strengthened_by else "")
        elif o.verdict == "violated" and o.trace is not None:
            msg = o.trace.message or ""
        results.append(InvariantResult(n, BY_NAME[n].seed_section, "smt", o.verdict, o.bound,
                                       o.trace, msg, o.trace.cause or "" if o.trace else ""))
    notes = [f"smt: {n} not encoded ({why})" for n, why in NOT_ENCODED.items()]
    return results, notes
