"""``memhp review``: what a patched kernel mirror breaks and what it changes, against a profile.

A patch is a module that defines some of the mirror's functions (design.md section 0). Review
runs three checks on it, each against the unmodified base profile on the same world:

1. **invariants**: explore(MirrorModel(world, patch)) to ``depth`` steps, breadth first (shortest
   traces); an (invariant, cause) the patch violates that the base profile's spec does not
   violate to the same depth is *broken*; one the base violates and the patch does not, *fixed*;
2. **lockstep** (where it applies: a Hypothesis budget is given): the patched mirror against the
   base spec; a failing example of m actions breaks an invariant only if the base spec, explored
   to m steps, does not show the same (invariant, cause) (the same bound on both sides,
   :class:`BaseFindings`); a base finding the patch reaches in fewer steps is a behaviour change,
   as is a divergence from the spec ("lockstep");
3. **behaviour**: the diff (checker.review.diff) of the base mirror and the patched mirror, operations
   ``ops`` deep.

Verdict: ``breaks promises`` (something broken), ``changes behaviour`` (differences only),
``no observable change`` (to the bounds given; the bounds are part of the verdict), with exit 1,
1 and 0. A module that does not import, defines no mirror function, or raises while it runs is
an error (ImplError: one line naming the module, and the function and line that raised; exit 2).

Leaves out: the Z3 engine, and profiles without a kernel mirror (v3.8, v4.15, v5.6, v6.17: the
mirror renders v3.4 and v6.1 only).
"""

from __future__ import annotations

import inspect
import time
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.review.diff import DiffResult, diff_models
from checker.engines.explore import explore
from checker.model import MirrorModel, SpecModel
from checker.formats.traces import Trace
from spec.config import World
from spec.errors import ImplError
from spec.profiles import Profile

MIRRORED = ("v3.4", "v6.1")


@dataclass
class Broken:
    invariant: str
    cause: str
    message: str
    engine: str
    trace: Trace | None
    #: how it was found: ``steps:D`` (every interleaving to D steps), ``operations:N``
    #: (operations one at a time, N deep), ``examples`` (Hypothesis)
    bound: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"invariant": self.invariant, "cause": self.cause, "message": self.message,
                "engine": self.engine, "bound": self.bound,
                "trace": self.trace.to_json() if self.trace is not None else None}


