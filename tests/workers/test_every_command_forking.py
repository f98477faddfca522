"""Every command that has a job, enqueued the way the bot does and worked by a real forking worker.

The jobs go through :class:`bot.dispatch.RQDispatcher` (JSON serializer, dotted paths, specs built by
:func:`shared.jobs.job_spec`) onto a real Redis, in one sequence; one ``chatops worker --burst`` process
works them in order against the simulated cluster. Each must finish with a succeeded event, and the
changes they make must be real: a listener on the simulator's store records what node-2 and
deployment/web went through, since later jobs undo what earlier ones did.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.core.conversation import IMPLEMENTED
from bot.dispatch import RQDispatcher
from kubesim.server import Simulator
from shared.invocation import Invocation
from shared.jobevents import EventKind, RequestContext
from shared.jobs import job_spec
from tests.support.job_key import TEST_SIGNER
from tests.workers.harness import read_events

pytestmark = pytest.mark.redis

WEB = {"deployment": "web", "namespace": "default"}
OLD_IMAGE = "nginx:1.27"
NEW_IMAGE = "nginx:1.28"
REVISION = "deployment.kubernetes.io/revision"

SEQUENCE: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("nodes", {}),
    ("cordon", {"node": "node-1"}),
    ("uncordon", {"node": "node-1"}),
    ("drain", {"node": "node-2", "force": True, "delete_emptydir_data": True}),
    ("uncordon", {"node": "node-2"}),
    ("maintain", {"node": "node-1"}),
    ("unmaintain", {"node": "node-1"}),
    ("history", WEB),
    ("status", WEB),
    ("scale", {**WEB, "replicas": 4}),
    ("image", {**WEB, "image": NEW_IMAGE}),
    ("rollback", WEB),
    ("restart", WEB),
    ("strategy", {**WEB, "strategy": "recreate"}),
    ("strategy", {**WEB, "strategy": "rolling", "max_surge": 1, "max_unavailable": 0}),
    ("pause", WEB),
    ("resume", WEB),
    ("upgrade plan", {}),
    ("backup config", {"namespace": "default"}),
    ("backup secrets", {"namespace": "default"}),
    ("backup list", {}),
    ("upgrade control-plane", {"version": "v1.31.5", "dry_run": True}),
    ("upgrade nodes", {"version": "v1.31.4", "force": True, "delete_emptydir_data": True, "dry_run": True}),
)


ETCD_COMMANDS = frozenset({"etcd snapshot", "etcd status", "etcd restore"})
"""Jobs that talk to etcd rather than the API server; the simulator has no etcd (tests/backups covers them)."""

NAMED_BACKUP_COMMANDS = frozenset({"backup show", "backup restore"})
"""Jobs that need the name of a stored backup, which is only known once one was made (tests/backups)."""


def test_the_sequence_covers_every_command_with_a_job_that_talks_to_the_api_server() -> None:
    """Nothing implemented is left out of the sequence below except the etcd jobs and those needing a backup's name."""
    assert {command for command, _ in SEQUENCE} == IMPLEMENTED - ETCD_COMMANDS - NAMED_BACKUP_COMMANDS


@dataclasses.dataclass
class Witness:
    """What the store committed for node-2's ``unschedulable`` and web's template image and revision."""

    node_2: list[bool] = dataclasses.field(default_factory=list)
    web: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def __call__(self, event_type: str, resource: str, obj: Mapping[str, Any]) -> None:
        """A store listener: runs with the store's lock held, so it only appends."""
        meta = obj.get("metadata") or {}
        if resource == "nodes" and meta.get("name") == "node-2":
            self.node_2.append(bool((obj.get("spec") or {}).get("unschedulable")))
        elif resource == "deployments" and (meta.get("namespace"), meta.get("name")) == ("default", "web"):
            image = obj["spec"]["template"]["spec"]["containers"][0]["image"]
            self.web.append((image, (meta.get("annotations") or {}).get(REVISION, "")))


