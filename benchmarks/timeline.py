"""The incident timeline on a real redis-server: append rate, last page, and export of a large incident.

Each figure has a peer measured in the same run on the same server: appending against a bare
``XADD`` of the same fields (the cost of de-duplication, the keyed hash chain and routing to the open
incident; medians of batches, the two interleaved so both see the same machine), the last page against
a bare ``XREVRANGE`` of 20, and the export against reading the raw stream. Goals from the issue:
last page under 50 ms and export of 10,000 entries under 1 s.
Run: ``python -m benchmarks timeline --entries 100000``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from redis import Redis

from benchmarks.stats import Row, figures_table, machine, measure, ratio
from bot.core.timeline import Entry, EntryKind, export_markdown
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import TimelineStore
from tests.support.redis_server import running_redis

BATCH = 200
"""Appends timed together, then as many bare XADDs: the figures are the medians of the batches, and the
ratio the median of each batch's ratio to the XADDs right after it (robust to a machine busy in bursts)."""


def entry(index: int) -> Entry:
    """One progress entry of a long drain."""
    return Entry(
        at=1_800_000_000.0 + index,
        actor="worker",
        kind=EntryKind.JOB_PROGRESS,
        summary=f"evicted pod web-{index}",
        channel="C1",
        job_id=f"job-{index // 100}",
        target="node/n1",
        details={"evicted": index},
    )


def figures(argv: list[str] | None = None) -> list[Row]:
    """Fill one incident, time appends, the last page and exports; print and return the rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks timeline")
    parser.add_argument("--entries", type=int, default=100_000)
    count = parser.parse_args(argv).entries
    with tempfile.TemporaryDirectory() as directory, running_redis(Path(directory)) as server:
        client = Redis.from_url(server.url)
        store = TimelineStore(client, key=DEMO_CHAIN_KEY)
        incident, _ = store.open_incident(channel="C1", title="benchmark", actor="U0BENCH")
        scope = store.scope(channel="C1")
        assert scope is not None
        first = store.append(entry(0)).chained
        assert first is not None
        raw_fields: dict[Any, Any] = {
            "seq": first.seq,
            "prev": first.prev_hash,
            "hash": first.hash,
            "body": first.body,
        }
        appends: list[float] = []
        bare: list[float] = []
        index = 1
        while index < count:
            batch = range(index, min(count, index + BATCH))
            started = time.perf_counter()
            for number in batch:
                store.append(entry(number))
            appends.append((time.perf_counter() - started) / len(batch))
            started = time.perf_counter()
            for _ in batch:
                client.xadd("bench:raw", raw_fields)
            bare.append((time.perf_counter() - started) / len(batch))
            index += len(batch)
        append_each, bare_each = statistics.median(appends), statistics.median(bare)
        paired = statistics.median(ours / peer for ours, peer in zip(appends, bare, strict=True))
        page = measure("last page", lambda: store.page(scope.stream, count=20), repeat=200)
        raw_page = measure("raw xrevrange", lambda: client.xrevrange(scope.stream, count=20), repeat=200)
        export_all = measure("export", lambda: export_markdown(store.export(scope)), repeat=3, warmup=1)
        raw_read = measure("raw xrange", lambda: list(store.entries(scope.stream)), repeat=3, warmup=1)
        store.open_incident(channel="C2", title="small", actor="U0BENCH")
        for index in range(10_000):
            store.append(
                Entry(
                    **{
                        **entry(index).to_json(),
                        "channel": "C2",
                        "kind": EntryKind.JOB_PROGRESS,
                        "event_id": f"s{index}",
                    }
                )
            )
        small_scope = store.scope(channel="C2")
        assert small_scope is not None
        export_small = measure(
            "export 10k", lambda: export_markdown(store.export(small_scope)), repeat=5, warmup=1
        )
    rows = [
        Row(
            f"timeline append, median of {len(appends)} batches of {BATCH}",
            f"{append_each * 1e6:.0f} us ({1 / append_each:,.0f}/s)",
            f"bare XADD {bare_each * 1e6:.0f} us ({1 / bare_each:,.0f}/s)",
            f"{paired:.2f}x the time (goal 1.5x)",
        ),
        Row(
            f"timeline last page of 20 (of {count})",
            f"{page.median * 1000:.2f} ms",
            f"bare XREVRANGE {raw_page.median * 1000:.2f} ms",
            ratio(page.median, raw_page.median, digits=1),
        ),
        Row(
            f"timeline export of {count} as Markdown (verified)",
            f"{export_all.median:.2f} s",
            f"read entries {raw_read.median:.2f} s",
            ratio(export_all.median, raw_read.median, digits=1),
        ),
        Row(
            "timeline export of 10,000 as Markdown (verified)",
            f"{export_small.median:.2f} s",
            "goal 1 s",
            ratio(export_small.median, 1.0),
        ),
    ]
    print(f"timeline benchmark on redis-server ({incident.incident_id}: {count} entries)")
    print(f"machine: {machine()}")
    print(figures_table(rows))
    return rows
