"""The AIGER export (checker/engines/smt/aiger.py): the circuit steps as the spec does, its outputs are
the encoded invariants, the binary file says what the circuit is, and (when ABC is installed)
ABC's BMC finds a violation at the explorer's length."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import z3

from checker.cli import main
from checker.engines.smt.aiger import Aig, AigerError, Blaster, Circuit, export
from checker.engines.smt.props import Props
from checker.engines.smt.system import System
from spec.config import load_world
from spec.profiles import get_profile
from spec.worlds import builtin_world
from tests.checker.engines.smt.pyeval import compile_term
from tests.checker.engines.smt.reach import spec_states
from tests.mutants.spec.mutants import MANIFEST

WORLDS = Path(__file__).resolve().parent / "worlds"
MASK = (1 << 32) - 1


def _norm(vals: dict) -> dict:
    return {k: v if isinstance(v, bool) else v & MASK for k, v in vals.items()}


def _agree(sy: System, states: list) -> int:
    """Every state stepped with every selector (and one past the last path): the valid steps
    are one path per action the spec enables, each reaching the spec's successor; the outputs
    are the encoded invariants' failures. Returns how many outputs were raised."""
    c = export(sy)
    sm, L = sy.model(), sy.L
    sels = list(range(len(sy.paths) + 1))
    encoded = [L.encode(s) for s in states]
    sim = c.simulate(encoded, sels)
    props = Props(L)
    fails = {n: compile_term(z3.simplify(z3.Not(props.holds(n, sy.X)))) for n in props.names()}
    raised = 0
    for i, s in enumerate(states):
        succ = {a: s2 for a, s2, _o in sm.successors(s)}
        valid = [p for p in sels if sim.valid(i, p)]
        assert len(sy.paths) not in valid
        acts = [sy.paths[p].action for p in valid]
        assert sorted(map(str, acts)) == sorted(map(str, succ)), L.describe(encoded[i])
        for p in valid:
            assert sim.next(i, p) == _norm(L.encode(succ[sy.paths[p].action])), sy.paths[p].action
        out = sim.outputs(i)
        assert out == {n: bool(f(encoded[i])) for n, f in fails.items()}
        raised += sum(out.values())
    return raised


@pytest.mark.parametrize("world,profile,limit", [("tiny", "v3.4", None), ("eject", "v3.4", None),
                                                 ("tiny", "v6.1", 1000)])
def test_circuit_steps_as_the_spec(world: str, profile: str, limit: int | None) -> None:
    """Every reachable state (tiny under v6.1: the first 1,000 of its 4,242, to keep the run
    short; every action that world ever enables is enabled in them)."""
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    sy = System(w, get_profile(profile))
    _agree(sy, spec_states(sy, limit))


def test_outputs_raise_on_the_default_worlds_findings() -> None:
    """The default world under v3.4 names its hot-pluggable blocks wrongly from the start: the
    sysfs_names and sysfs_end_phys_index outputs are raised in its quiescent states (the
    first 150 states agree; the initial state raises exactly those two)."""
    sy = System(builtin_world("default"), get_profile("v3.4"))
    states = spec_states(sy, 150)
    assert _agree(sy, states) >= 2
    out = export(sy).simulate([sy.L.encode(states[0])], [0]).outputs(0)
    assert {n for n, v in out.items() if v} == {"sysfs_names", "sysfs_end_phys_index"}


@pytest.mark.parametrize("wrong", ["output", "next", "valid"])
def test_a_wrong_gate_is_caught(wrong: str, monkeypatch) -> None:
    """The agreement check has teeth: one output negated, one latch's next bit negated, or
    every step called valid, and it fails."""
    real = export

    def broken(sy: System, names: list[str] | None = None) -> Circuit:
        c = real(sy, names)
        if wrong == "output":
            c.outputs[0] = (c.outputs[0][0], c.outputs[0][1] ^ 1)
        elif wrong == "next":
            lt = next(lt for lt in c.latches if lt.field == "b0.state")
            lt.next ^= 1
        else:
            c.valid = 1
        return c

    monkeypatch.setattr(f"{__name__}.export", broken)
    sy = System(load_world(WORLDS / "eject.toml").with_profile("v3.4"), get_profile("v3.4"))
    with pytest.raises(AssertionError):
        _agree(sy, spec_states(sy))


def test_blaster_operators_against_z3() -> None:
    """Each bit-vector operator the export covers, on edge values, against Z3's own evaluation."""
    x, y = z3.BitVecs("x y", 8)
    terms = [x + y, x - y, z3.ULT(x, y), z3.ULE(x, y), z3.UGT(x, y), z3.UGE(x, y), x < y, x <= y,
             x > y, x >= y, z3.Extract(6, 2, x), z3.Concat(x, y), z3.ZeroExt(3, x), z3.SignExt(3, x),
             z3.Distinct(x, y, x + 1), z3.If(x == y, x, y), z3.Xor(x == 0, y == 0),
             z3.Implies(x == 0, y == 0)]
    vals = [0, 1, 2, 127, 128, 129, 254, 255]
    for a in vals:
        for b in vals:
            g = Aig()
            env = {"x": [(a >> i & 1) for i in range(8)], "y": [(b >> i & 1) for i in range(8)]}
            bl = Blaster(g, env)  # constant inputs: every gate folds to a constant
            for t in terms:
                want = z3.simplify(z3.substitute(t, (x, z3.BitVecVal(a, 8)), (y, z3.BitVecVal(b, 8))))
                got = bl.go(t)
                if isinstance(got, list):
                    assert sum(bit << i for i, bit in enumerate(got)) == want.as_long(), (t, a, b)
                else:
                    assert got == int(z3.is_true(want)), (t, a, b)


