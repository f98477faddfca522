"""Reading REDIS_URL: plain Redis URLs pass through, sentinel URLs become sentinels and a service name."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.sentinel import SentinelConnectionPool

from bot.redis_url import RedisUrlError, SentinelTarget, check, connect, parse_sentinel_url
from bot.settings import Settings, SettingsError


def test_a_full_sentinel_url_names_every_sentinel_the_service_the_database_and_the_password() -> None:
    """Hosts are comma-separated, the path is /service/db, the password is the master's."""
    target = parse_sentinel_url("redis+sentinel://:s3cr%2Ft@10.0.0.1:26380,sentinel-b,[::1]:5000/chatops/2")
    assert target == SentinelTarget(
        sentinels=(("10.0.0.1", 26380), ("sentinel-b", 26379), ("::1", 5000)),
        service_name="chatops",
        db=2,
        password="s3cr/t",
    )


def test_a_sentinel_url_without_a_database_uses_database_zero_and_no_credentials() -> None:
    """``/service`` alone means database 0; no ``@`` means no password."""
    target = parse_sentinel_url("redis+sentinel://sentinel:26379/mymaster")
    assert (target.db, target.password, target.username) == (0, None, None)


def test_a_username_and_password_are_both_read() -> None:
    """ACL credentials are ``user:password@``, as in redis-py's own URLs."""
    target = parse_sentinel_url("redis+sentinel://bot:pw@s:1/m")
    assert (target.username, target.password) == ("bot", "pw")


def test_the_password_never_shows_in_the_target_repr() -> None:
    """Logging the parsed target does not leak the password."""
    assert "pw" not in repr(parse_sentinel_url("redis+sentinel://:pw@s:1/m"))


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("redis+sentinel://s:26379", "names no service"),
        ("redis+sentinel://s:26379/", "names no service"),
        ("redis+sentinel://s:26379/m/x", "expected /service_name or /service_name/db"),
        ("redis+sentinel://s:26379/m/0/extra", "expected /service_name or /service_name/db"),
        ("redis+sentinel://s:port/m", "bad sentinel port 'port'"),
        ("redis+sentinel://s:0/m", "bad sentinel port '0'"),
        ("redis+sentinel://a:1,,b:2/m", "empty sentinel host"),
        ("http://:pw@redis:6379/0", "not 'http://'"),
        ("localhost:6379", "not no scheme"),
    ],
)
def test_an_unusable_url_is_refused_saying_what_is_wrong(url: str, complaint: str) -> None:
    """Each mistake gets its own sentence, and the password is never echoed."""
    with pytest.raises(RedisUrlError, match=complaint) as caught:
        check(url)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@redis:6380/1", "unix:///run/redis.sock"]
)
def test_plain_redis_urls_are_accepted_and_left_to_redis_py(url: str) -> None:
    """redis://, rediss:// and unix:// mean what redis-py says they mean."""
    check(url)
    client = connect(url)
    assert not isinstance(client.connection_pool, SentinelConnectionPool)


def test_a_sentinel_url_connects_lazily_through_a_sentinel_pool() -> None:
    """Building the client sends nothing: the master is looked up on first use."""
    client: Redis = connect("redis+sentinel://127.0.0.1:1/chatops/3")
    assert isinstance(client.connection_pool, SentinelConnectionPool)
    assert client.connection_pool.service_name == "chatops"
    assert client.connection_pool.connection_kwargs["db"] == 3


def test_the_settings_refuse_a_bad_redis_url_at_start_up() -> None:
    """A wrong REDIS_URL stops the bot before it starts, naming the variable."""
    with pytest.raises(SettingsError, match=r"^REDIS_URL names no service"):
        Settings.from_env({"REDIS_URL": "redis+sentinel://s:26379"})


def test_the_settings_keep_a_sentinel_url_as_written() -> None:
    """A good sentinel URL is kept whole; it is read again where a connection is made."""
    url = "redis+sentinel://a:26379,b:26379/chatops/0"
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url
