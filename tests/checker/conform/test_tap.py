"""``memhp conform --tap`` (checker.conform.tap): TAP version 13 as the kernel's selftests print
it, one test per trace, read back by a strict TAP reader; names and diagnostics stay one line
whatever the trace names hold. No QEMU: the conformance results come from the fakes."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from checker.conform.tap import tap, tap_name
from checker.formats.schemas import validate
from tests.checker.formats.hostile import HOSTILE
from tests.checker.formats.test_junit import EXTRA_HOSTILE, conform_doc

TEST = re.compile(r"(ok|not ok) ([1-9][0-9]*) (.+)")
PLAN = re.compile(r"1\.\.([0-9]+)( # SKIP .*)?")


def read_tap(text: str) -> tuple[int, list[tuple[bool, int, str]], list[str]]:
    """(the plan, the tests as (ok, number, name), the diagnostics) of a TAP 13 text; asserts
    every line is one TAP knows and that no name holds a directive or an unescaped ``#``."""
    lines = text.split("\n")
    assert lines[0] == "TAP version 13" and lines[-1] == "", lines[:2]
    plan: int | None = None
    tests: list[tuple[bool, int, str]] = []
    diags: list[str] = []
    for line in lines[1:-1]:
        if line.startswith("# ") or line == "#":
            diags.append(line[2:])
        elif PLAN.fullmatch(line):
            assert plan is None, "two plans"
            plan = int(PLAN.fullmatch(line).group(1))  # type: ignore[union-attr]
        else:
            m = TEST.fullmatch(line)
            assert m, f"not a TAP line: {line!r}"
            name = m.group(3)
            assert re.search(r"(?<!\\)#", name.replace("\\\\", "")) is None, f"unescaped # in {name!r}"
            tests.append((m.group(1) == "ok", int(m.group(2)), name))
    assert plan is not None, "no plan"
    assert [n for _, n, _ in tests] == list(range(1, len(tests) + 1))
    return plan, tests, diags


def unescape(name: str) -> str:
    return re.sub(r"\\(.)", lambda m: m.group(1), name)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return conform_doc()


def test_one_test_per_trace_ok_only_when_it_agrees(doc) -> None:
    plan, tests, diags = read_tap(tap(doc))
    assert plan == len(doc["traces"]) == len(tests) == 3
    assert [ok for ok, _, _ in tests] == [True, False, False]
    assert tests[0][2] == "qemu-2node: hotadd-online-offline"
    assert any(d.startswith("diverged at operation ") for d in diags)
    assert any(d.startswith("difference: ") for d in diags)
    assert "error: GuestError: the guest stopped answering" in diags
    assert "console: Kernel panic" in diags
    assert diags[-1].startswith("agreement 1/3")


def test_an_empty_suite_is_skipped_not_passed(doc) -> None:
    empty = {**doc, "traces": [], "summary": {**doc["summary"], "traces": 0, "agree": 0,
                                               "diverged": 0, "error": 0, "agreement": "0/0"}}
    validate(empty, "memhp-conform/1")
    text = tap(empty)
    plan, tests, _ = read_tap(text)
    assert plan == 0 and tests == [] and "1..0 # SKIP" in text


TAP_HOSTILE = HOSTILE + EXTRA_HOSTILE + ["ok 7 forged", "# SKIP me", "x # TODO y", "\\#",
                                         "not ok 1\nok 2 forged"]


# ids by position: str hashes differ between processes, and pytest-xdist's workers must collect
# the same ids
@pytest.mark.parametrize("text", TAP_HOSTILE, ids=[f"h{i}" for i in range(len(TAP_HOSTILE))])
def test_hostile_names_and_messages_stay_one_line(doc, text) -> None:
    bad = copy.deepcopy(doc)
    for t in bad["traces"]:
        t["trace"] = text + t["trace"]
        t["purpose"] = text
        if "divergence" in t:
            t["divergence"]["action"] = text
            t["divergence"]["differences"] = [text, text]
            t["divergence"]["trace_up_to"] = [text]
        if t.get("error"):
            t["error"] = text
            t["console"] = [text]
    bad["kernel"] = text
    validate(bad, "memhp-conform/1")
    plan, tests, diags = read_tap(tap(bad))
    assert plan == 3 and len(tests) == 3
    assert [ok for ok, _, _ in tests] == [True, False, False]
    if text.isprintable():  # a printable name reads back as it was
        assert unescape(tests[0][2]) == f"qemu-2node: {text}hotadd-online-offline"
        assert f"purpose: {text}".rstrip() in [unescape(d) for d in diags]


def test_tap_name_escapes() -> None:
    assert tap_name("a#b") == "a\\#b"
    assert tap_name("a\\b") == "a\\\\b"
    assert tap_name("a\nb\rc\x1b") == "a\\nb\\rc\\x1b"
    assert tap_name("") == "(unnamed)"


def test_cli_tap_refuses_json_before_any_guest(capsys: pytest.CaptureFixture[str]) -> None:
    from checker import cli

    assert cli.main(["conform", "--tap", "--json"]) == 2
    err = capsys.readouterr().err
    assert "--tap" in err and "Traceback" not in err
    assert cli.main(["conform", "--tap", "--list"]) == 2


def test_cli_tap_prints_tap_instead_of_the_summary(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Any) -> None:
    """The whole command with the kit and the guests replaced by the spec-backed fake."""
    from checker import cli
    from checker.commands import conform as cmd
    from checker.conform import kit as kitmod
    from tests.checker.conform.fakes import SpecGuest

    class Kit:
        kernel_release = "6.1.0-fake"

    class Early:
        def __init__(self, kit: Any, world: Any, progress: Any) -> None:
            pass

        def boot(self, world: Any) -> Any:
            g = SpecGuest(world)
            g.__enter__ = lambda: g  # type: ignore[attr-defined]
            g.__exit__ = lambda *a: None  # type: ignore[attr-defined]
            return g

        def close(self) -> None:
            pass

    from checker.conform.suite import Generator
    from spec.actions import hotadd, write
    from spec.worlds import builtin_world

    w = builtin_world("qemu-2node")
    files = []
    for i, ops in enumerate([[hotadd(32)], [hotadd(32), write("w0", 32, "online_movable")]]):
        files += ["--trace", str(tmp_path / f"t{i}.json")]
        Generator(w).trace(ops).save(tmp_path / f"t{i}.json")
    monkeypatch.setattr(kitmod, "build_kit", lambda progress: Kit())
    monkeypatch.setattr(cmd, "_EarlyBoot", Early)
    code = cli.main(["conform", *files, "--tap", "--out", str(tmp_path)])
    out = capsys.readouterr()
    plan, tests, _ = read_tap(out.out)
    assert plan == 2 and [ok for ok, _, _ in tests] == [True, True] and code == 0
    assert [name for _, _, name in tests] == ["qemu-2node: t0", "qemu-2node: t1"]
    assert "agreement" not in out.err and (tmp_path / "conformance.json").exists()
