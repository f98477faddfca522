"""`chatops worker --cluster` takes the names the chat grammar takes, and refuses others at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shared.messages.policy import bad_cluster_name

CHATOPS = Path(sys.executable).parent / "chatops"


def test_a_worker_for_a_cluster_name_nobody_could_type_stops_at_once_saying_why() -> None:
    """``prod/eu`` is no cluster name (``--cluster prod/eu`` is a usage error in chat): exit 2, one line."""
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"}
    worker = subprocess.run(
        [str(CHATOPS), "worker", "--cluster", "prod/eu", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (worker.returncode, worker.stderr.splitlines()[-1]) == (
        2,
        f"chatops worker: {bad_cluster_name(name='prod/eu')}",
    )
