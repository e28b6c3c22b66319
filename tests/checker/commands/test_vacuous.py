"""A world may declare invariants it cannot exercise (``[vacuous]``, with a reason): verify states
them instead of failing on their unreached premise, and says so when a declared premise is
reached after all. An undeclared unreached premise still fails (spec.config, verify._vacuity)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main

TINY = '''name = "tiny"
profile = "v6.1"
section_size_mib = 128
sections_per_block = 1
texts = ["online", "offline"]
reads = false
[[nodes]]
id = 0
[[blocks]]
id = 1
node = 0
boot = "absent"
hotplug = true
'''


def _verify(tmp_path: Path, capsys: pytest.CaptureFixture[str], vacuous: str) -> tuple[int, dict]:
    """verify the tiny world, its findings pinned by the baseline of a first run (kept in b/)."""
    world = tmp_path / "tiny.toml"
    world.write_text(TINY + vacuous)
    pins = tmp_path / "b" / "baseline.json"
    if not pins.exists():
        main(["verify", "--world", str(world), "--engines", "explore", "--no-baseline",
              "--out", str(pins.parent)])
    code = main(["verify", "--world", str(world), "--engines", "explore", "--baseline", str(pins),
                 "--out", str(tmp_path / "r"), "--junit", str(tmp_path / "j.xml")])
    capsys.readouterr()
    return code, json.loads((tmp_path / "r" / "result.json").read_text())


def _row(doc: dict, name: str) -> dict:
    return next(i for i in doc["invariants"] if i["name"] == name and i["engine"] == "explore")


def test_undeclared_vacuity_fails_and_declared_is_stated(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _verify(tmp_path, capsys, "")
    assert code == 1
    assert any(n.startswith("the sometimes twin of chain_order was never reached") for n in doc["notes"])
    assert "vacuous" not in _row(doc, "chain_order")
    assert 'type="vacuous"' in (tmp_path / "j.xml").read_text()
    unreached = [i["name"] for i in doc["invariants"]
                 if i["engine"] == "explore" and i["twin_reached"] is False]
    table = "\n[vacuous]\n" + "".join(f'{n} = "no callbacks in this world ({n})"\n' for n in unreached)
    code, doc = _verify(tmp_path, capsys, table)
    assert code == 0, doc["notes"]
    assert _row(doc, "chain_order")["vacuous"] == "no callbacks in this world (chain_order)"
    assert "chain_order is vacuous on this world, as it declares: no callbacks" in " ".join(doc["notes"])
    junit = (tmp_path / "j.xml").read_text()
    assert 'type="vacuous"' not in junit and "vacuous on this world, as it declares" in junit


def test_a_declared_premise_that_is_reached_is_noted(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _verify(tmp_path, capsys, '\n[vacuous]\nnode_state = "claimed"\n')
    assert _row(doc, "node_state")["twin_reached"] is True and "vacuous" not in _row(doc, "node_state")
    assert any("declares node_state vacuous, but under v6.1 its sometimes twin was reached" in n
               for n in doc["notes"])


@pytest.mark.parametrize("table, says", [
    ('no_such = "x"', "key 'vacuous.no_such': no such invariant"),
    ('chain_order = ""', "key 'vacuous.chain_order': expected the reason"),
    ('chain_order = 3', "key 'vacuous.chain_order': expected the reason"),
])
def test_bad_declarations_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       table: str, says: str) -> None:
    world = tmp_path / "w.toml"
    world.write_text(TINY + "\n[vacuous]\n" + table + "\n")
    assert main(["verify", "--world", str(world), "--engines", "explore", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err
    assert not (tmp_path / "r").exists()


def test_the_qemu_worlds_declare_with_reasons() -> None:
    from spec.worlds import resolve_world

    for name in ("qemu-2node", "qemu-3node"):
        w = resolve_world(name)
        assert dict(w.vacuous)["chain_order"].startswith("one callback")
        assert w.to_json()["vacuous"] == dict(w.vacuous)


def test_a_hostile_reason_stays_one_visible_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    world = tmp_path / "w.toml"
    world.write_text(TINY + '\n[vacuous]\nchain_order = "\\u001b[31mred\\nnote: forged"\n')
    main(["verify", "--world", str(world), "--engines", "explore", "--no-baseline",
          "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert not any(line.startswith("note: forged") for line in out.splitlines())
    assert "chain_order is vacuous on this world, as it declares:" in out
