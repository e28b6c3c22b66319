"""A patched mirror that reaches a modelled BUG() is a finding (``kernel_bug``) with its trace, not
a usage error; a patch that raises anything else still is one (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines.explore import explore
from checker.formats.schemas import validate
from checker.model import MirrorModel
from spec.actions import Action
from spec.errors import KernelBug
from spec.kernel import Kernel
from spec.kernel.lib import BUG, BUG_ON
from spec.worlds import resolve_world

HERE = Path(__file__).resolve().parent
PATCH = str(HERE / "review_patches" / "eject_without_offline.py")
WORLD = str(HERE.parents[1] / "mutants" / "worlds" / "v61-boot-hotplug.toml")
REVIEW = ["--against", "v6.1", "--world", WORLD, "--depth", "3", "--ops", "1", "--budget", "none"]


def _patch() -> object:
    from checker.model import load_impl

    return load_impl(PATCH)


def test_bug_and_bug_on_name_the_function_they_fire_in() -> None:
    def offline_pages() -> None:
        BUG_ON(1 > 2, "never")
        BUG_ON(2 > 1, "start_pfn >= end_pfn")

    with pytest.raises(KernelBug) as e:
        offline_pages()
    assert (e.value.function, e.value.what) == ("offline_pages", "start_pfn >= end_pfn")

    def __remove_memory() -> None:
        BUG("not offline")

    with pytest.raises(KernelBug) as e:
        __remove_memory()
    assert e.value.function == "__remove_memory"


def test_the_driver_lets_a_bug_through_and_undoes_the_step() -> None:
    k = Kernel(resolve_world(WORLD), _patch())  # type: ignore[arg-type]
    k.apply(Action("hotremove", thread="fw", block=1))
    before, log = k.machine(), list(k._log)
    with pytest.raises(KernelBug) as e:
        k.apply(Action("step", thread="fw"))
    assert e.value.function == "__remove_memory"
    # the kernel is as it was before the step: the eject still waits for its lock
    assert k.machine() == before and k._log == log and k.runnable() == ["fw"]


def test_the_explorer_reports_the_bug_with_a_shortest_trace_and_stops_there() -> None:
    model = MirrorModel(resolve_world(WORLD), _patch())
    res = explore(model, max_depth=3)
    key = ("kernel_bug", "BUG:__remove_memory")
    assert key in res.hits
    hit = res.hits[key]
    assert hit.violation.message.startswith("the kernel would BUG here: BUG() in __remove_memory")
    trace = res.traces[key]
    assert (trace.steps[0].action.kind, trace.steps[0].action.block) == ("hotremove", 1)
    assert trace.steps[-1].obs.point == "BUG:__remove_memory" and len(trace) == 2
    # the crashed state is terminal
    crashed = [s2 for _, s2, o in model.successors(model.step(model.initial()[0],
                                                              trace.steps[0].action)[0])
               if o.point.startswith("BUG:")]
    assert crashed and all(list(model.successors(s)) == [] for s in crashed)
    assert model.start_actions(crashed[0]) == [] and model.thread_steps(crashed[0], "fw") == []


def test_review_reports_the_bug_as_a_broken_promise_whose_trace_replays(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    md = tmp_path / "r.md"
    code = main(["review", "--impl", PATCH, *REVIEW, "--json", "--markdown", str(md)])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-review/1")
    assert data["verdict"] == "breaks promises"
    bugs = [b for b in data["broken"] if b["invariant"] == "kernel_bug"]
    assert len(bugs) == 1
    b = bugs[0]
    assert b["cause"] == "BUG:__remove_memory" and b["engine"] == "explore"
    assert "the kernel would BUG here" in b["message"] and "__remove_memory" in b["message"]
    last = b["trace"]["steps"][-1]
    assert last["obs"]["point"] == "BUG:__remove_memory"
    text = md.read_text()
    assert "kernel_bug" in text and "hits BUG() in __remove_memory" in text

    trace = tmp_path / "bug.json"
    trace.write_text(json.dumps(b["trace"]))
    assert main(["replay", str(trace), "--impl", PATCH]) == 0
    out = capsys.readouterr().out
    assert "still violates kernel_bug [BUG:__remove_memory]" in out
    assert "the kernel would BUG here" in out
    # the unpatched mirror does not hit it: it offlines the block first
    assert main(["replay", str(trace), "--impl", "mirror"]) == 1
    assert "no longer violates kernel_bug" in capsys.readouterr().out


def test_a_patch_that_raises_anything_else_is_still_a_one_line_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    patch = tmp_path / "typo.py"
    patch.write_text('"""A patch with a mistake: one argument too many."""\n\n'
                     "def acpi_scan_try_to_offline(k, mem_device):\n"
                     "    ret = yield from k.fn.acpi_bus_offline(k, mem_device, 1)\n"
                     "    return ret\n")
    code = main(["review", "--impl", str(patch), *REVIEW])
    err = capsys.readouterr().err
    assert code == 2
    assert "TypeError" in err and err.count("\n") == 1 and "Traceback" not in err
    assert "kernel_bug" not in err
