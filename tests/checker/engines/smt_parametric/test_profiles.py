"""The parametric model follows the profiles' flags: which profiles it renders and which it refuses
(one line, exit 2), that a rule branches on the flag that names its behaviour (not on the
profile's name), and that ``memhp prove --parametric --json`` validates for every profile it
renders."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from checker.cli import main as memhp
from checker.formats.schemas import validate
from checker.engines.smt.parametric import (
    PROFILES,
    UnsupportedProfile,
    prove,
    prove_all,
    supports,
)
from checker.engines.smt.parametric.__main__ import main as runner
from checker.engines.smt.parametric.transitions import instantiate, rules
from checker.engines.smt.parametric.vocab import Vocab, make_sig
from spec.errors import MemhpError
from spec.profiles import PROFILES as BUILTIN
from spec.profiles import V3_4, V6_1

CORE = ("node_state", "going_closed", "alloc_promise", "status_change_nid", "sysfs_links",
        "remove_only_offline")
REFUSED = {"v6.17": "has the NUMA node notifier (node_chain): the parametric model has no "
                    "NODE_* events"}


def test_builtin_profiles_rendered_or_refused() -> None:
    assert set(PROFILES) == set(BUILTIN) - set(REFUSED)
    for name in BUILTIN:
        why = supports(name)
        if name in REFUSED:
            assert why == f"profile {name} {REFUSED[name]}"
        else:
            assert why is None, why


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_profile_is_one_line_and_exit_2(name: str, capsys) -> None:
    assert memhp(["prove", "--parametric", "--profile", name, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"memhp: error: --parametric: profile {name} {REFUSED[name]}\n"
    assert runner(["--profile", name]) == 2
    assert capsys.readouterr().err == err
    with pytest.raises(UnsupportedProfile) as e:
        prove_all(name, 1.0)
    assert isinstance(e.value, MemhpError) and "\n" not in str(e.value)


@pytest.mark.parametrize("profile", PROFILES)
def test_cli_json_validates_for_each_rendered_profile(profile: str, capsys) -> None:
    """The real command on each profile; a timeout this short leaves every verdict unknown."""
    code = memhp(["prove", "--parametric", "--profile", profile, "--timeout", "0.001", "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-result/1")
    assert code == data["exit"] == 3
    assert data["profile"] == profile
    assert {i["verdict"] for i in data["invariants"]} == {"unknown"}
    assert {i["bound"] for i in data["invariants"]} == {"parametric"}


@pytest.mark.parametrize("profile", PROFILES)
def test_cli_json_validates_with_the_proofs(profile: str, runs, capsys, monkeypatch) -> None:
    """The command's JSON with each profile's real verdicts (its run is this session's)."""
    import checker.engines.smt.parametric as pkg

    monkeypatch.setattr(pkg, "prove", lambda *a, **k: runs[profile])
    code = memhp(["prove", "--parametric", "--profile", profile, "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-result/1")
    assert code == data["exit"] and code in (0, 1, 3)
    assert {i["name"]: i["verdict"] for i in data["invariants"]} == {
        k: o.verdict for k, o in runs[profile].outcomes.items()}


def test_a_violation_without_a_trace_validates(capsys) -> None:
    """``--bmc-depth`` turns v6.1's x_after_going cti into a violation: a path of the abstract
    model, named in the message, with no trace of a world."""
    code = memhp(["prove", "--parametric", "--profile", "v6.1", "--bmc-depth", "6", "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-result/1")
    assert code == data["exit"] == 1
    inv = {i["name"]: i for i in data["invariants"]}["x_after_going"]
    assert inv["verdict"] == "violated" and inv["trace"] is None
    assert inv["message"].endswith("write_start -> memory_block_online -> call -> "
                                   "end_going_online_commit -> call -> call")


# --- derived profiles ------------------------------------------------------------------------
def _changes(profile, name: str) -> set[str]:
    sig = make_sig()
    rule = next(r for r in rules(profile) if r.name == name)
    return instantiate(rule, Vocab(sig, "0"), Vocab(sig, "1"), profile, None, "@t")[1]


def test_cancel_before_undo_moves_the_undo_of_the_isolation() -> None:
    """v6.1 undoes the isolation with the end of GOING_OFFLINE (then CANCEL_OFFLINE); the same
    profile with cancel_before_undo undoes it at the end of CANCEL_OFFLINE."""
    vx = replace(V6_1, name="vX", cancel_before_undo=True)
    pages = {"pg_on", "pg_iso"}
    assert pages <= _changes(V6_1, "end_going_offline_error")
    assert not pages & _changes(V6_1, "end_cancel_offline")
    assert not pages & _changes(vx, "end_going_offline_error")
    assert pages <= _changes(vx, "end_cancel_offline")


def test_rules_do_not_read_the_name() -> None:
    assert [r.name for r in rules(replace(V6_1, name="v3.4"))] == [r.name for r in rules(V6_1)]
    assert [r.name for r in rules(replace(V3_4, name="v6.1"))] == [r.name for r in rules(V3_4)]
    assert "finish_eject" in [r.name for r in rules(V3_4)]
    assert "eject_offline_block" in [r.name for r in rules(V6_1)]


def test_derived_profile_with_cancel_before_undo_is_proved(v61) -> None:
    """The order does not matter to the invariants: everything v6.1 proves is proved, and the
    lemma that says where the pages are during CANCEL_OFFLINE (isolated, here) is inductive."""
    run = prove(replace(V6_1, name="vX", cancel_before_undo=True), 300.0)
    assert run.profile == "vX"
    assert {k: o.verdict for k, o in run.outcomes.items()} == {
        k: o.verdict for k, o in v61.outcomes.items()}
    assert "cancel_offline_block" in run.kept_lemmas and "cancel_offline_block" in v61.kept_lemmas


def test_derived_profile_accepting_holes_loses_the_node_state_proofs(v61) -> None:
    """v6.1 without holes_refused counts a block's span against the node's present pages (as
    v4.15): status_change_nid, and through it N_MEMORY, can be wrong; the rest stays proved."""
    run = prove(replace(V6_1, name="vH", holes_refused=False), 300.0)
    lost = {"node_state", "status_change_nid"}
    for name in CORE:
        want = "cti" if name in lost else "proved"
        assert run.outcomes[name].verdict == want, (name, run.outcomes[name].message)
        assert v61.outcomes[name].verdict == "proved"


@pytest.mark.parametrize("changes, flag", [
    ({"node_chain": True}, "node_chain"),
    ({"memory_notify_nids": False}, "memory_notify_nids"),
    ({"hot_remove": "offline_pages"}, "hot_remove=offline_pages"),
    ({"pages_correctly_reserved": True}, "pages_correctly_reserved()"),
    ({"hotadd_zone": "Normal"}, "hotadd_zone=Normal"),
    ({"zone_shift": True}, "zone_shift"),
    ({"node_flags": ("N_HIGH_MEMORY",), "nid_normal": False}, "N_HIGH_MEMORY"),
    ({"nid_normal": False}, "nid_normal=False"),
    ({"locks": "big_kernel_lock"}, "locks='big_kernel_lock'"),
])
def test_derived_6_1_combinations_not_rendered_are_refused(changes: dict, flag: str) -> None:
    p = replace(V6_1, name="vY", **changes)
    why = supports(p)
    assert why is not None and why.startswith("profile vY ") and flag in why, why
    with pytest.raises(UnsupportedProfile, match="^--parametric: profile vY "):
        prove(p, 1.0)


@pytest.mark.parametrize("changes, flag", [
    ({"hot_remove": "offline_and_remove"}, "hot_remove=offline_and_remove"),
    ({"pages_correctly_reserved": False}, "pages_correctly_reserved=False"),
    ({"cancel_before_undo": False}, "cancel_before_undo=False"),
    ({"holes_refused": True}, "holes_refused=True"),
    ({"hotadd_zone": None}, "hotadd_zone=None"),
    ({"zone_shift": True}, "online_types=False"),
])
def test_derived_3_4_combinations_not_rendered_are_refused(changes: dict, flag: str) -> None:
    why = supports(replace(V3_4, name="vZ", **changes))
    assert why is not None and why.startswith("profile vZ ") and flag in why, why


def test_derived_combinations_that_are_rendered() -> None:
    """Flags the model reads within one lock model, and flags it does not read at all."""
    for p in (replace(V6_1, name="a", online_gated=True), replace(V6_1, name="b", holes_refused=False),
              replace(V6_1, name="c", memoryless_online_at_boot=False),
              replace(V6_1, name="d", removable_always_one=False, parse="prefix", online_file=False),
              replace(V3_4, name="e", memoryless_online_at_boot=True, offline_timeout=False),
              replace(V3_4, name="f", hotadd_zone="Movable")):
        assert supports(p) is None, p.name
