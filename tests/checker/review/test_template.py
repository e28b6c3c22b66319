"""memhp review --template: a mirror function as the start of a patch, accepted as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.review.engine import load_patch, overrides
from checker.review.template import template
from spec.kernel.driver import mirror_functions

HERE = Path(__file__).resolve().parent
SMALL = str(HERE.parents[1] / "catalogue" / "worlds" / "boot-movable.toml")
CORRECT = HERE.parents[2] / "tests" / "mutants" / "correct_code"


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_every_functions_template_is_a_patch_of_that_function(profile: str, tmp_path: Path) -> None:
    names = sorted(mirror_functions(profile))
    assert len(names) > 40
    for i, name in enumerate(names):
        f = tmp_path / f"t{i}.py"
        f.write_text(template(name, profile))
        assert overrides(load_patch(str(f)), profile) == [name], name


@pytest.mark.parametrize("profile,function", [("v3.4", "online_pages"), ("v6.1", "offline_pages"),
                                              ("v6.1", "online_pages"), ("v3.4", "memory_notify"),
                                              ("v6.1", "state_store")])  # reads MMOP_* (a tuple assignment)
def test_an_unedited_template_changes_nothing(profile: str, function: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--template", function, "--profile", profile]) == 0
    f = tmp_path / "patch.py"
    f.write_text(capsys.readouterr().out)
    code = main(["review", "--impl", str(f), "--against", profile, "--world", SMALL, "--ops", "2",
                 "--budget", "none", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["verdict"], data["overrides"]) == (0, "no observable change", [function])


def test_a_patch_for_the_other_profiles_signature_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["review", "--impl", str(CORRECT / "online_pages_goto_failed.py"), "--against", "v6.1",
                 "--world", SMALL, "--budget", "none"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "online_pages(k, pfn, nr_pages) does not match the v6.1 mirror's " \
           "online_pages(k, pfn, nr_pages, zone)" in err


@pytest.mark.parametrize("argv,msg", [
    (["--template", "online_pages"], "--template needs --profile"),
    (["--template", "no_such_fn", "--profile", "v6.1"], "not a function of the v6.1 kernel mirror"),
    (["--template", "online_pages", "--profile", "v5.6"], "renders v3.4 and v6.1 only"),
    (["--template", "online_pages", "--profile", "v6.1", "--budget", "ci"], "--budget would do nothing"),
    ([], "review needs --impl MODULE"),
])
def test_template_usage_errors(argv: list[str], msg: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_a_hostile_name_is_quoted_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--template", "x\x1b[31m$(touch pwn)\nnext", "--profile", "v6.1"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and len(err.strip().splitlines()) == 1
    assert "x\\x1b[31m$(touch pwn)\\nnext" in err
