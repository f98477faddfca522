"""``python -m benchmarks [NAME] [ARGS]``: run one benchmark, or all of them."""

from __future__ import annotations

import sys

from benchmarks import drain, kubesim_scale, slack_ack, slack_drain, timeline

BENCHMARKS = {
    "kubesim": kubesim_scale.main,
    "timeline": timeline.main,
    "drain": drain.main,
    "slack": slack_ack.main,
    "slack-drain": slack_drain.main,
}


def main(argv: list[str]) -> int:
    """Dispatch to the named benchmark, or run every benchmark with its defaults."""
    if argv and argv[0] in BENCHMARKS:
        return BENCHMARKS[argv[0]](argv[1:])
    if argv:
        print(f"unknown benchmark {argv[0]!r}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    status = 0
    for name, run in BENCHMARKS.items():
        print(f"== {name}")
        status = run([]) or status
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
