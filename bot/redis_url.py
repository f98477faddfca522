"""``REDIS_URL`` read in one place, so the bot and the workers reach the same Redis the same way.

Besides redis-py's own URLs (``redis://``, ``rediss://``, ``unix://``), it accepts Redis Sentinel::

    redis+sentinel://[:password@]host[:port][,host[:port]...]/service_name[/db]

The hosts are sentinels (port 26379 when left out); ``service_name`` is the name the sentinels
monitor the master under; ``password`` is the master's (sentinels are asked without one). The
client asks a sentinel where the master is on each new connection, so after a failover it follows
the promoted replica by itself. While there is no master to reach (the old one is dead and the
sentinels have not promoted a replica yet, a few seconds after ``down-after-milliseconds``), each
command is retried for up to about :data:`FAILOVER_SECONDS` instead of failing the job or the
worker that sent it.

The workers may not import the bot (see ``tests/test_layering.py``), so they are handed
:func:`connect` by the one composition root that starts them (:mod:`chatops.cli`).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"
DEFAULT_SENTINEL_PORT = 26379
_PLAIN_SCHEMES = ("redis", "rediss", "unix")

FAILOVER_SECONDS = 60.0
"""How long a command through Sentinel keeps being retried while no master answers: longer than a
failover takes with Sentinel's default ``down-after-milliseconds`` (30 s) plus an election."""
_RETRY_PAUSE_SECONDS = 1.0
"""The longest pause between two attempts (the first ones come faster: 0.1, 0.2, 0.4, 0.8 s)."""


class RedisUrlError(ValueError):
    """A ``REDIS_URL`` that cannot name a Redis; the message says what is wrong with it."""


@dataclasses.dataclass(frozen=True)
class SentinelTarget:
    """Where a ``redis+sentinel://`` URL points: the sentinels to ask and which master to ask for."""

    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    password: str | None = dataclasses.field(default=None, repr=False)
    username: str | None = None


def check(url: str) -> None:
    """Raise :class:`RedisUrlError` when ``url`` is not a Redis or Redis Sentinel URL we can use."""
    scheme, separator, _ = url.partition("://")
    if scheme.lower() == SENTINEL_SCHEME:
        parse_sentinel_url(url)
    elif not separator or scheme.lower() not in _PLAIN_SCHEMES:
        # Only the scheme is echoed: the rest of the URL may hold a password.
        shown = repr(scheme + "://") if separator else "no scheme"
        raise RedisUrlError(
            f"must start with redis://, rediss://, unix:// or {SENTINEL_SCHEME}://, not {shown}"
        )


def connect(url: str) -> Redis:
    """A client for ``url``: plain Redis, or the master the sentinels of a sentinel URL point to.

    Nothing is sent yet: a sentinel client finds the master when it first connects.
    """
    check(url)
    if not url.lower().startswith(SENTINEL_SCHEME + "://"):
        return Redis.from_url(url)
    target = parse_sentinel_url(url)
    # Only the questions to sentinels time out; the master's connections behave as a plain URL's.
    # redis.sentinel carries no annotations, hence the two ignores.
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs={"socket_timeout": 5.0})  # type: ignore[no-untyped-call]
    master: Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        target.service_name,
        db=target.db,
        password=target.password,
        username=target.username,
        retry=failover_retry(),
    )
    return master


def failover_retry() -> Retry:
    """Attempts spread over about :data:`FAILOVER_SECONDS`, on a refused or broken connection and while
    the sentinels know no master (redis-py's ``MasterNotFoundError`` is a ``ConnectionError``)."""
    backoff = ExponentialBackoff(cap=_RETRY_PAUSE_SECONDS, base=0.05)
    pauses, attempts = 0.0, 0
    while pauses < FAILOVER_SECONDS:
        attempts += 1
        pauses += backoff.compute(attempts)
    return Retry(backoff, retries=attempts)


def parse_sentinel_url(url: str) -> SentinelTarget:
    """The sentinels, service name, database and credentials written in a ``redis+sentinel://`` URL."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() != SENTINEL_SCHEME:
        raise RedisUrlError(f"a sentinel URL starts with {SENTINEL_SCHEME}://")
    location, _, path = rest.partition("/")
    location = location.partition("?")[0]
    userinfo, _, hosts = location.rpartition("@")
    username, password = _credentials(userinfo)
    sentinels = tuple(_host_port(entry) for entry in hosts.split(","))
    parts = [part for part in path.partition("?")[0].split("/") if part]
    if not parts:
        raise RedisUrlError("names no service: write the master's name after the hosts, as in /mymaster")
    if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
        raise RedisUrlError(f"has a path {path!r}; expected /service_name or /service_name/db")
    return SentinelTarget(
        sentinels=sentinels,
        service_name=unquote(parts[0]),
        db=int(parts[1]) if len(parts) == 2 else 0,
        password=password,
        username=username,
    )


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    if not userinfo:
        return None, None
    user, colon, password = userinfo.partition(":")
    if not colon:
        return unquote(user) or None, None
    return unquote(user) or None, unquote(password) or None


def _host_port(entry: str) -> tuple[str, int]:
    entry = entry.strip()
    if entry.startswith("["):
        host, _, after = entry[1:].partition("]")
        port_text = after.removeprefix(":")
    else:
        host, _, port_text = entry.partition(":")
    if not host:
        raise RedisUrlError(
            f"has an empty sentinel host in {entry!r}; list host:port pairs separated by commas"
        )
    if not port_text:
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RedisUrlError(f"has a bad sentinel port {port_text!r} for host {host!r}")
    return host, int(port_text)
