"""memhp mutate on the command line: the equivalents file, --list, a small run and its documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.formats.schemas import validate
from checker.review.mutate import equivalents
from checker.review.mutate.generate import MutateError, mutants


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_the_packaged_equivalents_name_real_mutants(profile: str) -> None:
    path = equivalents.default_path(profile)
    if not path.is_file():
        pytest.skip(f"no equivalents marked for {profile}")
    marked = equivalents.load(path)
    equivalents.check(path, marked, profile, set())  # raises on an id no mutant has
    assert all(reason and "\n" not in reason for reason in marked.values())


@pytest.mark.parametrize("mid", ["memory:nothing:1:0:delete:0", "memory:state_show:1:0:delete:0",
                                 "nomodule:state_show:1:0:delete:0", "memory"])
def test_an_unknown_id_is_one_line_naming_the_file_and_the_id(mid: str, tmp_path: Path) -> None:
    f = tmp_path / "eq.toml"
    f.write_text(f'[equivalent]\n"{mid}" = "a reason"\n')
    with pytest.raises(MutateError) as e:
        equivalents.check(f, equivalents.load(f), "v6.1", set())
    assert str(e.value) == f"{f}: unknown mutant id {mid} (memhp mutate --list shows the ids)"


@pytest.mark.parametrize("text", [
    "[equivalent\n",                                    # not TOML
    '[equivalent]\n"memory:x:1:0:delete:0" = 3\n',     # a reason that is not text
    '[equivalent]\n"memory:x:1:0:delete:0" = " "\n',   # an empty reason
    '[other]\n',                                        # another table
    'equivalent = "x"\n',                               # not a table
    '[equivalent]\n"memory:x:1:0:delete:0" = "r"\n',   # an id no mutant has
])
def test_a_broken_equivalents_file_is_exit_2_and_one_line(text: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "eq.toml"
    f.write_text(text)
    code = main(["mutate", "--profile", "v6.1", "--function", "removable_show", "--list",
                 "--equivalents", str(f)])
    assert code == 2
    assert _err(capsys).startswith(f"memhp: error: {f}: ")


@pytest.mark.parametrize("make", ["missing", "directory", "binary"])
def test_an_unreadable_equivalents_file_is_exit_2(make: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "eq.toml"
    if make == "directory":
        f.mkdir()
    elif make == "binary":
        f.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["mutate", "--profile", "v6.1", "--function", "removable_show", "--list",
                 "--equivalents", str(f)]) == 2
    assert _err(capsys).startswith("memhp: error: ")


@pytest.mark.parametrize("argv", [["--jobs", "0"], ["--every", "0"], ["--limit", "-1"],
                                  ["--timeout", "0"], ["--quick", "x"], ["--module", "nope"],
                                  ["--function", "nope"], ["--world", "no-such-world"]])
def test_bad_options_are_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutate", "--profile", "v6.1", "--function", "removable_show", *argv]) == 2
    _err(capsys)


def test_list_shows_ids_and_marks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [m.id for m in mutants("v6.1", ["memory"], ["removable_show"])]
    f = tmp_path / "eq.toml"
    f.write_text(f'[equivalent]\n"{ids[0]}" = "a reviewed reason"\n')
    assert main(["mutate", "--profile", "v6.1", "--function", "removable_show", "--list",
                 "--equivalents", str(f)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ids
    assert out[0].endswith("[equivalent: a reviewed reason]")
    assert main(["mutate", "--profile", "v6.1", "--function", "removable_show", "--list",
                 "--limit", "1", "--json"]) == 0
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == ids[:1]


@pytest.mark.engine
def test_a_small_run_writes_its_report_and_json(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ids = [m.id for m in mutants("v6.1", ["memory"], ["removable_show"])]
    f = tmp_path / "eq.toml"
    f.write_text(f'[equivalent]\n"{ids[0]}" = "a reviewed reason"\n')
    code = main(["mutate", "--profile", "v6.1", "--function", "removable_show", "--quick", "none",
                 "--depth", "2", "--ops", "1", "--budget", "none", "--equivalents", str(f),
                 "--out", str(tmp_path / "r"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "memhp-mutation/1")
    assert code == 0
    assert [m["status"] for m in doc["mutants"]] == ["equivalent"] + ["killed"] * (len(ids) - 1)
    assert doc["score"] == 1.0 and doc["budget"]["bounds"] == [{"depth": 2, "ops": 1}]
    md = (tmp_path / "r" / "mutation-v6.1.md").read_text()
    assert "| score = killed / (total - equivalent) | 100.0% |" in md
    assert "a reviewed reason" in md
