"""Lemma certificates: shipped ones match their world, a stale one is proved or dropped, never
trusted, and a broken one is one clear error.

The shipped certificate of the default world (v3.4) is compared with a fresh mining in the
slow tier (about a minute), the ghost certificate in test_ghost_certificate.py (its own module,
so that CI's workers run the two minings side by side); ``--regen-golden`` writes them again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines.smt import certificate, ghost_proof
from checker.engines.smt.engine import prove
from checker.engines.smt.ghosts import GhostSystem
from checker.engines.smt.lemmas import mine
from checker.engines.smt.system import System
from spec.profiles import get_profile
from spec.worlds import builtin_world
from tests.checker.engines.smt.test_smt import WORLDS, tiny

SHIPPED = ("v3.4",)  # the default world under v6.1 is too large to mine in minutes


@pytest.mark.slow
@pytest.mark.parametrize("profile", SHIPPED)
def test_shipped_certificate_matches_the_default_world(profile: str, regen_golden: bool) -> None:
    w = builtin_world("default").with_profile(profile)
    sy = System(w, get_profile(profile))
    path = certificate.shipped(sy.L)
    cands, n, complete = mine(sy, budget=10**9)
    assert complete
    text = certificate.dump(sy.L, cands, n)
    if regen_golden:
        path.write_text(text)
    assert path.read_text() == text, f"{path.name} is stale: run pytest --regen-golden"
    got = certificate.load(path, sy.L)
    assert got is not None, f"{path.name} was read from another world or encoding: --regen-golden"
    cands, n = got
    assert n > 200000 and {c.name.split(":")[0] for c in cands} == {"control", "locks", "block", "node"}


@pytest.mark.parametrize("profile", SHIPPED)
def test_shipped_ghost_certificate_loads(profile: str) -> None:
    """The ghost lemmas' certificate (checker/engines/smt/ghost_proof.py) is read for the default
    world's ghost layout and no other; tests/checker/engines/smt/test_ghost_certificate.py
    re-mines it (slow tier)."""
    w = builtin_world("default").with_profile(profile)
    sy = GhostSystem(w, get_profile(profile))
    path = certificate.shipped(sy.L, "ghosts")
    got = certificate.load(path, sy.L, ghost_proof.candidates)
    assert got is not None, f"{path.name} was read from another world or encoding: --regen-golden"
    cands, n = got
    assert n > 300000 and [c.name for c in cands] == ["ghost:w0", "ghost:fw", "ghost:ops"]
    assert certificate.load(certificate.shipped(sy.L), sy.L) is None  # not the base lemmas'


def _tiny_certificate(tmp_path: Path, profile: str) -> tuple[Path, System]:
    sy = System(tiny(profile), get_profile(profile))
    cands, n, complete = mine(sy)
    assert complete
    path = tmp_path / f"tiny-{profile}.json"
    path.write_text(certificate.dump(sy.L, cands, n))
    return path, sy


def test_certificate_round_trip_gives_the_mined_verdicts(tmp_path: Path) -> None:
    path, sy = _tiny_certificate(tmp_path, "v6.1")
    loaded = certificate.load(path, sy.L)
    assert loaded is not None
    fresh = {c.name: c.diagram() for c in mine(sy)[0]}
    assert {c.name: c.diagram() for c in loaded[0]} == fresh
    w = tiny("v6.1")
    a, notes_a = prove(w, get_profile("v6.1"), 1, 300, lemma_file=path)
    b, _ = prove(w, get_profile("v6.1"), 1, 300, mine_fresh=True)
    assert [(r.name, r.verdict) for r in a] == [(r.name, r.verdict) for r in b]
    assert any("the certificate tiny-v6.1.json" in n for n in notes_a)


def test_too_strong_certificate_is_dropped_then_mined_again(tmp_path: Path) -> None:
    """A certificate whose block lemma forbids a reachable value: the lemma is not proved, the
    engine says the certificate is stale, mines afresh, and proves what the mined lemmas prove."""
    _path, sy = _tiny_certificate(tmp_path, "v6.1")
    cands, n, _ = mine(sy)
    blk = next(c for c in cands if c.name.startswith("block:"))
    blk.rows = {r for r in blk.rows if r != max(blk.rows)}  # one reachable row left out
    blk._diagram = None
    bad = tmp_path / "bad.json"
    bad.write_text(certificate.dump(sy.L, cands, n))
    w = tiny("v6.1")
    got, notes = prove(w, get_profile("v6.1"), 1, 300, lemma_file=bad)
    want, _ = prove(w, get_profile("v6.1"), 1, 300, mine_fresh=True)
    assert any("is stale" in x and blk.name in x for x in notes)
    assert [(r.name, r.verdict) for r in got] == [(r.name, r.verdict) for r in want]


def test_certificate_of_another_world_is_not_used(tmp_path: Path) -> None:
    path, _ = _tiny_certificate(tmp_path, "v3.4")
    sy61 = System(tiny("v6.1"), get_profile("v6.1"))
    assert certificate.load(path, sy61.L) is None  # another profile: another fingerprint


@pytest.mark.parametrize("data", [b"", b"{", b'{"schema": "memhp-trace/1"}', b"\xff\xfe\x00",
                                  b"LEMMAS"])
def test_broken_certificate_is_one_line_exit_2(tmp_path: Path, data: bytes, capsys) -> None:
    f = tmp_path / "c.json"
    f.write_bytes(data)
    before = f.read_bytes()
    rc = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--k", "1", "--lemmas", str(f)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and str(f) in err
    assert f.read_bytes() == before


def test_malformed_diagram_is_refused(tmp_path: Path) -> None:
    path, sy = _tiny_certificate(tmp_path, "v3.4")
    doc = json.loads(path.read_text())
    doc["lemmas"][0]["nodes"][0][2][0][1] = 10**6  # an edge to a node that is not there
    path.write_text(json.dumps(doc))
    with pytest.raises(certificate.CertificateError, match="malformed"):
        certificate.load(path, sy.L)


def test_save_lemmas_writes_a_new_file_only(tmp_path: Path, capsys) -> None:
    out = tmp_path / "c.json"
    rc = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--k", "1", "--save-lemmas", str(out)])
    assert rc in (0, 3) and out.is_file()
    assert "the certificate c.json" in capsys.readouterr().out
    before = out.read_bytes()
    rc = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--k", "1", "--save-lemmas", str(out)])
    assert rc == 2 and out.read_bytes() == before


def test_lemma_file_usage_errors(tmp_path: Path, capsys) -> None:
    tiny_toml = str(WORLDS / "tiny.toml")
    assert main(["prove", "--world", tiny_toml, "--save-lemmas", str(tmp_path / "no" / "c.json")]) == 2
    assert main(["prove", "--world", tiny_toml, "--lemmas", str(tmp_path / "missing.json")]) == 2
    other = certificate.shipped(System(builtin_world("default"), get_profile("v3.4")).L)
    assert main(["prove", "--world", tiny_toml, "--lemmas", str(other)]) == 2  # another world's
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(x.startswith("memhp: error:") for x in err)
    assert "another world" in err[2]