def test_an_uncovered_operator_is_refused() -> None:
    x = z3.BitVec("x", 8)
    with pytest.raises(AigerError, match="not covered"):
        Blaster(Aig(), {"x": [0] * 8}).go(z3.UDiv(x, x + 1))


def _read(data: bytes) -> tuple[list[int], list[int], list[tuple[int, int, int]], list[str]]:
    """A binary AIGER file: its latches' next literals, outputs, gates and symbol lines."""
    nl = data.index(b"\n")
    _m, i, lat, o, a = map(int, data[:nl].split()[1:])
    pos, lines = nl + 1, []
    for _ in range(lat + o):
        end = data.index(b"\n", pos)
        lines.append(int(data[pos:end]))
        pos = end + 1
    gates = []
    for k in range(a):
        deltas = []
        for _ in range(2):
            x = shift = 0
            while True:
                byte = data[pos]
                pos += 1
                x |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            deltas.append(x)
        lhs = 2 * (i + lat + k + 1)
        gates.append((lhs, lhs - deltas[0], lhs - deltas[0] - deltas[1]))
    return lines[:lat], lines[lat:], gates, data[pos:].decode().splitlines()


def test_binary_file_is_the_circuit() -> None:
    """The file's header, gates (renumbered, inputs then latches then gates) and symbols."""
    sy = System(load_world(WORLDS / "eject.toml").with_profile("v3.4"), get_profile("v3.4"))
    c: Circuit = export(sy)
    nexts, outs, gates, syms = _read(c.binary("hello"))
    num = {lit >> 1: k + 1 for k, lit in enumerate(c.inputs + [lt.lit for lt in c.latches])}
    for k, (lit, _a, _b) in enumerate(c.g.ands):
        num[lit >> 1] = len(c.inputs) + len(c.latches) + k + 1

    def m(lit: int) -> int:
        return lit if lit < 2 else 2 * num[lit >> 1] + (lit & 1)

    assert nexts == [m(lt.next) for lt in c.latches]
    assert outs == [m(lit) for _n, lit in c.outputs]
    assert gates == [(m(lit), *sorted((m(a), m(b)), reverse=True)) for lit, a, b in c.g.ands]
    assert syms[0] == "i0 sel[0]" and f"o0 {c.outputs[0][0]}" in syms
    assert syms[-2:] == ["c", "hello"]


def test_cli_export_aiger(tmp_path: Path, capsys) -> None:
    out = tmp_path / "tiny.aig"
    assert main(["export", "aiger", "--world", str(WORLDS / "tiny.toml"), "--profile", "v6.1",
                 "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"aig ")
    assert "profile v6.1 as AIGER" in capsys.readouterr().out
    assert main(["export", "aiger", "--world", str(WORLDS / "tiny.toml"), "--invariant", "sysfs_dirs",
                 "--invariant", "node_state", "-o", str(out)]) == 0
    assert "outputs sysfs_dirs, node_state;" in capsys.readouterr().out
    assert main(["export", "aiger", "--world", "default"]) == 2  # binary: no stdout
    assert "give -o FILE" in capsys.readouterr().err
    assert main(["export", "aiger", "--world", "default", "--invariant", "bogus", "-o", str(out)]) == 2
    assert "--invariant bogus: not a state invariant" in capsys.readouterr().err
    assert main(["export", "aiger", "--world", "spin-bench:B=2,N=1,K=1,W=1", "-o", str(out)]) == 2
    assert main(["export", "promela", "--world", "spin-bench:B=2,N=1,K=1,W=1",
                 "--profile", "v3.4"]) == 2


ABC = shutil.which("berkeley-abc") or shutil.which("abc")


def _abc_bmc(sy: System, names: list[str], frames: int, tmp: Path) -> str:
    f = tmp / "m.aig"
    f.write_bytes(export(sy, names).binary())
    r = subprocess.run([ABC, "-c", f"read_aiger {f}; bmc3 -F {frames}"], capture_output=True,
                       text=True, timeout=300, check=True)
    return r.stdout


@pytest.mark.skipif(ABC is None, reason="ABC is not installed (Debian: apt-get install berkeley-abc)")
@pytest.mark.parametrize("name", ["hotadd_unregistered", "failed_offline_stays_going",
                                  "isolation_not_undone"])
def test_abc_bmc_finds_a_mutant_at_the_explorers_length(name: str, tmp_path: Path) -> None:
    """ABC's BMC on the exported circuit of a spec mutant raises the output at the explorer's
    shortest length (MANIFEST), and on the unmutated world finds nothing to that depth."""
    steps, world, profile, inv, length = MANIFEST[name]
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    out = _abc_bmc(System(w, get_profile(profile), steps), [inv], length + 2, tmp_path)
    assert f"asserted in frame {length}." in out, out
    out = _abc_bmc(System(w, get_profile(profile)), [inv], length + 1, tmp_path)
    assert "No output asserted" in out, out
