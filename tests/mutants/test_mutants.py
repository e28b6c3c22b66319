"""Deliberately broken kernel mirrors must be caught, each by the invariant it breaks.

Every module of ``bugs_detected/`` overrides one or two mirror functions (copied from
spec/kernel and changed where it says ``MUTANT``); ``manifest.toml`` pins, per mutant, the world
and profile, the invariant, the cause, and the length of the shortest trace the explorer finds
through ``MirrorModel(world, impl)``. Each mutant must be caught

* by the explorer, with exactly the pinned shortest trace, which replays through the mutant;
* by the Hypothesis lockstep run (ci budget, fixed seed) as that invariant, never merely as a
  divergence from the spec ("lockstep"): the mutant's own behaviour breaks the invariant.

The modules of ``correct_code/`` are refactorings that change nothing observable: the lockstep
run passes on them. The unmodified mirror passes with the known findings of its profile as
``expected``; those findings are pinned in the manifest's ``[baselines]`` (a complete
exploration of the spec takes a minute; test_default_baseline_is_the_specs_findings checks
them against the packaged baseline, which tests/checker/test_verify_default.py pins to one).

Re-measure after a change of the spec, the mirror or the monitor:
``python -m tests.mutants.pin`` (``--baselines`` to recompute the known findings too).
"""

from __future__ import annotations

import os
import time

import pytest

from checker.engines.explore import explore
from checker.model import MirrorModel, SpecModel
from checker.engines.stateful import replay_mirror, run_stateful
from checker.formats.traces import replay
from spec.invariants import INVARIANTS
from spec.worlds import builtin_world
from tests.mutants.common import (BUGS, CORRECT, SEED, known_findings, load_manifest,
                                  mutant_impl, mutant_world)

MANIFEST = load_manifest()
MUTANTS = sorted(MANIFEST["mutants"])
TIMINGS: dict[str, float] = {}


def _entry(name: str) -> dict:
    return MANIFEST["mutants"][name]


def _known(name: str) -> frozenset[tuple[str, str]]:
    e = _entry(name)
    return known_findings(MANIFEST, e["profile"], e.get("world", "default"))


# --- the manifest ------------------------------------------------------------------------------

def test_every_invariant_has_a_mutant() -> None:
    covered = {e["invariant"] for e in MANIFEST["mutants"].values()}
    assert covered >= {inv.name for inv in INVARIANTS}, \
        f"invariants without a mutant: {sorted({i.name for i in INVARIANTS} - covered)}"


def test_manifest_lists_every_mutant_module() -> None:
    files = {p.stem for p in BUGS.glob("*.py") if p.stem != "__init__"}
    assert files == set(MUTANTS)


def test_no_pinned_finding_is_a_known_one() -> None:
    for name in MUTANTS:
        e = _entry(name)
        assert (e["invariant"], e["cause"]) not in _known(name), name


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_defines_only_mirror_functions(name: str) -> None:
    """A mutant overrides mirror functions by name (a typo would silently change nothing)."""
    import inspect

    from spec.kernel import Kernel

    impl = mutant_impl(name)
    base = Kernel(mutant_world(_entry(name))).fn
    defined = [n for n, f in vars(impl).items()
               if inspect.isfunction(f) and f.__module__ == impl.__name__]
    assert defined, f"{name} defines no function"
    unknown = [n for n in defined if not hasattr(base, n) and n not in _HELPERS.get(name, ())]
    assert not unknown, f"{name}: not mirror functions: {unknown}"


#: helpers a mutant adds (called through k.fn by its overridden function)
_HELPERS = {"slub_wrong_nid": ("numa_node_id",)}


# --- caught by the explorer ----------------------------------------------------------------------

