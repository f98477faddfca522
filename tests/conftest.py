"""Fixtures shared by the whole suite: a real Redis server, and clean Redis databases per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from shared.job_signing import JOB_KEY_VARIABLE
from tests.support.job_key import TEST_JOB_KEY
from tests.support.redis_server import RedisServer, running_redis

pytest_plugins = ["tests.support.drills", "tests.support.drill_trials", "tests.support.beds"]
"""The drill tally (``drill`` fixture, ``--drill-summary``); drills at volume (``--seed``, ``--only``)."""

os.environ[JOB_KEY_VARIABLE] = TEST_JOB_KEY
"""Every ``chatops worker`` and ``chatops bot`` a test starts checks and signs jobs with the suite's key."""


@pytest.fixture(scope="session", name="redis_server")
def fixture_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session, on a free loopback port."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(name="redis_url")
def fixture_redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of an emptied Redis database for this test."""
    connection = Redis.from_url(redis_server.url)
    connection.flushall()
    yield redis_server.url
    connection.close()


@pytest.fixture(name="tmp_dir")
def fixture_tmp_dir(tmp_path: Path) -> Path:
    """A per-test directory (alias kept short for readability in integration tests)."""
    return tmp_path