@dataclass
class ReviewResult:
    impl: str
    against: str
    world: str
    depth: int
    ops: int
    overrides: list[str] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    lockstep: str = "not run"
    diff: DiffResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    states: int = 0
    #: base findings the patch reaches in fewer steps: (key, patch's steps, base's shortest)
    sooner: list[tuple[tuple[str, str], int, int]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.broken:
            return "breaks promises"
        if (self.diff is not None and self.diff.differences) or self.lockstep.startswith("diverges") \
                or self.sooner:
            return "changes behaviour"
        return "no observable change"

    @property
    def exit(self) -> int:
        return 0 if self.verdict == "no observable change" else 1


def load_patch(spec: str) -> types.ModuleType:
    """Import the patch; an error names the file, the line and what went wrong."""
    from checker.model import load_impl

    path = Path(spec)
    if spec.endswith(".py") and path.is_file():
        try:
            compile(path.read_text(), str(path), "exec")
        except SyntaxError as e:
            raise ImplError(f"{spec}:{e.lineno}: does not compile: {e.msg}") from None
    try:
        return load_impl(spec)  # type: ignore[no-any-return]
    except ImplError as e:
        raise ImplError(str(e)) from None


def overrides(impl: types.ModuleType, profile: str) -> list[str]:
    """The mirror functions the patch replaces; a patch that replaces none, or one whose
    parameters are not the base function's (a patch written for the other profile), is an
    error naming the function and the signature expected."""
    from spec.kernel.driver import mirror_functions

    base = mirror_functions(profile)
    where = getattr(impl, "__file__", None) or impl.__name__
    mine = {n: f for n, f in vars(impl).items()
            if inspect.isfunction(f) and f.__module__ == impl.__name__}
    unknown = sorted(n for n in mine if n not in base)
    hit = sorted(n for n in mine if n in base)
    if not hit:
        raise ImplError(f"{where}: defines no function of the {profile} kernel mirror (it "
                        f"defines: {', '.join(sorted(mine)) or 'none'})")
    for n in hit:
        if not _callable_as(mine[n], base[n]):
            raise ImplError(f"{where}: {n}({', '.join(_params(mine[n]))}) does not match the "
                            f"{profile} mirror's {n}({', '.join(_params(base[n]))}); write the patch against that signature "
                            f"(memhp review --template {n} --profile {profile} prints it)")
    return hit + [f"{n} (not a mirror function: unused)" for n in unknown]


def _callable_as(patch: Any, base: Any) -> bool:
    """``patch`` takes every call the mirror makes of ``base``: as many positional arguments
    (the mirror passes them by position; names may differ), with or without its defaults."""
    ps = [p for p in inspect.signature(base).parameters.values()
          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    sig = inspect.signature(patch)
    for n in {len(ps), sum(1 for p in ps if p.default is p.empty)}:
        try:
            sig.bind(*([None] * n))
        except TypeError:
            return False
    return True


def _params(f: Any) -> list[str]:
    """The parameter list of ``f`` as written (kinds and defaults marked; annotations left out)."""
    out = []
    for p in inspect.signature(f).parameters.values():
        name = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        out.append(name + ("=..." if p.default is not p.empty else ""))
    return out


def _raised_in(e: BaseException, impl: types.ModuleType) -> str:
    """The innermost frame of the patch in the traceback: 'function (file:line)'."""
    cause = e.__cause__ or e
    where = ""
    for fr in traceback.extract_tb(cause.__traceback__):
        if fr.filename == getattr(impl, "__file__", None):
            where = f"{fr.name} ({Path(fr.filename).name}:{fr.lineno})"
    return where


def review(impl_name: str, impl: types.ModuleType, against: Profile, world: World, depth: int,
           ops: int, budget: str | None = None, seed: int = 0) -> ReviewResult:
    if against.name not in MIRRORED:
        raise ImplError(f"--against {against.name}: the kernel mirror renders {', '.join(MIRRORED)} "
                        f"only; review a patch against one of them")
    w = world.with_profile(against.name)
    r = ReviewResult(impl_name, against.name, w.name, depth, ops, overrides(impl, against.name))
    patched = MirrorModel(w, impl)
    try:
        t0 = time.monotonic()
        got = explore(patched, max_depth=depth)
        r.seconds["explore"] = time.monotonic() - t0
        r.states = got.states
        base = explore(SpecModel(w), max_depth=depth)
        for key in sorted(set(got.hits) - set(base.hits)):
            v = got.hits[key].violation
            r.broken.append(Broken(v.invariant, v.cause, v.message, "explore", got.traces[key],
                                   f"steps:{depth}"))
        r.fixed = sorted(set(base.hits) - set(got.hits)) if got.complete == base.complete else []
        if budget:
            t0 = time.monotonic()
            _lockstep(r, w, impl, budget, seed, BaseFindings(w, depth, base))
            r.seconds["hypothesis"] = time.monotonic() - t0
        t0 = time.monotonic()
        r.diff = diff_models(MirrorModel(w, None), patched, ops, judge=True)
        r.seconds["diff"] = time.monotonic() - t0
        seq_a, seq_b = r.diff.violations["a"], r.diff.violations["b"]
        for key in sorted(set(seq_b) - set(seq_a) - {(b.invariant, b.cause) for b in r.broken}):
            msg, tr = seq_b[key]
            r.broken.append(Broken(key[0], key[1], msg, "explore", tr, f"operations:{ops}"))
    except ImplError as e:
        where = _raised_in(e, impl)
        raise ImplError(f"{impl_name}: {('in ' + where + ': ') if where else ''}{e}") from None
    return r


class BaseFindings:
    """The unmodified profile's findings on a world, at the bound a patch's finding was seen at.

    A failing lockstep example of m actions is judged against the base spec explored to m
    steps, every interleaving (the same bound on both sides): a finding the base shows there is
    the base's, not the patch's. One the base does not show within m steps is looked for
    without a depth bound (to :data:`BASE_STATES` states): if the base has it deeper, the patch
    reaches a known finding sooner, a change of behaviour and not a broken promise."""

    def __init__(self, world: World, depth: int, at_depth: Any) -> None:
        self.world = world
        self._by_depth: dict[int | None, Any] = {depth: at_depth}

    def _run(self, depth: int | None) -> Any:
        """A search of the base that covers ``depth`` steps (None: unbounded): one already
        run that examined every path that long (to the end, or ``checked`` that far: a budget
        may have cut it sooner than its bound), else a new one."""
        for got in self._by_depth.values():
            if depth is not None and (got.complete or (got.checked or 0) >= depth):
                return got
        if depth not in self._by_depth:
            self._by_depth[depth] = explore(SpecModel(self.world), max_depth=depth,
                                            max_states=BASE_STATES, engine="auto")
        return self._by_depth[depth]

    def keys(self) -> set[tuple[str, str]]:
        """Every finding known so far, at whatever depth it was explored to."""
        return {k for got in self._by_depth.values() for k in got.hits}

    def shortest(self, key: tuple[str, str], steps: int) -> int | None:
        """The length of the base's shortest trace of ``key``, looked for to ``steps`` steps
        and then without a depth bound; None: the base does not show it (within the budget)."""
        for depth in (steps, None):
            got = self._run(depth)
            if key in got.hits:
                return len(got.traces[key])
        return None


#: the state budget of the base's unbounded exploration (compiled: a few seconds, ~400 MB)
BASE_STATES = 3_000_000


def _lockstep(r: ReviewResult, w: World, impl: types.ModuleType, budget: str, seed: int,
              base: BaseFindings) -> None:
    from hypothesis import settings

    from checker.engines.stateful import BUDGETS, run_stateful

    # no example database: a patch's failures must not be replayed into other runs of the
    # lockstep machine (the unmodified mirror's, another patch's)
    sets = settings(BUDGETS[budget], database=None)
    known = base.keys()
    while True:  # each rerun expects one more of the base's findings (finitely many)
        sr = run_stateful(w, impl, budget=sets, expected=frozenset(known), seed=seed)
        if sr.failure is None or sr.failure == "lockstep":
            break
        key = (sr.failure, sr.cause or "")
        n = base.shortest(key, len(sr.trace))
        if n is None:
            break
        known.add(key)
        if n > len(sr.trace):
            r.sooner.append((key, len(sr.trace), n))
    if sr.failure is None:
        r.lockstep = f"agrees with the {w.profile} spec ({sr.bound})"
    elif sr.failure == "lockstep":
        r.lockstep = f"diverges from the {w.profile} spec: {sr.message}"
    else:
        r.lockstep = f"breaks {sr.failure} [{sr.cause}]"
        if not any(b.invariant == sr.failure for b in r.broken):
            trace = _mirror_trace(w, impl, sr.trace, (sr.failure, sr.cause or ""))
            message = trace.message if trace is not None else sr.message.split("\n", 1)[0]
            r.broken.append(Broken(sr.failure, sr.cause or "", message or "", "hypothesis",
                                   trace, sr.bound))


def _mirror_trace(w: World, impl: types.ModuleType, actions: list[Any],
                  key: tuple[str, str]) -> Trace | None:
    """The lockstep's minimised example as a trace of the patched mirror, judged by the
    Monitor (None if the replay does not show ``key`` again: the message then stands alone)."""
    from checker.formats.traces import annotate, judge

    model = MirrorModel(w, impl)
    try:
        steps, vs = judge(model, actions)
    except Exception:  # noqa: BLE001 - a mirror that raises on replay: keep the message
        return None
    same = [v for v in vs if (v.invariant, v.cause) == key]
    if not same:
        return None
    v = same[0]
    return annotate(Trace(model.profile.name, w, steps, v.invariant, v.cause, v.message), model)
