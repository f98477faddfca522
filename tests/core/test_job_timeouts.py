"""Jobs get time in proportion to what they walk: a node upgrade of a whole cluster outlives a drain."""

from __future__ import annotations

from shared.jobevents import RequestContext
from shared.jobs import DEFAULT_TIMEOUT_SECONDS, job_spec

REQUEST = RequestContext(job_id="j1", user="U_ALICE", channel="C_OPS", thread_ts="1.1", cluster="default")


def spec_timeout(command_name: str) -> int:
    """The timeout of the job an allowed ``command_name`` becomes."""
    return job_spec(command_name=command_name, arguments={}, request=REQUEST, description="d").timeout_seconds


def test_cluster_wide_upgrades_get_hours_and_everything_else_the_default() -> None:
    """upgrade nodes: 12 h, upgrade control-plane: 2 h; cordon and drain: the default 30 min."""
    assert spec_timeout("upgrade nodes") == 12 * 3600
    assert spec_timeout("upgrade control-plane") == 2 * 3600
    assert spec_timeout("cordon") == spec_timeout("drain") == DEFAULT_TIMEOUT_SECONDS == 1800
