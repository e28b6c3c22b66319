"""The ``smt`` engine: BMC and k-induction of the encoded invariants, as InvariantResults.

Models: BMC to depth ``k`` - 1 for every invariant :mod:`checker.engines.smt.props` encodes (a
violation comes out with its shortest trace, decoded and replayed); then, for k = 1 up to ``k``,
the Houdini loop of :mod:`checker.engines.smt.lemmas` over the invariants not violated and the
structural lemmas: the invariants in the surviving conjunction are ``proved`` at the smallest k
that keeps them, and their message names the lemmas of that conjunction (each one proved in it,
none assumed). The candidates come from a lemma certificate (:mod:`checker.engines.smt.certificate`)
when one matches the world, profile and encoding, else from the spec's reachable states; a
certificate is only a source of candidates, proved like mined ones. An invariant that no
conjunction keeps is a ``cti`` with the pre-state of the
step case that dropped it. A deadline over the whole run turns whatever is unfinished into
``unknown``.

The history invariants (judged by the Monitor on a step and on what an operation did since it
began: ``alloc_*``, ``status_change_nid``, ``remove_only_offline``, ``notifier_protocol``,
``chain_order``, ``rejected_write``) come last, on the ghost system of :mod:`checker.engines.smt.ghosts`
(:mod:`checker.engines.smt.ghost_proof`), assuming what the Houdini run above proved of the spec's
state.

Leaves out: nothing of spec/invariants.py.
"""

from __future__ import annotations

import time
from typing import Callable
from pathlib import Path

from checker.formats.results import InvariantResult
from checker.engines.smt import certificate, ghost_proof
from checker.engines.smt.bmc import Checker, Outcome
from checker.engines.smt.encoding import Layout
from checker.engines.smt.ghosts import GHOST_INVARIANTS, GhostSystem
from checker.engines.smt.lemmas import STATE_BUDGET, Projection, conjunction, houdini, mine
from checker.engines.smt.props import Props
from checker.engines.smt.symbolic import Timeout
from checker.engines.smt.system import System
from spec.config import World
from spec.invariants import BY_NAME
from spec.profiles import Profile
from spec.steps import Steps


def _candidates(sy: System, budget: int, deadline: float, lemma_file: Path | None,
                mine_fresh: bool, families: tuple[str, ...]) -> tuple[list[Projection], str]:
    """The candidate lemmas of ``families`` and where they come from (for the notes)."""
    cands, source = _read_or_mine(sy, budget, deadline, lemma_file, mine_fresh)
    return [c for c in cands if c.name.split(":")[0] in families], source


def _read_or_mine(sy: System, budget: int, deadline: float, lemma_file: Path | None,
                  mine_fresh: bool) -> tuple[list[Projection], str]:
    if not mine_fresh:
        path = lemma_file or certificate.shipped(sy.L)
        if lemma_file is not None or path.is_file():
            got = certificate.load(path, sy.L)
            if got is not None:
                return got[0], f"the certificate {path.name} (read from {got[1]} spec states)"
            if lemma_file is not None:
                raise certificate.CertificateError(
                    f"{path}: the certificate is for another world, profile or encoding; "
                    f"write it again with memhp prove --save-lemmas")
    cands, nstates, complete = mine(sy, budget, deadline)
    return cands, f"{nstates} spec states" + ("" if complete else
                                              " (a prefix of the breadth-first search)")


