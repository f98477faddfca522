"""Redis consumer groups that come back after Redis lost them, instead of a reader failing forever.

A Redis restarted without its data (no AOF, a FLUSHALL, a failover to an empty replica) keeps no
stream and no group: every ``XREADGROUP`` and ``XAUTOCLAIM`` then answers ``NOGROUP``, and a reader
that only logs and tries again never reads another entry, while writers (``XADD`` creates the stream)
carry on. So every reader of a group goes through :func:`recreating`: on ``NOGROUP`` it creates the
group again and repeats the call once.

A group recreated after such a loss starts at ``0``: the stream then holds only what was written
since the loss, none of it handled yet (the inbox's deliveries, the job events), so nothing written
meanwhile is skipped. Readers are idempotent about what they handle (deliveries are claimed once,
events edit cards), so the rare group destroyed by hand over a stream that kept its entries is
handled again rather than lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

T = TypeVar("T")

RECOVERY_START = "0"
"""Where a group recreated after a loss starts: the stream's first entry."""


def ensure_group(redis: Redis, stream: str, group: str, *, start: str) -> bool:
    """Create ``group`` on ``stream`` (and the stream) starting at ``start``; False if it existed."""
    try:
        redis.xgroup_create(stream, group, id=start, mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise
        return False
    return True


def is_missing_group(error: ResponseError) -> bool:
    """Whether Redis answered that the stream or its group does not exist."""
    return str(error).startswith("NOGROUP")


def recreating(call: Callable[[], T], *, redis: Redis, stream: str, group: str) -> T:
    """``call()``; when the group is gone, create it again (from :data:`RECOVERY_START`) and call once more."""
    try:
        return call()
    except ResponseError as error:
        if not is_missing_group(error):
            raise
    log.warning("consumer group %s of %s was gone (Redis lost its data?); created it again", group, stream)
    ensure_group(redis, stream, group, start=RECOVERY_START)
    return call()
