"""A lock held by a worker that dies (SIGKILL) frees itself after its TTL: no stuck targets."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from redis import Redis

from tests.workers.harness import wait_for
from workers.locks import TargetLock, lock_key

pytestmark = pytest.mark.redis

HOLDER = textwrap.dedent(
    """
    import sys, time
    from redis import Redis
    from workers.locks import TargetLock
    with TargetLock(Redis.from_url(sys.argv[1]), "node/node-1", cluster="default", ttl=1.0):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_a_killed_holders_lock_expires_and_can_be_taken(redis_url: str) -> None:
    """The heartbeat keeps the lock only while its process lives."""
    connection = Redis.from_url(redis_url)
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert connection.exists(lock_key("node/node-1", cluster="default"))
        finally:
            holder.kill()
    wait_for(
        lambda: not connection.exists(lock_key("node/node-1", cluster="default")),
        what="the dead holder's lock to expire",
    )
    with TargetLock(connection, "node/node-1", cluster="default") as lock:
        lock.check()
    connection.close()
