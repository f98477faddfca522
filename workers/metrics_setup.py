"""Turning a worker's metrics on: prometheus_client's multiprocess directory, then the observer and the
``/metrics`` server.

Kept apart from :mod:`workers.observing` (which every job imports) so that prometheus_client is imported
only here, after its directory variable is set, and no import cycle joins the two.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from redis import Redis

from workers.observing import MULTIPROC_DIR_VARIABLE, install


def serve_metrics(*, port: int, connection: Redis, queues: Sequence[str], directory: str = "") -> Path:
    """Count this worker's jobs (its horses' too) and serve them at ``/metrics`` on ``port``.

    The values go to files in ``directory`` (emptied first), or in a temporary directory removed at
    exit when none is given. Returns the directory used. Must run before anything imports
    prometheus_client in this process: it picks its multiprocess mode once, at import.
    """
    path = Path(directory) if directory else _temporary_directory()
    path.mkdir(parents=True, exist_ok=True)
    if "prometheus_client" in sys.modules and os.environ.get(MULTIPROC_DIR_VARIABLE) != str(path):
        raise RuntimeError(f"prometheus_client was imported before {MULTIPROC_DIR_VARIABLE} was set")
    os.environ[MULTIPROC_DIR_VARIABLE] = str(path)
    from workers import metrics  # only now that the variable is set (see above)

    metrics.clear_directory(path)
    install(metrics.PrometheusJobObserver())
    metrics.serve(port=port, connection=connection, queues=queues)
    return path


def _temporary_directory() -> Path:
    path = Path(tempfile.mkdtemp(prefix="chatops-worker-metrics-"))
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # never from a forked horse that ran exit handlers
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path