def prove(world: World, profile: Profile, k: int, timeout: float,
          steps: type[Steps] = Steps,
          families: tuple[str, ...] = ("control", "locks", "block", "node"),
          budget: int = STATE_BUDGET, lemma_file: Path | None = None,
          mine_fresh: bool = False, bmc_depth: int | None = None,
          phase: Callable[[str], None] | None = None
          ) -> tuple[list[InvariantResult], list[str]]:
    """The encoded invariants' verdicts and notes. ``families`` picks the kinds of candidate
    lemma (by name prefix; empty: plain k-induction of the invariants together); ``budget``
    is the number of the spec's states the candidates are read from. The candidates come
    from ``lemma_file`` (a certificate; it must match the world and profile), else from the
    shipped certificate of the world and profile if there is one, else (and with
    ``mine_fresh``) from the spec's states; a certificate whose lemmas are not all proved is
    stale, and the candidates are then mined afresh. BMC runs first, to ``bmc_depth``
    transitions (default k - 1, the base case k-induction needs). ``phase`` is told what the
    run is doing as each phase starts (``memhp prove``'s progress line on a terminal)."""
    say = phase if phase is not None else (lambda text: None)
    deadline = time.monotonic() + timeout
    say("building the transition relation")
    ghosts = list(GHOST_INVARIANTS)
    try:
        sy = System(world, profile, steps, deadline)
    except Timeout:  # no verdict at all: every invariant is unknown
        msg = f"the timeout ({timeout:g} s for the run) struck while the relation was built"
        names = Props(Layout(world, profile, steps)).names() + ghosts
        return ([InvariantResult(n, BY_NAME[n].seed_section, "smt", "unknown", 0, None, msg, "")
                 for n in names], [f"smt: {msg}"])
    mine_fresh = mine_fresh or steps is not Steps  # a mutant's own states
    ch = Checker(sy, deadline)
    props = Props(sy.L)
    names = props.names()
    out: dict[str, Outcome] = {}
    notes: list[str] = []
    clean: dict[str, int] = {}  # how many steps BMC searched without finding a violation
    try:
        for n, o in ch.bmc(names, max(k - 1, bmc_depth or 0), phase).items():
            if o.verdict == "violated":
                out[n] = o
            elif o.verdict == "passed" or o.bound > 0:
                clean[n] = o.bound if o.verdict == "passed" else o.bound - 1
    except Timeout:
        pass
    todo = [n for n in names if n not in out]
    proved: dict = {}  # the last Houdini run's kept conjunction (each member proved)
    try:
        say("reading the candidate lemmas")
        cands, source = _candidates(sy, budget, deadline, lemma_file, mine_fresh, families)
        notes.append(f"smt: {len(cands)} candidate lemmas from {source}: "
                     + ", ".join(f"{c.name} ({c.nrows} rows)" for c in cands))
        for kk in range(1, k + 1):
            if not todo:
                break
            say(f"k-induction, k = {kk} of {k}: Houdini over {len(cands)} candidate lemmas and "
                f"{len(todo)} invariants")
            live = [n for n in names if n not in out or out[n].verdict != "violated"]
            preds = conjunction(sy, props, live, cands)
            h = houdini(ch._sat, sy, preds, kk)
            stale = [x for x in h.dropped if x not in names]
            if stale and source.startswith("the certificate"):
                notes.append(f"smt: the certificate's lemmas {', '.join(stale)} were not proved "
                             f"(it is stale: write it again); mining the spec's states instead")
                cands, source = _candidates(sy, budget, deadline, None, True, families)
                preds = conjunction(sy, props, live, cands)
                h = houdini(ch._sat, sy, preds, kk)
            proved = {x: preds[x] for x in h.kept}
            lemmas = [x for x in h.kept if x not in names]
            notes.append(f"smt: k = {kk}: lemmas proved ({len(lemmas)} of {len(cands)}): "
                         f"{', '.join(lemmas) or 'none'}; dropped: "
                         f"{', '.join(x for x in h.dropped if x not in names) or 'none'}")
            for n in todo:
                if n in h.kept:
                    out[n] = Outcome("proved", kk, strengthened_by=lemmas)
                else:
                    out[n] = Outcome("cti", kk, message=f"cti: {h.dropped[n]}")
            todo = [n for n in todo if n not in h.kept]
    except Timeout:  # what was left undecided (cti at a smaller k included) is unknown
        for n in todo:
            out[n] = Outcome("unknown", k, message=f"solver timeout ({timeout:g} s for the run)"
                             + (f"; at a smaller k, {out[n].message}" if n in out else ""))
    try:  # last: the larger system must not take the deadline from the verdicts above
        say(f"the ghost-field invariants ({', '.join(ghosts)})")
        g_out, g_clean, g_notes = ghost_proof.prove(GhostSystem(world, profile, steps, deadline), deadline,
                                                    ghosts, k, max(k - 1, bmc_depth or 0), proved, budget,
                                                    mine_fresh)
        out.update(g_out)
        clean.update(g_clean)
        notes += g_notes
    except Timeout:
        pass
    for n in names + ghosts:
        out.setdefault(n, Outcome("unknown", k, message=f"solver timeout ({timeout:g} s for the run)"))
    results = []
    for n in names + ghosts:
        o = out[n]
        msg = o.message
        if o.verdict == "proved":
            msg = f"{o.bound}-inductive" + (f" together with the lemmas {', '.join(o.strengthened_by)}"
                                            if o.strengthened_by else "")
        elif o.verdict == "violated" and o.trace is not None:
            msg = o.trace.message or ""
        elif n in clean:  # cti or unknown: say how far BMC looked (--bmc-depth looks further)
            msg = (f"BMC: no violation within {clean[n]} steps; " if clean[n] else
                   "BMC: none in the initial state; ") + msg
        results.append(InvariantResult(n, BY_NAME[n].seed_section, "smt", o.verdict, o.bound,
                                       o.trace, msg, o.trace.cause or "" if o.trace else ""))
    return results, notes