def changes(values: list[bool]) -> list[bool]:
    """The values with consecutive repeats dropped."""
    return [value for index, value in enumerate(values) if index == 0 or values[index - 1] != value]


def enqueue_all(connection: Redis) -> list[tuple[str, str]]:
    """Submit every job of :data:`SEQUENCE` as the bot would; (command, job id) in order."""
    dispatcher = RQDispatcher(connection, signer=TEST_SIGNER)
    submitted = []
    for index, (command, arguments) in enumerate(SEQUENCE):
        request = RequestContext(
            job_id=f"job-every-{index:02d}",
            user="U123",
            channel="C42",
            thread_ts="1700000000.000100",
            cluster="default",
            command=Invocation(name=command, arguments=arguments).to_json(),
        )
        spec = job_spec(command_name=command, arguments=arguments, request=request, description=command)
        submission = dispatcher.submit(spec)
        assert not submission.duplicate
        submitted.append((command, submission.job_id))
    return submitted


def run_worker(redis_url: str, kubeconfig: Path, backups: Path) -> subprocess.CompletedProcess[str]:
    """``chatops worker --burst``: forks a work-horse per job and exits once the queue is empty."""
    chatops = Path(sys.executable).parent / "chatops"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "KUBECONFIG": str(kubeconfig),
        "CHATOPS_CLUSTER": "default",
        "CHATOPS_BACKUP_DIR": str(backups),
    }
    return subprocess.run(
        [str(chatops), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_command_runs_to_success_through_a_forking_worker_and_changes_the_cluster(
    sim: Simulator, kubeconfig: Path, redis_url: str, tmp_path: Path
) -> None:
    """All jobs finish and succeed (the dry runs end planned); node-2 was cordoned then freed, web scaled, re-imaged and rolled back."""
    connection = Redis.from_url(redis_url)
    witness = Witness()
    unsubscribe = sim.store.subscribe(witness)
    revision_before = sim.store.get("deployments", "default", "web")["metadata"]["annotations"][REVISION]
    try:
        submitted = enqueue_all(connection)
        worker = run_worker(redis_url, kubeconfig, tmp_path / "backups")
    finally:
        unsubscribe()
    assert worker.returncode == 0, worker.stderr

    by_command: dict[str, Any] = {}
    for command, job_id in submitted:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        events = read_events(connection, job_id)
        assert job.get_status(refresh=True) == JobStatus.FINISHED, (command, [e.text for e in events])
        planned = bool(job.kwargs.get("dry_run"))
        assert events[-1].kind == (EventKind.PLANNED if planned else EventKind.SUCCEEDED), (
            command,
            events[-1].text,
        )
        by_command[command] = job.return_value()

    assert changes(witness.node_2)[-2:] == [True, False], "cordoned by the drain, then uncordoned"
    assert changes(witness.node_2).count(True) == 1
    assert by_command["drain"]["drained"] is True
    assert "default/debug-shell" in by_command["drain"]["lost"]
    assert sim.store.find("pods", "default", "debug-shell") is None
    assert not sim.store.get("nodes", None, "node-2")["spec"].get("unschedulable")

    web = sim.store.get("deployments", "default", "web")
    assert web["spec"]["replicas"] == 4
    new_revisions = [int(revision) for image, revision in witness.web if image == NEW_IMAGE and revision]
    assert new_revisions, "the image change reached the store with a revision"
    assert by_command["scale"]["changed"] is True
    assert by_command["image"]["rollout"] == "complete"
    assert by_command["rollback"]["changed"] is True
    rolled_back = [int(revision) for image, revision in witness.web if image == OLD_IMAGE and revision]
    assert max(rolled_back) > max(new_revisions) > int(revision_before)
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == OLD_IMAGE
    assert web["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert not web["spec"].get("paused")
    assert list((tmp_path / "backups").rglob("config-*.yaml"))
