"""``memhp review``: what a patched kernel mirror breaks and what it changes, against a profile.

A patch is a module that defines some of the mirror's functions (design.md section 0). Review
runs three checks on it, each against the unmodified base profile on the same world:

1. **invariants**: explore(MirrorModel(world, patch)) to ``depth`` steps, breadth first (shortest
   traces); an (invariant, cause) the patch violates that the base profile's spec does not
   violate to the same depth is *broken*; one the base violates and the patch does not, *fixed*;
2. **lockstep** (where it applies: a Hypothesis budget is given): the patched mirror against the
   base spec; a failure that is an invariant the base keeps is broken, a divergence from the
   spec ("lockstep") is a behaviour change;
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

    @property
    def verdict(self) -> str:
        if self.broken:
            return "breaks promises"
        if (self.diff is not None and self.diff.differences) or self.lockstep.startswith("diverges"):
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
    """The mirror functions the patch replaces; a patch that replaces none is an error."""
    from spec.kernel.driver import mirror_function_names

    base = mirror_function_names(profile)
    mine = [n for n, f in vars(impl).items()
            if inspect.isfunction(f) and f.__module__ == impl.__name__]
    unknown = sorted(n for n in mine if n not in base)
    hit = sorted(n for n in mine if n in base)
    if not hit:
        raise ImplError(f"{getattr(impl, '__file__', impl.__name__)}: defines no function of the "
                        f"{profile} kernel mirror (it defines: {', '.join(sorted(mine)) or 'none'})")
    return hit + [f"{n} (not a mirror function: unused)" for n in unknown]


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
            _lockstep(r, w, impl, budget, seed, set(base.hits))
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


def _lockstep(r: ReviewResult, w: World, impl: types.ModuleType, budget: str, seed: int,
              known: set[tuple[str, str]]) -> None:
    from hypothesis import settings

    from checker.engines.stateful import BUDGETS, run_stateful

    # no example database: a patch's failures must not be replayed into other runs of the
    # lockstep machine (the unmodified mirror's, another patch's)
    sets = settings(BUDGETS[budget], database=None)
    sr = run_stateful(w, impl, budget=sets, expected=frozenset(known), seed=seed)
    if sr.failure is None:
        r.lockstep = f"agrees with the {w.profile} spec ({sr.bound})"
    elif sr.failure == "lockstep":
        r.lockstep = f"diverges from the {w.profile} spec: {sr.message}"
    else:
        r.lockstep = f"breaks {sr.failure} [{sr.cause}]"
        if not any(b.invariant == sr.failure for b in r.broken):
            r.broken.append(Broken(sr.failure, sr.cause or "", sr.message, "hypothesis", None,
                                   sr.bound))
