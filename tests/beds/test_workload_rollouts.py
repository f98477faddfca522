"""DaemonSet and StatefulSet rollouts run by the workers through RQ, on both test beds: ``rollback``
(to the previous and to a named revision), ``history`` and ``status``, from the ControllerRevisions
their controllers keep. What changed is read back from the API server, and the history by the real
kubectl too (``kubectl rollout history daemonset/log-agent``)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.jobevents import EventKind
from shared.messages import workloads as wording
from tests.beds.view import as_json, kubectl, runner_for
from tests.support.beds import Bed
from tests.workers.harness import wait_for

LOG_AGENT = {"deployment": "log-agent", "kind": "daemonset", "namespace": "kube-system"}
CACHE = {"deployment": "cache", "kind": "statefulset", "namespace": "default"}
OLD_AGENT, NEW_AGENT = "fluent/fluent-bit:3.1.9", "fluent/fluent-bit:3.2.0"
OLD_CACHE, NEW_CACHE = "redis:7.2", "redis:7.4"


def workload(bed: Bed, kind: str, name: str, namespace: str) -> dict[str, Any]:
    """A DaemonSet or StatefulSet as the API server returns it."""
    read = (
        bed.apps.read_namespaced_daemon_set if kind == "daemonset" else bed.apps.read_namespaced_stateful_set
    )
    return as_json(bed, read(name, namespace))


def image(bed: Bed, target: dict[str, str]) -> str:
    """The first container's image of the workload's template."""
    found = workload(bed, target["kind"], target["deployment"], target["namespace"])
    value: str = found["spec"]["template"]["spec"]["containers"][0]["image"]
    return value


def revisions(bed: Bed, target: dict[str, str]) -> dict[int, str]:
    """The workload's ControllerRevisions: revision → image."""
    uid = workload(bed, target["kind"], target["deployment"], target["namespace"])["metadata"]["uid"]
    listed = as_json(bed, bed.apps.list_namespaced_controller_revision(target["namespace"]))
    return {
        int(item["revision"]): item["data"]["spec"]["template"]["spec"]["containers"][0]["image"]
        for item in listed.get("items") or []
        if any(owner["uid"] == uid for owner in item["metadata"].get("ownerReferences") or [])
    }


def kubectl_revisions(bed: Bed, resource: str, namespace: str) -> list[str]:
    """The REVISION column of the real kubectl's ``rollout history``."""
    listed = kubectl(bed, "rollout", "history", resource, "-n", namespace)
    assert listed.returncode == 0, listed.stderr
    return [line.split()[0] for line in listed.stdout.splitlines()[2:] if line.strip()]


def rolled_out(bed: Bed, target: dict[str, str]) -> bool:
    """kubectl's ``rollout status`` says done."""
    resource = f"{target['kind']}/{target['deployment']}"
    done = kubectl(bed, "rollout", "status", resource, "-n", target["namespace"], "--watch=false")
    finished = ("successfully rolled out", "roll out complete", "rolling update complete")
    return done.returncode == 0 and any(words in done.stdout for words in finished)


def set_image(bed: Bed, target: dict[str, str], value: str) -> None:
    """A new template (the first container's image), as ``kubectl set image`` makes one; wait for its
    revision to be recorded and rolled out."""
    name, namespace = target["deployment"], target["namespace"]
    container = workload(bed, target["kind"], name, namespace)["spec"]["template"]["spec"]["containers"][0]
    body = {"spec": {"template": {"spec": {"containers": [{"name": container["name"], "image": value}]}}}}
    patch = (
        bed.apps.patch_namespaced_daemon_set
        if target["kind"] == "daemonset"
        else bed.apps.patch_namespaced_stateful_set
    )
    patch(name, namespace, body)
    wait_for(lambda: value in revisions(bed, target).values(), what=f"{name}'s revision of {value}")
    wait_for(lambda: rolled_out(bed, target), what=f"{name}'s rollout of {value}")


@pytest.fixture(name="changed")
def fixture_changed(bed: Bed) -> Bed:
    """log-agent and cache each with a second revision (a newer image), rolled out."""
    set_image(bed, LOG_AGENT, NEW_AGENT)
    set_image(bed, CACHE, NEW_CACHE)
    return bed


