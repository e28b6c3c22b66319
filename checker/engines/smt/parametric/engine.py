"""Inductive proofs of the parametric model with Z3: Houdini over candidate lemmas, then verdicts.

Models: the inductiveness check of mypyvy/Ivy. For the conjunction Inv of the invariants and the
surviving lemmas, each query is ``axioms ∧ Inv ∧ τ ∧ ¬C'`` for one transition τ and the
conjuncts C (all at once, with a Boolean naming each): unsat for every τ means Inv is inductive.
A conjunct false in the initial states or after some τ is dropped, and the checks start again
(Houdini); what is left is the largest inductive subset of the candidates. An invariant in it
is ``proved`` for every number of blocks, nodes, callbacks and threads. A dropped invariant is
``violated`` if a bounded search from the initial states reaches a state breaking it (a path of
the abstract model, for some world), else ``cti`` with the pre-state and transition that broke
it. A solver timeout makes everything not yet settled ``unknown``.

Leaves out: decoding a path of the abstract model into a Trace of a world (the explorer and the
world-level engines give replayable traces; this engine says which transitions the path took).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from checker.engines.smt.parametric.flags import require
from checker.engines.smt.parametric.invariants import Prop, axioms, initial, lemmas, properties
from checker.engines.smt.parametric.transitions import instantiate, rules
from checker.engines.smt.parametric.vocab import EVENT_NAMES, Sig, Vocab, make_sig
from spec.profiles import Profile


class SolverGaveUp(Exception):
    """A query came back unknown (timeout or resource limit)."""


@dataclass
class Outcome:
    """What happened to one invariant."""

    verdict: str  # proved / violated / cti / unknown
    message: str


@dataclass
class ProofRun:
    profile: str
    mutant: str | None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    kept_lemmas: list[str] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0


def _solver(timeout_ms: int) -> Any:
    s = z3.Solver()
    s.set("timeout", max(1, timeout_ms))
    return s


def describe(m: Any, V: Vocab) -> str:
    """A short text of one state of a Z3 model: threads in flight and the blocks they touch."""
    sig = V.sig

    def ev(x: Any) -> Any:
        return m.eval(x, model_completion=True)

    def truth(x: Any) -> bool:
        return z3.is_true(ev(x))

    def val(x: Any) -> str:  # an enumeration value without its sort's unique suffix
        return str(ev(x)).split(".")[0]

    def universe(s: str) -> list[Any]:
        srt = sig.sort(s)
        if sig.domains and srt.name() in sig.domains:
            return sig.domains[srt.name()]
        return list(m.get_universe(srt) or [])
    blocks, threads = universe("B"), universe("T")
    names = {str(b): f"b{i}" for i, b in enumerate(blocks)}
    parts = [(f"{len(blocks)} block(s), {len(universe('N'))} node(s), "
              f"{len(universe('C'))} callback(s), {len(threads)} thread(s)")]
    for i, t in enumerate(threads):
        pc = val(V.pc(t))
        if pc == "IDLE":
            continue
        desc = f"t{i}: {val(V.kind(t))} on {names.get(str(ev(V.blk(t))), '?')} at {pc}"
        if pc == "CHAIN":
            desc += f" delivering {EVENT_NAMES.get(val(V.ev(t)), '?')}"
        flags = [f for f in ("opn", "gdone", "scn", "err", "stop", "cerr") if truth(V.syms[f](t))]
        parts.append(desc + (f" [{', '.join(flags)}]" if flags else ""))
    for b in blocks:
        st = "going-offline" if truth(V.st_go(b)) else "online" if truth(V.st_on(b)) else "offline"
        pg = "online" if truth(V.pg_on(b)) else "isolated" if truth(V.pg_iso(b)) else "reserved"
        extra = [f for f in ("present", "reg") if truth(V.syms[f](b))]
        parts.append(f"{names[str(b)]}: state {st}, pages {pg}, {' '.join(extra) or 'absent'}")
    if truth(V.locked):
        parts.append("hotplug lock held")
    return "; ".join(parts)


def symbols(e: Any) -> set[str]:
    """The state symbols a formula reads (by name, without the copy suffix)."""
    out: set[str] = set()
    seen: set[int] = set()
    todo = [e]
    while todo:
        x = todo.pop()
        if x.get_id() in seen:
            continue
        seen.add(x.get_id())
        if z3.is_quantifier(x):
            todo.append(x.body())
            continue
        if z3.is_app(x):
            name = x.decl().name()
            if "@" in name:
                out.add(name.split("@")[0])
            todo.extend(x.children())
    return out


def ground(e: Any, domains: dict[str, list[Any]]) -> Any:
    """``e`` with every quantifier over a finite sort expanded into a conjunction or
    disjunction of its instances (for finite instances: the query becomes quantifier-free)."""
    cache: dict[int, tuple[Any, Any]] = {}  # keeps the key alive, so its id is not reused

    def go(x: Any) -> Any:
        key = x.get_id()
        if key in cache:
            return cache[key][1]
        if z3.is_quantifier(x):
            n = x.num_vars()
            doms = [domains[x.var_sort(i).name()] for i in range(n)]
            insts = []
            for combo in _product(doms):
                # outermost first (de Bruijn: variable i of the binder is index n - 1 - i)
                insts.append(go(z3.substitute_vars(x.body(), *reversed(combo))))
            out = z3.And(*insts) if x.is_forall() else z3.Or(*insts)
        elif z3.is_app(x) and x.num_args():
            kids = [go(c) for c in x.children()]
            out = z3.substitute(x, *[(a, b) for a, b in zip(x.children(), kids)
                                     if not a.eq(b)]) if any(
                not a.eq(b) for a, b in zip(x.children(), kids)) else x
        else:
            out = x
        cache[key] = (x, out)
        return out

    return go(e)


def _product(doms: list[list[Any]]) -> list[list[Any]]:
    out: list[list[Any]] = [[]]
    for d in doms:
        out = [o + [v] for o in out for v in d]
    return out


class Prover:
    """Houdini over one profile (optionally with a mutated transition); UnsupportedProfile
    if the model lacks one of the profile's behaviours."""

    def __init__(self, profile: str | Profile, timeout: float, mutant: str | None = None,
                 sig: Sig | None = None, extra_axioms: Any = None,
                 init: Any = None) -> None:
        self.profile: Profile = require(profile)
        self.mutant = mutant
        self.timeout_ms = int(timeout * 1000)
        self.sig = sig or make_sig()
        self.pre, self.post = Vocab(self.sig, "0"), Vocab(self.sig, "1")
        self.ax = axioms(self.sig) if extra_axioms is None else z3.And(axioms(self.sig), extra_axioms)
        self.init = init if init is not None else initial
        self.props = properties(self.profile)
        self.cands: list[Prop] = self.props + lemmas(self.profile)
        self.rules = rules(self.profile)
        self.queries = 0
        self.deadline = 0.0
        doms = self.sig.domains
        self.g = (lambda e: ground(e, doms)) if doms else (lambda e: e)

    def _check(self, s: Any, assumptions: list[Any]) -> Any:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SolverGaveUp("time budget used up")
        s.set("timeout", max(1, int(min(self.timeout_ms, left * 1000))))  # per query
        self.queries += 1
        r = s.check(*assumptions)
        if r == z3.unknown:
            raise SolverGaveUp(s.reason_unknown())
        return r

    def houdini(self, budget: float = float("inf")) -> tuple[list[Prop], dict[str, str], dict[str, set[str]]]:
        """The largest inductive subset of the candidates, why each dropped one went, and for
        each kept one the conjuncts its preservation used (unsat cores, over all transitions)."""
        self.deadline = time.monotonic() + budget
        alive = list(self.cands)
        why: dict[str, str] = {}
        g = self.g
        s = _solver(self.timeout_ms)
        s.add(g(self.ax), g(self.init(self.pre, self.profile)))
        if self._check(s, []) == z3.unsat:
            raise AssertionError("the initial states are empty: every proof would be vacuous")
        for p in list(alive):
            s.push()
            s.add(g(z3.Not(p.formula(self.pre))))
            if self._check(s, []) == z3.sat:
                alive.remove(p)
                why[p.name] = "false in an initial state: " + describe(s.model(), self.pre)
            s.pop()
        solvers = []
        for k, rule in enumerate(self.rules):
            s = _solver(self.timeout_ms)
            tr, changes = instantiate(rule, self.pre, self.post, self.profile, self.mutant, f"@{k}")
            s.add(g(self.ax), g(tr))
            ind = {p.name: z3.Bool(f"pre_{p.name}@{k}") for p in self.cands}
            for p in self.cands:
                s.add(z3.Implies(ind[p.name], g(p.formula(self.pre))))
            solvers.append((rule, s, ind, {str(v): n for n, v in ind.items()}, changes))
        cores: dict[tuple[int, str], set[str]] = {}
        reads = {p.name: symbols(p.formula(self.pre)) for p in self.cands}
        changed = True
        while changed:
            changed = False
            names = {p.name for p in alive}
            for k, (rule, s, ind, back, changes) in enumerate(solvers):
                for p in list(alive):
                    core = cores.get((k, p.name))
                    if core is not None and core <= names:
                        continue
                    if not reads[p.name] & changes:  # the frame keeps every symbol it reads
                        cores[(k, p.name)] = {p.name}
                        continue
                    s.push()
                    s.add(g(z3.Not(p.formula(self.post))))
                    r = self._check(s, [ind[q.name] for q in alive])
                    if r == z3.unsat:
                        cores[(k, p.name)] = {back[str(x)] for x in s.unsat_core()}
                    else:
                        alive.remove(p)
                        names.discard(p.name)
                        why[p.name] = f"not preserved by {rule.name} from: " + describe(
                            s.model(), self.pre)
                        changed = True
                    s.pop()
        # which conjuncts each invariant's preservation uses (unsat cores, all transitions)
        used = {p.name: set().union(*[cores.get((k, p.name), set()) for k in range(len(solvers))])
                - {p.name} for p in alive}
        return alive, why, used

    def bmc(self, prop: Prop, depth: int, budget: float) -> tuple[int, list[str]] | None:
        """A path of at most ``depth`` transitions from an initial state to a state where
        ``prop`` is false, or None."""
        self.deadline = time.monotonic() + budget
        s = _solver(self.timeout_ms)
        g = self.g
        Vs = [Vocab(self.sig, "k0")]
        s.add(g(self.ax), g(self.init(Vs[0], self.profile)))
        picks: list[list[tuple[str, Any]]] = []
        for k in range(depth + 1):
            s.push()
            s.add(g(z3.Not(prop.formula(Vs[k]))))
            if self._check(s, []) == z3.sat:
                m = s.model()
                path = [name for step in picks for name, sel in step
                        if z3.is_true(m.eval(sel, model_completion=True))]
                return k, path
            s.pop()
            if k == depth:
                break
            nxt = Vocab(self.sig, f"k{k + 1}")
            step = []
            for j, rule in enumerate(self.rules):
                tr, _ = instantiate(rule, Vs[k], nxt, self.profile, self.mutant, f"@{k}.{j}")
                sel = z3.Bool(f"sel@{k}.{j}")
                s.add(sel == g(tr))
                step.append((rule.name, sel))
            s.add(z3.Or(*[sel for _, sel in step]))
            picks.append(step)
            Vs.append(nxt)
        return None


