"""BMC and k-induction of the ghost-field invariants (:mod:`checker.engines.smt.ghosts`).

Models: BMC on the :class:`~checker.engines.smt.ghosts.GhostSystem` (a violation decoded into a trace,
replayed through the spec and judged by the Monitor, like every other); then, for k = 1 up to
the bound, a Houdini run over ghost lemmas, followed by the k-induction of the three invariants
as step predicates (:func:`houdini_steps`).

The ghost lemmas relate the ghost fields to the spec's state, as the structural lemmas of
:mod:`checker.engines.smt.lemmas` relate the spec's fields to each other: candidates are projections of
the (state, Monitor state) pairs a breadth-first search of the spec with its Monitor reaches,

- ``ghost:<thread>``: the thread's control point (kind, block, request, online type, pc, next,
  event, chain position and return, waited-for lock, stale flag), its ghost fields, every
  block's presence, registration, state and online type, and the other threads' kind, block,
  pc and next;
- ``ghost:ops``: the locks, every thread's control point and its open event and run of callees;

and Houdini keeps those that Z3 proves k-inductive together. What the base run proved of the
spec's state (the kept structural lemmas and state invariants) is assumed in every frame of
these step cases: it holds of every reachable state, so assuming it is sound; nothing from the
ghost candidates is assumed.

The candidates come from the shipped ghost certificate of the world and profile
(``certificates/<world>-<profile>-ghosts.json``, same format and fingerprint check as
:mod:`checker.engines.smt.certificate`) when there is one, else from the search; a certificate whose
lemmas are not all proved is stale, and the candidates are then mined afresh.

Leaves out: ``--lemmas`` / ``--save-lemmas`` files for the ghost candidates (only the shipped
certificate is read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from checker.engines.reach import Monitored, reach
from checker.engines.smt import certificate
from checker.engines.smt.bmc import Checker, InternalError, Outcome
from checker.engines.smt.symbolic import Timeout
from checker.engines.smt.ghosts import GhostLayout, GhostSystem
from checker.engines.smt.lemmas import Projection, Terms, houdini
from spec.invariants import Monitor

Frame = dict[str, Any]
CONTROL = ("kind", "block", "req", "via", "otype", "pc", "next", "event", "cb", "chain_ret", "lock",
           "stale", "a2")


def candidates(L: GhostLayout) -> list[Projection]:
    out = []
    nt = len(L.threads)
    for t, name in enumerate(L.threads):
        keys = [f"t{t}.{f}" for f in CONTROL]
        keys += [n for n in L.names if n.startswith(f"g{t}.")]
        keys += [f"b{i}.{f}" for i in range(L.nblocks) for f in ("present", "registered", "state", "otype")]
        keys += [f"t{u}.{f}" for u in range(nt) if u != t for f in ("kind", "block", "pc", "next")]
        out.append(Projection(f"ghost:{name}", keys))
    keys = ["lock:" + lk for lk in L.locks]
    keys += [f"t{t}.{f}" for t in range(nt) for f in ("kind", "pc", "next", "event", "cb")]
    keys += [f"g{t}.{f}" for t in range(nt) for f in ("open", "rev", "rlen")]
    out.append(Projection("ghost:ops", keys))
    return out


def mine(sy: GhostSystem, budget: int, deadline: float) -> tuple[list[Projection], int, bool]:
    """The candidates with the rows of the first ``budget`` (state, Monitor state) pairs of a
    breadth-first search (stopped early at ``deadline``); the number of pairs and whether the
    search was complete."""
    search = _GhostRows(sy)
    r = reach(search, max_states=budget + 1, deadline=deadline)
    return search.cands, r.states, r.complete


class _GhostRows(Monitored):
    """Ghost mining as a search over (state, Monitor state): each expanded pair adds its row."""

    def __init__(self, sy: GhostSystem) -> None:
        sm = sy.model()
        super().__init__(sm, Monitor(sm.world, sm.profile, sm.threads, True), exact=True)
        self.L = sy.L
        self.cands = candidates(sy.L)
        self.terms = Terms(sy.L)

    def visit(self, key: Any, node: Any, depth: int) -> None:
        s, ms = node
        derived = self.terms.values({**self.L.encode(s), **self.L.encode_ghosts(ms)})
        for c in self.cands:
            c.add(derived)


# --- k-induction of the history invariants as step predicates ---------------------------------------
class StepHoudini:
    """The outcome of :func:`houdini_steps` (as lemmas.HoudiniResult)."""

    def __init__(self, k: int, names: list[str]) -> None:
        self.k, self.kept = k, list(names)
        self.dropped: dict[str, str] = {}
        self.violated: dict[str, int] = {}  # name -> depth (transitions) of a base-case failure
        self.queries = 0


def houdini_steps(sat: Callable[..., Any], sy: GhostSystem, names: list[str],
                  hyps: list[Callable[[Frame], Any]], k: int) -> StepHoudini:
    """The largest subset of the step invariants ``names`` that holds in the first k-1 steps
    and is k-inductive (module docstring); ``hyps`` are state predicates already proved of every
    reachable state (the kept conjunction of lemmas.houdini), assumed in every frame."""
    res = StepHoudini(k, names)
    for d in range(k - 1):  # base case: no bad step d in a run from the initial state
        while res.kept:
            res.queries += 1
            now = {n: sy.ghost_bad_at(n, d) for n in res.kept}
            m = sat(sy.init(0), *[sy.trans(i) for i in range(d + 1)], z3.Or(list(now.values())))
            if m is None:
                break
            for n, e in now.items():
                if z3.is_true(m.eval(e, model_completion=True)):
                    res.kept.remove(n)
                    res.violated[n] = d + 1
                    res.dropped[n] = f"violated at step {d + 1}"
    frames = [sy.frame(i) for i in range(k + 1)]
    fixed = [sy.L.domain(f) for f in frames] + [sy.trans(i) for i in range(k)]
    fixed += [h(f) for h in hyps for f in frames] + sy.distinct(0, k - 1)
    while res.kept:
        hyp = [z3.Not(sy.ghost_bad_at(n, i)) for i in range(k - 1) for n in res.kept]
        goal = {n: sy.ghost_bad_at(n, k - 1) for n in res.kept}
        res.queries += 1
        m = sat(*fixed, *hyp, z3.Or(list(goal.values())))
        if m is None:
            break
        pre = sy.L.describe(sy.L.read_model(m, frames[k - 1]))
        act = sy.action(m, k - 1).label()
        for n, e in goal.items():
            if z3.is_true(m.eval(e, model_completion=True)):
                res.kept.remove(n)
                res.dropped[n] = f"not {k}-inductive with the rest; step {act} from the pre-state: {pre}"
    return res



def _read_or_mine(sy: GhostSystem, budget: int, deadline: float, mine_fresh: bool
                  ) -> tuple[list[Projection], str]:
    """The candidates, from the shipped ghost certificate of the world and profile if there is
    one (and ``mine_fresh`` is false), else mined; and where they come from."""
    path = certificate.shipped(sy.L, "ghosts")
    if not mine_fresh and path.is_file():
        got = certificate.load(path, sy.L, candidates)
        if got is not None:
            return got[0], f"the certificate {path.name} (read from {got[1]} pairs)"
    cands, npairs, complete = mine(sy, budget, deadline)
    return cands, (f"{npairs} (state, Monitor state) pairs"
                   + ("" if complete else " (a prefix of the breadth-first search)"))


def _source_note(cands: list[Projection], source: str) -> str:
    return (f"smt: ghost lemma candidates from {source}: "
            + ", ".join(f"{c.name} ({c.nrows} rows)" for c in cands))


def _preds(sy: GhostSystem, cands: list[Projection]) -> dict[str, Callable[[Frame], Any]]:
    terms = Terms(sy.L)
    templates = {c.name: c.holds(sy.X, terms) for c in cands if c.nrows}
    return {n: (lambda S, e=e: sy.subst(e, S, None, sy.sel)) for n, e in templates.items()}


def prove(sy: GhostSystem, deadline: float, names: list[str], k: int, bmc_depth: int,
          assume: dict[str, Callable[[Frame], Any]], budget: int, mine_fresh: bool = False
          ) -> tuple[dict[str, Outcome], dict[str, int], list[str]]:
    """The verdicts of ``names`` (violated, or proved at the smallest k, or cti), how many
    steps BMC searched without a violation (per invariant) and notes; Timeout if the deadline
    strikes (the caller reports what is left unknown)."""
    ch = Checker(sy, deadline)
    out: dict[str, Outcome] = {}
    clean: dict[str, int] = {}
    notes: list[str] = []
    for n, o in ch.bmc(names, max(k - 1, bmc_depth)).items():
        if o.verdict == "violated":
            out[n] = o
        elif o.verdict == "passed":
            clean[n] = o.bound
        else:  # the deadline struck in BMC
            raise Timeout
    todo = [n for n in names if n not in out]
    if not todo:
        return out, clean, notes
    cands, source = _read_or_mine(sy, budget, deadline, mine_fresh)
    notes.append(_source_note(cands, source))
    preds = _preds(sy, cands)
    for kk in range(1, k + 1):
        h = houdini(ch._sat, sy, preds, kk, assume=list(assume.values()))
        if h.dropped and source.startswith("the certificate"):
            notes.append(f"smt: the ghost certificate's lemmas {', '.join(h.dropped)} were not "
                         f"proved (it is stale: write it again); mining instead")
            cands, source = _read_or_mine(sy, budget, deadline, True)
            notes.append(_source_note(cands, source))
            preds = _preds(sy, cands)
            h = houdini(ch._sat, sy, preds, kk, assume=list(assume.values()))
        notes.append(f"smt: k = {kk}: ghost lemmas proved: {', '.join(h.kept) or 'none'}; "
                     f"dropped: {', '.join(h.dropped) or 'none'}")
        hs = houdini_steps(ch._sat, sy, todo, list(assume.values()) + [preds[x] for x in h.kept], kk)
        for n in todo:
            if n in hs.kept:
                out[n] = Outcome("proved", kk, strengthened_by=h.kept + list(assume))
            elif n in hs.violated:
                raise InternalError(f"{n}: BMC to depth {bmc_depth} found no violation but the "
                                     f"base case fails at step {hs.violated[n]}")
            else:
                out[n] = Outcome("cti", kk, message=f"cti: {hs.dropped[n]}")
        todo = [n for n in todo if out[n].verdict != "proved"]
        if not todo:
            break
    return out, clean, notes
