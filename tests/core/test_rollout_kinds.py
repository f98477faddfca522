"""A rollback, history or status of a DaemonSet or StatefulSet is named as that kind wherever the bot
names what a command acts on: in job descriptions, and in the objects a finished job changed (which
void pending requests planned on them), never as a Deployment of the same name."""

from __future__ import annotations

from bot.core.stale_requests import changed_by
from shared import commands as c
from shared.command_words import arguments_of, describe
from shared.grammar import parse
from shared.invocation import invocation_of
from shared.jobevents import COMMAND_DETAIL, EventKind, JobEvent


def succeeded(typed: str) -> JobEvent:
    """The final event of a job asked for as ``typed`` (its command travels as data)."""
    return JobEvent(
        job_id="job-1",
        kind=EventKind.SUCCEEDED,
        text="done",
        channel="C42",
        thread_ts="1700000000.000100",
        at=1700000000.0,
        details={COMMAND_DETAIL: invocation_of(parse(typed)).to_json()},
    )


def test_a_daemonset_rollback_is_described_as_one() -> None:
    """``rollback daemonset/log-agent`` in the job's description, not ``deployment/log-agent``."""
    command = parse("rollback daemonset/log-agent -n kube-system")
    assert describe(command) == "rollback daemonset/log-agent in namespace kube-system"
    assert describe(parse("rollback web -n shop")) == "rollback deployment/web in namespace shop"


def test_the_job_receives_the_kind_beside_the_name() -> None:
    """The job's keyword arguments carry ``kind``; a plain ``rollback web`` stays a Deployment's."""
    assert arguments_of(parse("rollout undo sts/db --to-revision 2")) == {
        "dry_run": False,
        "deployment": "db",
        "namespace": None,
        "kind": c.WorkloadKind.STATEFULSET,
        "to_revision": 2,
    }
    assert arguments_of(parse("rollback web"))["kind"] is c.WorkloadKind.DEPLOYMENT


def test_a_statefulset_rollback_changes_the_statefulset_not_a_deployment() -> None:
    """Requests planned on ``statefulset/default/db`` are voided by it; those on deployment/db are not."""
    assert changed_by(succeeded("rollback statefulset/db"), default_namespace="default") == frozenset(
        {"statefulset/default/db"}
    )
    assert changed_by(succeeded("rollback db"), default_namespace="default") == frozenset(
        {"deployment/default/db"}
    )
