"""``python -m benchmarks [NAME] [ARGS]``: run one benchmark, or all of them and print one combined table.

Each benchmark module exposes ``figures(argv) -> list[Row]``: it prints its own detailed table and returns
its headline figures, each with its peer and their ratio. With no name, every benchmark runs in turn (at the
issue's sizes, or reduced ones with ``--quick``) and the combined table of their rows comes last, with the
machine line. A benchmark that fails is named in the table and makes the exit status 1; the rest still run.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

from benchmarks import drain, drain_real, kubesim_scale, slack_ack, slack_drain, timeline
from benchmarks.stats import Row, figures_table, machine

Benchmark = Callable[[list[str] | None], list[Row]]

BENCHMARKS: dict[str, Benchmark] = {
    "kubesim": kubesim_scale.figures,
    "timeline": timeline.figures,
    "drain": drain.figures,
    "drain-real": drain_real.figures,
    "slack": slack_ack.figures,
    "slack-drain": slack_drain.figures,
}

QUICK: dict[str, list[str]] = {
    "kubesim": ["--nodes", "500", "--repeat", "50"],
    "timeline": ["--entries", "20000"],
    "drain": ["--replicas", "50", "--repeat", "1", "--cordon-repeat", "10"],
    "drain-real": ["--replicas", "30", "--repeat", "1"],
    "slack": ["--events", "100", "--rounds", "1"],
    "slack-drain": ["--replicas", "50", "--repeat", "1"],
}
"""Reduced sizes for ``--quick``: every figure still measured, in a few minutes."""


def run_all(*, quick: bool, only: list[str]) -> int:
    """Run the chosen benchmarks in order and print the combined table."""
    rows: list[Row] = []
    status = 0
    started = time.perf_counter()
    for name in only or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        try:
            rows += BENCHMARKS[name](QUICK[name] if quick else [])
        except Exception as error:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(f"{name}: FAILED", type(error).__name__, str(error)[:60], "-"))
            status = 1
        print(flush=True)
    sizes = "reduced sizes (--quick)" if quick else "the issue's sizes"
    print(f"== all figures, {sizes}, in {time.perf_counter() - started:.0f} s")
    print(f"machine: {machine()}")
    print(figures_table(rows))
    return status


def main(argv: list[str]) -> int:
    """Dispatch to the named benchmark, or run them all."""
    if argv and argv[0] in BENCHMARKS:
        BENCHMARKS[argv[0]](argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=f"Run every benchmark, or one: python -m benchmarks {{{','.join(BENCHMARKS)}}} [ARGS]",
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes, for a check in a few minutes")
    parser.add_argument("--only", action="append", default=[], choices=list(BENCHMARKS), help="repeatable")
    args = parser.parse_args(argv)
    return run_all(quick=args.quick, only=args.only)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