def test_history_lists_the_controller_revisions_as_kubectl_does(changed: Bed) -> None:
    """Revisions 1 and 2 of the DaemonSet, the same two the real kubectl lists."""
    outcome = runner_for(changed).run("history", **LOG_AGENT)
    assert outcome.status == "finished", outcome.texts()
    assert [row["revision"] for row in outcome.result["revisions"]] == [1, 2]
    assert outcome.texts(EventKind.PROGRESS)[0].startswith("daemonset.apps/log-agent\n")
    assert kubectl_revisions(changed, "daemonset/log-agent", "kube-system") == ["1", "2"]


def test_a_dry_run_plans_the_daemonset_rollback_and_changes_nothing(changed: Bed) -> None:
    """The plan names the revision and the image it brings back; the template stays as it is."""
    outcome = runner_for(changed).run("rollback", dry_run=True, **LOG_AGENT)
    assert outcome.status == "finished", outcome.texts()
    plan = outcome.result["plan"]
    assert (plan["kind"], plan["revision"], plan["from_revision"]) == ("daemonset", 1, 2)
    assert plan["changes"] == [f"container fluent-bit: {NEW_AGENT} → {OLD_AGENT}"]
    assert plan["target"] == "daemonset/kube-system/log-agent"
    assert outcome.texts(EventKind.PLAN) == [plan["text"]]
    assert image(changed, LOG_AGENT) == NEW_AGENT


def test_rollback_of_a_daemonset_goes_to_the_previous_revision_as_kubectl_rollout_undo(changed: Bed) -> None:
    """Revision 1's template comes back and becomes revision 3; kubectl's history then shows 2, 3."""
    outcome = runner_for(changed).run("rollback", **LOG_AGENT)
    assert outcome.status == "finished", outcome.texts()
    assert outcome.result["revision"] == 1
    assert wording.rolled_back("daemonset", "log-agent", revision=1) in outcome.texts(EventKind.PROGRESS)
    assert image(changed, LOG_AGENT) == OLD_AGENT
    wait_for(lambda: revisions(changed, LOG_AGENT) == {2: NEW_AGENT, 3: OLD_AGENT}, what="revision 3")
    wait_for(lambda: rolled_out(changed, LOG_AGENT), what="the rollback to roll out")
    assert kubectl_revisions(changed, "daemonset/log-agent", "kube-system") == ["2", "3"]


def test_rollback_of_a_statefulset_to_a_named_revision_and_to_an_unknown_one(changed: Bed) -> None:
    """Revision 9 is kubectl's error and changes nothing; revision 1 brings redis:7.2 back."""
    runner = runner_for(changed)
    missing = runner.run("rollback", to_revision=9, **CACHE)
    assert missing.status == "failed"
    assert "unable to find specified revision 9 in history" in missing.final.text
    assert image(changed, CACHE) == NEW_CACHE
    outcome = runner.run("rollback", to_revision=1, **CACHE)
    assert outcome.status == "finished", outcome.texts()
    assert image(changed, CACHE) == OLD_CACHE
    wait_for(lambda: rolled_out(changed, CACHE), what="the rollback to roll out")
    again = runner.run("rollback", to_revision=3, **CACHE)
    assert again.status == "finished", again.texts()
    assert wording.skipped_rollback(3) in again.texts(EventKind.PROGRESS)


def test_a_daemonset_with_a_single_revision_has_nothing_to_roll_back_to(bed: Bed) -> None:
    """kube-proxy was never changed: kubectl's ``no last revision to roll back to``."""
    proxy = {"deployment": "kube-proxy", "kind": "daemonset", "namespace": "kube-system"}
    outcome = runner_for(bed).run("rollback", **proxy)
    assert outcome.status == "failed"
    assert "no last revision to roll back to" in outcome.final.text


def test_status_follows_a_daemonset_and_a_statefulset_to_the_end(bed: Bed) -> None:
    """The settled scenario is rolled out, in kubectl's words for each kind."""
    runner = runner_for(bed)
    agent = runner.run("status", **LOG_AGENT)
    assert agent.status == "finished", agent.texts()
    assert agent.texts(EventKind.PROGRESS)[-1] == wording.daemonset_done("log-agent")
    cache = runner.run("status", **CACHE)
    assert cache.status == "finished", cache.texts()
    assert cache.texts(EventKind.PROGRESS)[-1] == wording.statefulset_partition_done(1)


def test_an_unknown_daemonset_is_named(bed: Bed) -> None:
    """The API server's 404 becomes a sentence naming the kind, the name and the namespace."""
    outcome = runner_for(bed).run("rollback", deployment="nope", kind="daemonset", namespace="default")
    assert outcome.status == "failed"
    assert wording.not_found("daemonset", "nope", "default") in outcome.final.text
