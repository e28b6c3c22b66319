"""Running mutants: each one reviewed as a patch, in a child process with a time and memory limit.

Models: a mutant is written as a patch module to a scratch directory, loaded with
checker.review.engine.load_patch (checker.model.load_impl, as ``memhp review --impl`` loads a
user's patch) and reviewed with checker.review.engine.review against the unpatched profile on
one world. Reviews run at each of the ``bounds`` (depth, ops) in turn, cheapest first: the first
one whose verdict is not ``no observable change`` kills the mutant (a finding the base does not
show, or a behaviour the base does not have, at those bounds); a mutant survives only if the last
(the largest) bound finds nothing. The Hypothesis lockstep runs in the last review only: a
lockstep failure that the base does not show within the example's length makes review search the
base without a depth bound (a minute), a cost the cheap first review must not pay. Each mutant
runs in a forked child: ``RLIMIT_AS`` caps its memory, the parent kills it at the wall-clock
``timeout`` (and kills every child it started when it is interrupted or terminated).

Outcomes (``STATUSES``): ``killed`` (with how: the invariant and cause broken, or the aspects of
behaviour changed), ``survived``, ``timeout``, ``crashed`` (the patched mirror raised: review's
ImplError, exit 2 on the command line, or the memory limit; listed with the message, never
counted as killed), and ``equivalent`` (marked in the reviewed file; not run).

Leaves out: the Z3 engine (review does not run it).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable

from checker.review.mutate.generate import Mutant

STATUSES = ("killed", "survived", "timeout", "crashed", "equivalent")


@dataclass(frozen=True)
class Budget:
    """What each mutant gets: the world, the review bounds tried in turn, the Hypothesis
    budget of review's lockstep (None: skipped), its seed, and the child's limits."""

    world: str = "default"
    bounds: tuple[tuple[int, int], ...] = ((4, 2), (8, 3))  # the last: review's defaults
    hypothesis: str | None = "dev"
    seed: int = 0
    timeout: float = 300.0
    memory_mb: int = 4096

    def to_json(self) -> dict[str, Any]:
        return {"world": self.world, "bounds": [{"depth": d, "ops": o} for d, o in self.bounds],
                "hypothesis": self.hypothesis, "seed": self.seed, "timeout": self.timeout,
                "memory_mb": self.memory_mb}

    def text(self) -> str:
        b = ", then ".join(f"depth {d} / ops {o}" for d, o in self.bounds)
        hyp = f"Hypothesis lockstep budget {self.hypothesis} in the last" if self.hypothesis \
            else "no Hypothesis lockstep"
        return (f"world {self.world}; review bounds {b}; {hyp} (seed {self.seed}); "
                f"{self.timeout:g} s and {self.memory_mb} MB per mutant")


@dataclass
class Outcome:
    """What happened to one mutant."""

    mutant: Mutant
    status: str
    how: str = ""
    seconds: float = 0.0
    #: the review bound (depth, ops) that killed it
    bound: tuple[int, int] | None = None
    broken: list[dict[str, str]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.mutant.to_json(), "status": self.status, "how": self.how,
                "seconds": round(self.seconds, 2),
                "bound": {"depth": self.bound[0], "ops": self.bound[1]} if self.bound else None,
                "broken": self.broken, "changes": self.changes}


def patch_path(directory: Path, mutant: Mutant) -> Path:
    """Where a mutant's patch module is written: one file per id, a name Python can import."""
    return directory / ("m_" + re.sub(r"[^A-Za-z0-9]+", "_", mutant.id) + ".py")


def review_mutant(mutant: Mutant, profile: str, budget: Budget, directory: Path) -> dict[str, Any]:
    """Review one mutant in this process; the outcome as a dict (what the child sends back)."""
    from checker.review.engine import load_patch, review
    from spec.errors import ImplError, MemhpError
    from spec.profiles import get_profile
    from spec.worlds import resolve_world

    path = patch_path(directory, mutant)
    path.write_text(mutant.source)
    world = resolve_world(budget.world)
    try:
        impl = load_patch(str(path))
        for depth, ops in budget.bounds:
            last = (depth, ops) == budget.bounds[-1]
            r = review(mutant.id, impl, get_profile(profile), world, depth, ops,
                       budget.hypothesis if last else None, budget.seed)
            if r.verdict != "no observable change":
                return {"status": "killed", "bound": (depth, ops), **_how(r)}
        return {"status": "survived"}
    except MemoryError:
        return {"status": "crashed", "how": f"exceeded the memory limit ({budget.memory_mb} MB)"}
    except ImplError as e:
        return {"status": "crashed", "how": str(e).replace(str(path), mutant.id)}
    except MemhpError as e:
        return {"status": "crashed", "how": f"{type(e).__name__}: {e}"}
    except Exception as e:  # noqa: BLE001 - raised where review does not make it an ImplError
        # the unpatched mirror reviews cleanly on the world, so the mutant caused it (at boot,
        # or in a read-out such as the abstraction); review shows a traceback there
        where = _frame_in(e, path)
        return {"status": "crashed", "how": f"raised {type(e).__name__}: {e}"
                                            f"{' in ' + where if where else ''} outside a step "
                                            f"(no ImplError: review shows a traceback)"}
    finally:
        path.unlink(missing_ok=True)


