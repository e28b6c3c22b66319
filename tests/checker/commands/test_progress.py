"""Progress lines on a (fake) terminal: the figures, the rate over the last interval, the
throttle, the line ending; and quiet where nobody watches (not a terminal, CI, --json)."""

from __future__ import annotations

import io

from checker.cli import main
from checker.commands.progress import Progress, for_command, rss_bytes, wanted


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_line_has_every_figure() -> None:
    out, clock = Tty(), Clock()
    p = Progress(out, clock=clock, rss=lambda: 300 << 20)
    clock.t = 1.0
    p(1_000, 2_500, 7, 2.0)
    text = out.getvalue()
    assert text.startswith("\r")
    for part in ("1,000 states", "2,500 transitions", "depth 7", "500 states/s", "RSS 300 MiB", "0:02"):
        assert part in text, part


def test_rate_is_over_the_last_interval_and_lines_are_throttled() -> None:
    out, clock = Tty(), Clock()
    p = Progress(out, interval=1.0, clock=clock, rss=lambda: None)
    clock.t = 1.0
    p(1_000, 0, 1, 1.0)
    clock.t = 1.5
    p(1_400, 0, 2, 1.5)  # within the interval: not drawn
    assert out.getvalue().count("\r") == 1
    clock.t = 2.0
    p(1_100, 0, 3, 2.0)  # 100 states in the last second, not 1,100 / 2
    last = out.getvalue().split("\r")[-1]
    assert "100 states/s" in last and "1,100 states" in last and "RSS ? MiB" in last
    clock.t = 3700.0
    p(2_000_000, 5_000_000, 40, 3723.0)
    assert "1:02:03" in out.getvalue().split("\r")[-1]


def test_shorter_line_erases_the_longer_one_and_done_ends_it() -> None:
    out, clock = Tty(), Clock()
    p = Progress(out, clock=clock, rss=lambda: 12 << 30)
    clock.t = 1.0
    p(123_456_789, 987_654_321, 99, 1.0)
    first = out.getvalue().split("\r")[-1]
    assert "12.0 GiB" in first
    clock.t = 3.0
    p(1, 1, 1, 3.0)
    second = out.getvalue().split("\r")[-1]
    assert len(second) >= len(first)
    p.done()
    assert out.getvalue().endswith("\n")
    p.done()  # a second done writes nothing more
    assert not out.getvalue().endswith("\n\n")


def test_done_without_lines_writes_nothing() -> None:
    out = Tty()
    Progress(out).done()
    assert out.getvalue() == ""


def test_quiet_where_nobody_watches() -> None:
    assert wanted(Tty(), {}) and for_command(False, Tty(), {}) is not None
    assert not wanted(io.StringIO(), {})
    assert not wanted(Tty(), {"CI": "true"})
    assert wanted(Tty(), {"CI": "false"})
    assert not wanted(Tty(), {"TERM": "dumb"})
    assert for_command(True, Tty(), {}) is None
    assert for_command(False, Tty(), {"CI": "1"}) is None


def test_rss_is_this_process() -> None:
    n = rss_bytes()
    assert n is not None and 1 << 20 < n < 64 << 30


def test_explore_draws_progress_on_a_terminal(monkeypatch, capsys, tmp_path) -> None:
    """explore and verify draw the line on a terminal (the explorer reports once a second: its
    clock is made to run fast here), and end it; the same runs with --json draw nothing."""
    import types

    import checker.engines.compiled.engine as compiled_mod
    import checker.engines.reach as reach_mod
    import checker.commands.progress as prog

    ticks = iter(range(10**9))
    for mod in (reach_mod, compiled_mod):  # the interpreted and the compiled explorer
        monkeypatch.setattr(mod, "time", types.SimpleNamespace(monotonic=lambda: 0.6 * next(ticks)))
    fake = Tty()
    monkeypatch.setattr(prog.sys, "stderr", fake)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.chdir(tmp_path)
    for argv in (["explore", "--world", "qemu-2node", "--max-depth", "4"],
                 ["explore", "--world", "qemu-2node", "--max-depth", "4", "--engine", "interpreted"],
                 ["verify", "--world", "qemu-2node", "--max-depth", "4", "--engines", "explore",
                  "--no-baseline", "--out", str(tmp_path / "reports")]):
        assert main(argv) in (0, 1)
        drawn = fake.getvalue()
        assert "states/s" in drawn and "RSS" in drawn and drawn.endswith("\n"), argv
        fake.truncate(0)
        fake.seek(0)
        main([*argv, "--json"])
        assert fake.getvalue() == "", argv
    capsys.readouterr()



def test_prove_tells_its_phases_in_order() -> None:
    """memhp prove's line: the relation, every BMC depth, each k-induction round, the ghosts."""
    from checker.commands.progress import Phases
    from checker.engines.smt.engine import prove
    from spec.config import world_from_dict
    from spec.profiles import get_profile

    tiny = {"name": "tiny", "profile": "v3.4", "section_size_mib": 128, "sections_per_block": 1,
            "writers": 1, "texts": ["online", "offline"], "online_texts": [], "migration": ["ok"],
            "reads": False, "nodes": [{"id": 0}],
            "blocks": [{"id": 1, "node": 0, "boot": "absent", "hotplug": True}], "callbacks": []}
    seen: list[str] = []
    w = world_from_dict(tiny)
    prove(w, get_profile("v3.4"), 1, 60.0, bmc_depth=2, phase=seen.append)
    assert seen[0] == "building the transition relation"
    depths = [s.split()[2] for s in seen if s.startswith("BMC depth") and "of 2" in s]
    assert depths[:3] == ["0", "1", "2"]
    assert any(s.startswith("k-induction, k = 1 of 1") for s in seen)
    assert seen.index("reading the candidate lemmas") < next(
        i for i, s in enumerate(seen) if s.startswith("k-induction"))
    out, clock = Tty(), Clock()
    line = Phases(out, clock=clock)
    clock.t = 75.0
    line("BMC depth 3 of 6, 19 invariants open")
    line("k")
    line.done()
    first, second = "  [1:15] BMC depth 3 of 6, 19 invariants open", "  [1:15] k"
    assert out.getvalue() == "\r" + first + "\r" + second + " " * (len(first) - len(second)) + "\n"
