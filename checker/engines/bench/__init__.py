"""The SPIN peer benchmark world (docs/spin-model.md) as a Model of the explorer."""

from checker.engines.bench.model import BenchModel
from checker.engines.bench.world import BenchWorld, is_bench_name, parse_bench

__all__ = ["BenchModel", "BenchWorld", "is_bench_name", "parse_bench"]
