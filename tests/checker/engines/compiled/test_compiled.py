"""The compiled explorer's parts: packing, the cross-check against the interpreted Monitor, the
engine choice on the command line.

The packing must give back every reachable state it packs; a compiled finding the interpreted
Monitor does not confirm must stop the run (Disagreement), never reach a report; a model that
cannot be compiled is refused by ``--engine compiled`` with one line and run interpreted by
``auto``.
"""

from __future__ import annotations

import json

import pytest

from checker.cli import main
from checker.engines.compiled.engine import Compiled, Disagreement, explore_compiled
from checker.engines.explore import explore
from checker.model import MirrorModel, SpecModel
from spec.state import initial_state
from spec.worlds import builtin_world


@pytest.fixture(scope="module")
def default() -> tuple[SpecModel, Compiled]:
    m = SpecModel(builtin_world("default"))
    return m, Compiled(m)


def test_packing_round_trip(default: tuple[SpecModel, Compiled]) -> None:
    """Every state to depth 8 decodes to a State that packs (via the layout) to the same int,
    and the initial state decodes to the spec's initial state."""
    m, c = default
    P, L = c.P, c.P.L
    assert P.decode_state(c.initial) == initial_state(m.world, m.profile)
    seen, frontier = {c.initial}, [c.initial]
    for _ in range(8):
        nxt = []
        for s in frontier:
            out: list[int] = []
            c.expand(s, out, [], [], [])
            for s2 in out:
                if s2 not in seen:
                    seen.add(s2)
                    nxt.append(s2)
        frontier = nxt
    assert len(seen) > 50
    for s in seen:
        st = P.decode_state(s)
        vals = P.unpack(s)
        again = dict(vals)
        again.update(L.encode(st))
        assert P.pack(again) == s
        assert 0 <= s <= P.full


def test_a_wrong_compiled_cause_is_a_disagreement(default: tuple[SpecModel, Compiled]) -> None:
    m, c = default
    forged = Compiled(m)
    forged.causes = tuple((lambda s: "forged") for _ in c.causes)
    with pytest.raises(Disagreement, match="forged"):
        explore_compiled(m, max_depth=12, compiled=forged)


def test_auto_runs_a_mirror_interpreted() -> None:
    r = explore(MirrorModel(builtin_world("default")), max_depth=4, engine="auto")
    assert r.compile_seconds is None and r.fallback is None and r.states > 1


def test_cli_engines(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", "--impl", "mirror", "--engine", "compiled", "--max-depth", "3"])
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 1 and "compiled" in lines[0] and "Traceback" not in err
    got = {}
    for engine in ("compiled", "interpreted"):
        code = main(["explore", "--engine", engine, "--max-depth", "10", "--json"])
        out = json.loads(capsys.readouterr().out)
        assert code == 1  # the default world has findings within 10 steps
        got[engine] = (out["counts"], sorted((f["invariant"], f["cause"]) for f in out["findings"]))
        note = [n for n in out["notes"] if n.startswith("explored ")]
        assert note and note[0].startswith(f"explored {engine}")
        assert ("compile" in out["timings"]) == (engine == "compiled")
        budget = {"compiled": "50,000,000 states", "interpreted": "5,000,000 states"}[engine]
        assert any(n.startswith(f"explore budget: {budget}") for n in out["notes"])
    assert got["compiled"] == got["interpreted"]


def test_no_reduce_keys_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    """--no-reduce: both engines key states by every field, and find more states than with the
    merge of write byte counts, the same findings."""
    counts = {}
    for flags in (["--no-reduce", "--engine", "compiled"], ["--no-reduce", "--engine", "interpreted"],
                  []):
        assert main(["explore", "--max-depth", "12", "--json", *flags]) == 1
        out = json.loads(capsys.readouterr().out)
        counts[" ".join(flags)] = (out["counts"]["states"],
                                   sorted((f["invariant"], f["cause"]) for f in out["findings"]))
    full, full_i, merged = counts.values()
    assert full == full_i
    assert full[0] > merged[0] and full[1] == merged[1]
    assert main(["explore", "--impl", "mirror", "--no-reduce", "--max-depth", "2"]) == 2
    assert "--no-reduce" in capsys.readouterr().err


def test_flags_that_would_do_nothing_are_refused(capsys: pytest.CaptureFixture[str],
                                                 tmp_path) -> None:
    """--engine where no spec is explored, --world/--profile on a plain trace: exit 2 and one
    line, never silently ignored."""
    trace = tmp_path / "t.json"
    explore(SpecModel(builtin_world("default")), max_depth=3).traces.popitem()[1].save(trace)
    for flag, argv in (("--engine", ["explore", "--world", "spin-bench:B=2,N=1,K=1,W=1",
                                     "--engine", "interpreted"]),
                       ("--engine", ["verify", "--engines", "hypothesis", "--engine", "compiled",
                                     "--out", str(tmp_path / "r")]),
                       ("--world", ["trace", str(trace), "--world", "default"])):
        assert main(argv) == 2, argv
        err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
        assert len(err) == 1 and err[0].startswith(f"memhp: error: {flag}"), (argv, err)
    assert not (tmp_path / "r").exists()
