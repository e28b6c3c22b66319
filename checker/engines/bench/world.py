"""The parameters of the SPIN peer benchmark world, and its name ``spin-bench:B=..,N=..,K=..,W=..``.

A BenchWorld is B memory blocks (block ``b`` on node ``b % N``), N nodes, K memory-notifier
callbacks and W userspace writers, plus at most one seeded bug (``BUG=1|2|3``) of
docs/spin-model.md. It has no kernel profile: the benchmark abstracts away holes,
zones, error injection and the sysfs view.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.errors import WorldError

#: a writer's phase, the low three bits of its chunk of a packed state (docs/spin-model.md)
IDLE, WAIT, NOTIFY, COMMIT, FINISH = range(5)

PREFIX = "spin-bench:"
LIMITS = {"B": (1, 8), "N": (1, 3), "K": (1, 8), "W": (1, 6), "BUG": (0, 3)}


@dataclass(frozen=True)
class BenchWorld:
    B: int
    N: int
    K: int
    W: int
    bug: int = 0

    @property
    def name(self) -> str:
        base = f"{PREFIX}B={self.B},N={self.N},K={self.K},W={self.W}"
        return base + (f",BUG={self.bug}" if self.bug else "")

    @property
    def profile(self) -> str:
        """The benchmark has no kernel profile; reports name it ``bench``."""
        return "bench"


def is_bench_name(spec: str) -> bool:
    return spec.startswith(PREFIX)


def parse_bench(spec: str) -> BenchWorld:
    """``spin-bench:B=5,N=2,K=3,W=3`` (``BUG=n`` optional) -> BenchWorld; WorldError otherwise."""
    if not is_bench_name(spec):
        raise WorldError(f"{spec}: not a spin-bench world name (expected {PREFIX}B=..,N=..,K=..,W=..)")
    vals: dict[str, int] = {}
    body = spec[len(PREFIX):]
    for part in body.split(",") if body else []:
        name, sep, text = part.partition("=")
        name = name.strip().upper()
        if not sep or name not in LIMITS:
            raise WorldError(f"{spec}: {part!r} is not one of B=, N=, K=, W=, BUG=")
        if name in vals:
            raise WorldError(f"{spec}: {name} is given twice")
        try:
            v = int(text)
        except ValueError:
            raise WorldError(f"{spec}: {name}={text!r} is not an integer") from None
        lo, hi = LIMITS[name]
        if not lo <= v <= hi:
            raise WorldError(f"{spec}: {name}={v} is out of range {lo}..{hi}")
        vals[name] = v
    missing = [n for n in ("B", "N", "K", "W") if n not in vals]
    if missing:
        raise WorldError(f"{spec}: missing {', '.join(missing)} (expected {PREFIX}B=..,N=..,K=..,W=..)")
    return BenchWorld(vals["B"], vals["N"], vals["K"], vals["W"], vals.get("BUG", 0))
