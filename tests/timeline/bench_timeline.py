"""Timeline figures for the issue's goals: append rate, last page, and export of a large incident.

Not a test (no assertions on time); run it by hand on a quiet machine:
``.venv/bin/python -m tests.timeline.bench_timeline --entries 100000``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from redis import Redis

from bot.core.timeline import Entry, EntryKind, export_json, export_markdown
from bot.timeline_store import TimelineStore
from tests.support.redis_server import running_redis


def main() -> None:
    """Fill one incident with ``--entries`` progress entries on a fresh redis-server and time the reads."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    count = parser.parse_args().entries
    with tempfile.TemporaryDirectory() as directory, running_redis(Path(directory)) as server:
        client = Redis.from_url(server.url)
        store = TimelineStore(client)
        store.open_incident(channel="C1", title="benchmark", actor="U0BENCH")
        started = time.perf_counter()
        for index in range(count):
            store.append(
                Entry(
                    at=1_800_000_000.0 + index,
                    actor="worker",
                    kind=EntryKind.JOB_PROGRESS,
                    summary=f"evicted pod web-{index}",
                    channel="C1",
                    job_id=f"job-{index // 100}",
                    target="node/n1",
                    details={"index": index},
                )
            )
        appended = time.perf_counter()
        scope = store.scope(channel="C1")
        assert scope is not None
        store.page(scope.stream, count=20)
        paged = time.perf_counter()
        export = store.export(scope)
        read = time.perf_counter()
        export_markdown(export)
        markdown = time.perf_counter()
        export_json(export)
        done = time.perf_counter()
        client.close()
    print(f"entries: {count}, chain verified: {export.report.ok}")
    print(f"append: {count / (appended - started):.0f} entries/s")
    print(f"last page of 20: {(paged - appended) * 1000:.1f} ms")
    print(
        f"export read + verify: {read - paged:.2f} s, markdown: {markdown - read:.2f} s, json: {done - markdown:.2f} s"
    )


if __name__ == "__main__":
    main()