@pytest.mark.parametrize("name", MUTANTS)
def test_explore_finds_the_pinned_violation(name: str) -> None:
    e = _entry(name)
    w, impl = mutant_world(e), mutant_impl(name)
    model = MirrorModel(w, impl)
    t0 = time.monotonic()
    if e.get("search", "stop_on") == "depth":  # the profile's own finding comes first: see pin
        res = explore(model, max_depth=e["length"])
    else:
        res = explore(model, stop_on={e["invariant"]})
    TIMINGS[f"explore {name}"] = time.monotonic() - t0
    key = (e["invariant"], e["cause"])
    assert key in res.traces, f"{name}: explore found {sorted(res.hits)}, not {key}"
    trace = res.traces[key]
    assert len(trace) == e["length"], f"{name}: shortest trace {len(trace)} != pinned {e['length']}"
    r = replay(trace, MirrorModel(w, impl))
    assert r.ok, f"{name}: the trace does not replay: {r.divergence}"
    # and the mutant's own behaviour breaks it, with the spec nowhere involved
    v = replay_mirror(w, impl, trace.actions, _known(name))
    assert v is not None and v.invariant == e["invariant"], (name, v)


# --- caught by the lockstep run --------------------------------------------------------------------

@pytest.mark.parametrize("name", MUTANTS)
def test_stateful_fails_with_the_invariant(name: str) -> None:
    e = _entry(name)
    w, impl = mutant_world(e), mutant_impl(name)
    r = run_stateful(w, impl, "ci", expected=_known(name), seed=SEED)
    TIMINGS[f"stateful {name}"] = r.seconds
    assert not r.passed
    assert r.failure == e["invariant"], f"{name}: {r.failure} [{r.cause}] instead of {e['invariant']}\n{r.message}"
    assert r.trace or e["length"] == 0
    v = replay_mirror(w, impl, r.trace, _known(name))
    assert v is not None and v.invariant == e["invariant"]


# --- the unmodified mirror and equivalent rewrites pass ----------------------------------------------

def test_unmodified_mirror_passes_lockstep() -> None:
    w = builtin_world("default")
    r = run_stateful(w, None, "ci", expected=known_findings(MANIFEST, "v3.4", "default"), seed=SEED)
    TIMINGS["stateful unmodified v3.4/default"] = r.seconds
    assert r.passed, r.message
    assert r.bound == "200x50"


@pytest.mark.parametrize("name", sorted(p.stem for p in CORRECT.glob("*.py") if p.stem != "__init__"))
def test_correct_code_passes_lockstep(name: str) -> None:
    w = builtin_world("default")
    r = run_stateful(w, mutant_impl(name, "correct_code"), "dev",
                     expected=known_findings(MANIFEST, "v3.4", "default"), seed=SEED)
    assert r.passed, r.message


def test_default_baseline_is_the_specs_findings() -> None:
    """The findings the mutant tests expect are the packaged baseline's (which
    tests/checker/test_verify_default.py pins to a complete exploration of the default world)."""
    from checker.review.baseline import load_baseline

    pinned = {(f["invariant"], f["cause"]) for f in load_baseline(None)["findings"]
              if f["profile"] == "v3.4" and f["world"] == "default"}
    assert pinned and set(known_findings(MANIFEST, "v3.4", "default")) == pinned


def teardown_module() -> None:
    if TIMINGS and os.environ.get("MEMHP_TIMINGS"):
        for k, v in sorted(TIMINGS.items()):
            print(f"{k:60} {v:6.1f}s")


def test_divergent_run_ending_mid_operation_still_names_the_invariant() -> None:
    """A lockstep run that diverges in the middle of an online (the mirror skipped
    node_set_state) reports the invariant: the operation is run to its end on the mirror,
    where node_state breaks, and the trace is the explorer's shortest (7 steps on the world
    without callbacks)."""
    from checker.engines.stateful import _invariant_within
    from spec.actions import Action

    name = "node_state_not_set_on_online"
    e = _entry(name)
    w, impl = mutant_world(e), mutant_impl(name)
    acts = [Action.from_json(a) for a in (
        {"kind": "hotadd", "thread": "fw", "block": "memory16"}, {"kind": "step", "thread": "fw"},
        {"kind": "write", "thread": "w0", "block": "memory16", "file": "state", "text": "online"},
        {"kind": "step", "thread": "w0"}, {"kind": "step", "thread": "w0"})]
    assert replay_mirror(w, impl, acts, _known(name)) is None  # mid-operation: nothing judged yet
    got = _invariant_within(w, impl, _known(name), acts, 20.0)
    assert got is not None
    trace, v = got
    assert v.invariant == "node_state" and len(trace) == e["length"]
    assert replay_mirror(w, impl, trace, _known(name)) == v
