"""The parametric proofs: what they prove per profile, that v3.4's findings are never proved,
that the queries stay in the decidable fragment, and the command's verdicts and exit codes.
(The bounded search that turns v6.1's x_after_going cti into a violation is run through
``memhp prove --parametric --bmc-depth 6 --json`` in test_profiles.py.)"""

from __future__ import annotations

import json
from importlib import resources

import pytest
import z3

from checker.engines.smt.parametric import PROFILES, prove_all
from checker.engines.smt.parametric.__main__ import main
from checker.engines.smt.parametric.engine import Prover, ground
from checker.engines.smt.parametric.fragment import acyclic, edges, function_edges
from checker.engines.smt.parametric.invariants import initial
from checker.engines.smt.parametric.transitions import instantiate

CORE = ("node_state", "going_closed", "alloc_promise", "status_change_nid", "sysfs_links",
        "remove_only_offline")
# the spec's invariant each parametric one states (or states part of)
SPEC_NAME = {"going_closed": "notifier_protocol", "alloc_promise": "notifier_protocol",
             "x_after_going": "notifier_protocol"}
TIMEOUT = 300.0


def test_v61_core_invariants_proved(v61) -> None:
    for name in CORE:
        assert v61.outcomes[name].verdict == "proved", (name, v61.outcomes[name].message)
        assert "any number of blocks" in v61.outcomes[name].message


def test_v61_x_reaches_callbacks_after_notify_stop(v61) -> None:
    """NOTIFY_STOP stops GOING_X without an error, and X then goes to the whole chain: the
    second callback gets X without GOING_X (as in 3.4); never proved."""
    o = v61.outcomes["x_after_going"]
    assert o.verdict == "cti"
    assert "not preserved by call" in o.message


def test_v34_findings_are_never_proved(v34) -> None:
    """Every v3.4 finding of the packaged baseline (on an invariant this model states) comes
    out violated or cti; what the explorer finds no violation of is proved."""
    data = json.loads((resources.files("checker.review") / "baseline.json").read_text())
    found = {f["invariant"] for f in data["findings"] if f["profile"] == "v3.4"}
    for name, o in v34.outcomes.items():
        spec = SPEC_NAME.get(name, name)
        if name in ("going_closed", "alloc_promise"):
            # notifier_protocol's v3.4 findings are X without GOING_X (x_after_going)
            assert o.verdict == "proved", (name, o.message)
        elif spec in found:
            assert o.verdict in ("cti", "violated"), (name, o.message)
        else:
            assert o.verdict == "proved", (name, o.message)
    assert {"status_change_nid", "remove_only_offline", "sysfs_links"} <= found


def test_lemmas_are_part_of_the_inductive_invariant(v61) -> None:
    """The lemmas a proof names were themselves kept by Houdini (proved, never assumed)."""
    for name in CORE:
        msg = v61.outcomes[name].message
        used = msg.split("uses the lemmas ")[1].split(" of a ")[0].split(", ")
        assert set(used) - {"(none)"} <= set(v61.kept_lemmas) | set(CORE)


def test_results_for_the_prove_command(v61, monkeypatch) -> None:
    """prove_all turns the run into InvariantResults (the run itself is v61's)."""
    import checker.engines.smt.parametric as pkg

    monkeypatch.setattr(pkg, "prove", lambda *a, **k: v61)
    res = prove_all("v6.1", TIMEOUT)
    assert [r.name for r in res] == list(v61.outcomes)
    assert [r.verdict for r in res] == [o.verdict for o in v61.outcomes.values()]
    assert [r.engine for r in res] == ["smt"] * len(res)
    assert {r.bound for r in res} == {"parametric"}
    assert {r.verdict for r in res} <= {"proved", "cti", "violated", "unknown"}
    assert res[0].to_json()["trace"] is None


def test_timeout_is_unknown() -> None:
    res = prove_all("v6.1", 0.001)
    assert {r.verdict for r in res} == {"unknown"}


@pytest.mark.parametrize("profile", PROFILES)
def test_queries_stay_in_the_decidable_fragment(profile: str) -> None:
    """No cycle in the quantifier-alternation graph of any formula a query holds."""
    pr = Prover(profile, 10)
    g = function_edges(pr.sig) | edges(pr.ax) | edges(initial(pr.pre, profile))
    for p in pr.cands:
        g |= edges(p.formula(pr.pre), True) | edges(p.formula(pr.post), False)
    for k, r in enumerate(pr.rules):
        tr, _ = instantiate(r, pr.pre, pr.post, profile, None, f"@{k}")
        g |= edges(tr)
    assert acyclic(g), sorted(g)
    assert not acyclic(g | {(pr.sig.sort("B").name(), pr.sig.sort("T").name())})


def test_ground_expands_nested_quantifiers() -> None:
    S, (a, b) = z3.EnumSort("GroundTestS", ["ga", "gb"])
    f = z3.Function("ground_f", S, S, z3.BoolSort())
    x, y = z3.Consts("x y", S)
    e = z3.ForAll([x], z3.Exists([y], z3.And(f(x, y), x != y)))
    g = ground(e, {S.name(): [a, b]})
    s = z3.Solver()
    s.add(g != z3.And(f(a, b), f(b, a)))
    assert s.check() == z3.unsat


def test_cli_usage_errors(capsys) -> None:
    assert main(["--profile", "v9.9"]) == 2
    assert "unknown profile" in capsys.readouterr().err
    assert main(["--profile", "v6.17"]) == 2
    assert capsys.readouterr().err.startswith("memhp: error: --parametric: profile v6.17 ")
    assert main(["--timeout", "0"]) == 2
    assert main(["--bogus"]) == 2