def _frame_in(e: BaseException, path: Path) -> str | None:
    """The mutated function's innermost frame in ``e``'s traceback ('function line N'), or None
    when the exception did not pass through it."""
    import traceback

    where = None
    for fr in traceback.extract_tb(e.__traceback__):
        if fr.filename == str(path):
            where = f"{fr.name} line {fr.lineno}"
    return where


def _how(r: Any) -> dict[str, Any]:
    """How a review killed a mutant: the promises broken, else the behaviour changed."""
    broken = [{"invariant": b.invariant, "cause": b.cause, "engine": b.engine, "bound": b.bound}
              for b in r.broken]
    changes: list[str] = []
    if r.diff is not None:
        for d in r.diff.differences:
            if d.aspect not in changes:
                changes.append(d.aspect)
    if r.lockstep.startswith("diverges"):
        changes.append("lockstep")
    changes += [f"sooner:{k[0]}" for k, _, _ in r.sooner]
    if broken:
        b = broken[0]
        how = f"breaks {b['invariant']} [{b['cause']}] ({b['engine']}, {b['bound']})"
        if len(broken) > 1:
            how += f" and {len(broken) - 1} more"
    else:
        how = "changes " + ", ".join(changes)
    return {"how": how, "broken": broken, "changes": changes}


def _child(mutant: Mutant, profile: str, budget: Budget, directory: Path, conn: Connection) -> None:
    """The forked child: limits, quiet output, one review, the outcome sent up the pipe."""
    limit = budget.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        out = review_mutant(mutant, profile, budget, directory)
    except BaseException as e:  # noqa: BLE001 - a bug of the checker, reported as a crash
        out = {"status": "crashed", "how": f"the checker raised {type(e).__name__}: {e}"}
    try:
        conn.send(out)
    finally:
        conn.close()
        sys.stdout.flush()
        os._exit(0)


def run_mutants(mutants: list[Mutant], profile: str, budget: Budget, directory: Path,
                jobs: int = 1, progress: Callable[[Outcome, int, int], None] | None = None,
                time_budget: float | None = None) -> list[Outcome]:
    """Run the mutants, ``jobs`` at a time; outcomes in the order of ``mutants``. With
    ``time_budget`` (seconds), no mutant starts once it is spent: the outcomes are then those of
    the mutants started, a prefix of ``mutants``."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # through the ``finally`` below: the children are killed

    old = signal.signal(signal.SIGTERM, stop)
    try:
        return _run(mutants, profile, budget, directory, jobs, progress, time_budget)
    finally:
        signal.signal(signal.SIGTERM, old)


def _run(mutants: list[Mutant], profile: str, budget: Budget, directory: Path, jobs: int,
         progress: Callable[[Outcome, int, int], None] | None,
         time_budget: float | None) -> list[Outcome]:
    # imported once here and inherited by every child: a child imports nothing from disk, so a
    # source tree edited during a long run cannot give it a mix of old and new modules
    import hypothesis  # noqa: F401
    import checker.engines.explore  # noqa: F401
    import checker.engines.stateful  # noqa: F401
    import checker.formats.traces  # noqa: F401
    import checker.review.diff  # noqa: F401
    import checker.review.engine  # noqa: F401
    import spec.worlds  # noqa: F401

    ctx = multiprocessing.get_context("fork")
    directory.mkdir(parents=True, exist_ok=True)
    pending = list(enumerate(mutants))
    running: dict[Connection, tuple[int, Any, float]] = {}
    done: dict[int, Outcome] = {}

    def finish(i: int, out: Outcome) -> None:
        done[i] = out
        if progress is not None:
            progress(out, len(done), len(mutants))

    start = time.monotonic()
    try:
        while pending or running:
            if time_budget is not None and time.monotonic() - start >= time_budget:
                pending = []
            while pending and len(running) < jobs:
                i, m = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(m, profile, budget, directory, send))
                proc.start()
                send.close()
                running[recv] = (i, proc, time.monotonic())
            if not running:
                break
            now = time.monotonic()
            first = min(t0 for _, _, t0 in running.values())
            ready = wait(list(running), timeout=max(0.0, first + budget.timeout - now))
            now = time.monotonic()
            for conn in list(running):
                i, proc, t0 = running[conn]
                if conn in ready:
                    try:
                        got = conn.recv()
                    except EOFError:  # the child died without an answer (a signal, the OOM)
                        proc.join()
                        got = {"status": "crashed",
                               "how": f"the child process died (exit {proc.exitcode})"}
                    proc.join()
                elif now - t0 >= budget.timeout:
                    proc.kill()
                    proc.join()
                    got = {"status": "timeout", "how": f"no verdict in {budget.timeout:g} s"}
                else:
                    continue
                conn.close()
                del running[conn]
                bound = got.get("bound")
                finish(i, Outcome(mutants[i], got["status"], got.get("how", ""), now - t0,
                                  tuple(bound) if bound else None, got.get("broken", []),
                                  got.get("changes", [])))
    finally:
        for conn, (_, proc, _) in running.items():
            proc.kill()
            proc.join()
            conn.close()
    return [done[i] for i in range(len(mutants)) if i in done]


def median_seconds(outcomes: list[Outcome]) -> float:
    ran = [o.seconds for o in outcomes if o.status != "equivalent"]
    return statistics.median(ran) if ran else 0.0