def prove(profile: str | Profile, timeout: float, mutant: str | None = None, bmc_depth: int = 0,
          only: set[str] | None = None) -> ProofRun:
    """Run the parametric proof of every invariant (or those in ``only``) for ``profile``.
    ``timeout`` (seconds) bounds each solver query; the bounded search, if asked for, gets
    ``timeout`` per invariant in all."""
    t0 = time.monotonic()
    profile = require(profile)
    pr = Prover(profile, timeout, mutant)
    if only:
        pr.props = [p for p in pr.props if p.name in only]
        pr.cands = pr.props + [c for c in pr.cands if not c.safety]
    run = ProofRun(profile.name, mutant)
    try:
        alive, why, used = pr.houdini()
    except SolverGaveUp as e:
        for p in pr.props:
            run.outcomes[p.name] = Outcome("unknown", f"solver gave up ({e}) before the "
                                           "inductive invariant was settled")
        run.queries, run.seconds = pr.queries, time.monotonic() - t0
        return run
    kept = [p.name for p in alive if not p.safety]
    run.kept_lemmas = kept
    small = Prover(profile, timeout, mutant, sig=make_sig(
        finite={"B": 2, "N": 2, "C": 2, "T": 2}, tag="s")) if bmc_depth > 0 else pr
    for p in pr.props:
        if p in alive:
            need = sorted(used[p.name])
            run.outcomes[p.name] = Outcome(
                "proved", f"inductive (k=1) for any number of blocks, nodes, callbacks and "
                          f"threads; its preservation uses the lemmas {', '.join(need) or '(none)'} "
                          f"of a {len(alive)}-conjunct inductive invariant")
            continue
        hit = None
        if bmc_depth > 0:
            try:
                hit = small.bmc(p, bmc_depth, budget=timeout)
            except SolverGaveUp:
                hit = None
        if hit is not None:
            k, path = hit
            run.outcomes[p.name] = Outcome(
                "violated", f"a path of the parametric model (two blocks, nodes, callbacks, "
                            f"threads) breaks it after {k} transitions: "
                            f"{' -> '.join(path) or 'the initial state'}")
        else:
            searched = (f"; no violation within {bmc_depth} transitions of a finite instance"
                        if bmc_depth > 0 else "")
            run.outcomes[p.name] = Outcome(
                "cti", f"counterexample to induction{searched}: {why[p.name]}")
    run.queries, run.seconds = pr.queries, time.monotonic() - t0
    return run
