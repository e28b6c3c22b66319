"""The CLI explains itself: --version, help on every option, examples that parse, invariants,
explain and shell completion (checker/commands/examples.py, invariants.py, explain.py,
completion.py)."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess

import pytest

from checker.cli import _parser, main
from checker.commands.examples import EXAMPLES
from spec.invariants import INVARIANTS


def _subs() -> dict[str, argparse.ArgumentParser]:
    p = _parser()
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    raise AssertionError("no subcommands")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("memhp ") and out.split()[1][0].isdigit()


def test_every_option_has_help_and_every_command_examples() -> None:
    for name, sp in _subs().items():
        for a in sp._actions:
            assert a.help, f"memhp {name}: {a.option_strings or a.dest} has no help text"
        assert name in EXAMPLES, f"memhp {name} has no examples in its --help"
        assert "examples:" in sp.format_help()


def test_every_example_parses() -> None:
    p = _parser()
    for name, rows in EXAMPLES.items():
        assert name in _subs(), f"examples for a command that does not exist: {name}"
        for _, line in rows:
            argv = shlex.split(line.split(">")[0])
            assert argv[0] == "memhp" and argv[1] == name, line
            try:
                p.parse_args(argv[1:])
            except SystemExit:
                pytest.fail(f"the example does not parse: {line}")


def test_a_wrong_example_would_not_parse() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["verify", "--no-such-flag"])


def test_invariants_lists_every_one_with_its_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invariants"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for inv in INVARIANTS:
        assert inv.name in out
        assert " ".join(inv.quote.split()[:6]) in out


def test_explain_names_the_known_finding(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "node_state_going"]) == 0
    out = capsys.readouterr().out
    assert "offline:MEM_GOING_OFFLINE" in out and "offline_pages()" in out
    assert main(["explain", "chain_order"]) == 0
    assert "No unmodified profile breaks it" in capsys.readouterr().out
    assert main(["explain", "sysfs_removable"]) == 0  # pinned for v6.1 (53cdc1cb29e8, v5.7)
    assert "v6.1, world qemu-2node, removable" in capsys.readouterr().out


def test_explain_unknown_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "node_stat"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean node_state" in err


def _complete(script: str, line: str) -> list[str]:
    """What bash completes at the end of ``line`` with the script loaded."""
    words = line.split(" ")
    prog = (script + "\nCOMP_WORDS=(" + " ".join(shlex.quote(w) for w in words) + ")\n"
            f"COMP_CWORD={len(words) - 1}\n_memhp\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    out = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True,
                         timeout=30, cwd="/")
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert set(_complete(script, "memhp ver")) == {"verify"}
    assert set(_complete(script, "memhp verify --pro")) == {"--profile"}
    assert set(_complete(script, "memhp verify --profile v6")) == {"v6.1", "v6.17"}
    assert "qemu-2node" in _complete(script, "memhp verify --world qemu")
    assert set(_complete(script, "memhp explain node_state_")) == {"node_state_going", "node_state_done"}
    assert set(_complete(script, "memhp completion z")) == {"zsh"}
