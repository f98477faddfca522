"""Deployment jobs run through RQ against the simulated cluster, checked on the Deployment the
controllers then reconcile (and, for rollback, against what the real kubectl does on the same scenario)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubesim.server import Simulator
from kubesim.testing import Kubectl, running_simulator
from shared.jobevents import EventKind
from shared.messages import deployments as deployment_wording
from tests.workers.harness import JobRunner, settled, wait_for

WEB = {"deployment": "web", "namespace": "default"}


def web(sim: Simulator) -> dict[str, Any]:
    """The web Deployment as stored."""
    return sim.store.get("deployments", "default", "web")


def image_of(deployment: dict[str, Any]) -> str:
    """The first container's image in a Deployment's template."""
    image: str = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def revisions(sim: Simulator) -> dict[str, str]:
    """web's ReplicaSets: revision → image."""
    replicasets, _ = sim.store.list("replicasets", "default", label_selector="app=web")
    return {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: image_of(rs) for rs in replicasets
    }


def rolled_out(sim: Simulator) -> bool:
    """web's rollout is complete (the same rule as kubectl rollout status)."""
    deployment, status = web(sim), web(sim).get("status") or {}
    return (
        status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
        and status.get("updatedReplicas") == status.get("replicas") == status.get("availableReplicas") == 3
    )


@pytest.mark.kubectl
def test_rollback_ends_where_kubectl_rollout_undo_ends(
    sim: Simulator, runner: JobRunner, tmp_path: Path
) -> None:
    """Same scenario, one rolled back by the job and one by kubectl: same template, annotations and history."""
    outcome = runner.run("rollback", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert outcome.result["plan"]["revision"] == 2
    with running_simulator(speed=20) as twin:
        settled(twin)
        result = Kubectl(twin, tmp_path)("rollout", "undo", "deployment/web", check=True)
        assert result.stdout.strip() == "deployment.apps/web rolled back"
        wait_for(lambda: rolled_out(twin) and revisions(twin).get("4") is not None, what="kubectl's rollback")
        wait_for(lambda: rolled_out(sim) and revisions(sim).get("4") is not None, what="the job's rollback")
        ours, theirs = web(sim), web(twin)
        assert ours["spec"]["template"] == theirs["spec"]["template"]
        assert ours["metadata"]["annotations"] == theirs["metadata"]["annotations"]
        assert revisions(sim) == revisions(twin) == {"1": "nginx:1.25", "3": "nginx:1.27", "4": "nginx:1.26"}


def test_rollback_to_the_current_revision_is_skipped_without_a_write(
    sim: Simulator, runner: JobRunner
) -> None:
    """kubectl's "skipped rollback" when the template already matches; the Deployment is untouched."""
    version = web(sim)["metadata"]["resourceVersion"]
    outcome = runner.run("rollback", to_revision=3, **WEB)
    assert outcome.status == "finished"
    assert deployment_wording.skipped_rollback(3) in outcome.texts(EventKind.PROGRESS)
    assert web(sim)["metadata"]["resourceVersion"] == version


def test_rollback_refuses_a_paused_deployment(sim: Simulator, runner: JobRunner) -> None:
    """Paused deployments must be resumed first, as kubectl says."""
    assert runner.run("pause", **WEB).status == "finished"
    outcome = runner.run("rollback", **WEB)
    assert outcome.status == "failed"
    assert "you cannot rollback a paused deployment" in outcome.final.text
    assert image_of(web(sim)) == "nginx:1.27"


def test_rollback_to_an_unknown_revision_fails_with_kubectls_words(runner: JobRunner) -> None:
    """--to-revision that does not exist."""
    outcome = runner.run("rollback", to_revision=9, **WEB)
    assert outcome.status == "failed"
    assert "unable to find specified revision 9 in history" in outcome.final.text


def test_history_lists_revisions_with_their_change_causes(runner: JobRunner) -> None:
    """rollout history of the scenario's three revisions."""
    outcome = runner.run("history", **WEB)
    assert [row["revision"] for row in outcome.result["revisions"]] == [1, 2, 3]
    assert "kubectl set image deployment/web nginx=nginx:1.27" in outcome.texts(EventKind.PROGRESS)[0]


def test_scale_shows_current_and_new_replicas_and_sets_them(sim: Simulator, runner: JobRunner) -> None:
    """A dry run plans 3 → 5 and changes nothing; the real run sets spec.replicas."""
    planned = runner.run("scale", replicas=5, dry_run=True, **WEB)
    assert planned.result["plan"]["current"] == 3 and planned.result["plan"]["replicas"] == 5
    assert web(sim)["spec"]["replicas"] == 3
    assert runner.run("scale", replicas=5, **WEB).status == "finished"
    assert web(sim)["spec"]["replicas"] == 5


def test_image_change_follows_the_rollout_to_completion(sim: Simulator, runner: JobRunner) -> None:
    """The plan shows old and new image and the strategy; the job ends when the rollout completes."""
    outcome = runner.run("image", image="nginx:1.28", **WEB)
    assert outcome.status == "finished", outcome.texts()
    plan = outcome.result["plan"]
    assert (plan["old_image"], plan["new_image"], plan["container"]) == ("nginx:1.27", "nginx:1.28", "nginx")
    assert plan["strategy"].startswith("RollingUpdate")
    assert outcome.result["rollout"] == "complete"
    assert deployment_wording.status_done("web") in outcome.texts(EventKind.PROGRESS)
    assert revisions(sim)["4"] == "nginx:1.28"


def test_a_broken_image_fails_its_progress_deadline_and_offers_rollback(
    sim: Simulator, runner: JobRunner
) -> None:
    """Pods that never become ready run past progressDeadlineSeconds; the job says so and offers rollback."""
    sim.store.patch(
        "deployments",
        "default",
        "web",
        {"spec": {"progressDeadlineSeconds": 20}},
        content_type="application/merge-patch+json",
    )
    outcome = runner.run("image", image="nginx:broken", **WEB)
    assert outcome.status == "failed"
    assert "exceeded its progress deadline" in outcome.final.text
    assert "rollback web" in outcome.final.text


def test_strategy_recreate_drops_rolling_update_and_warns_of_downtime(
    sim: Simulator, runner: JobRunner
) -> None:
    """Switching to Recreate removes spec.strategy.rollingUpdate; switching back sets the given surge."""
    outcome = runner.run("strategy", strategy="Recreate", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert web(sim)["spec"]["strategy"] == {"type": "Recreate"}
    assert deployment_wording.recreate_downtime("web") in outcome.texts(EventKind.WARNING)
    assert (
        runner.run("strategy", strategy="rolling", max_surge=1, max_unavailable="0%", **WEB).status
        == "finished"
    )
    assert web(sim)["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "0%"},
    }


def test_pause_and_resume_follow_kubectl(sim: Simulator, runner: JobRunner) -> None:
    """pause sets spec.paused (twice is fine); resume clears it; resuming again is an error."""
    assert runner.run("pause", **WEB).status == "finished"
    assert web(sim)["spec"]["paused"] is True
    again = runner.run("pause", **WEB)
    assert deployment_wording.already_paused("web") in again.texts(EventKind.PROGRESS)
    assert runner.run("resume", **WEB).status == "finished"
    assert not web(sim)["spec"].get("paused")
    refused = runner.run("resume", **WEB)
    assert refused.status == "failed"
    assert "is not paused" in refused.final.text


def test_restart_stamps_restarted_at_on_the_pod_template(sim: Simulator, runner: JobRunner) -> None:
    """rollout restart: the kubectl.kubernetes.io/restartedAt annotation."""
    outcome = runner.run("restart", **WEB)
    assert outcome.status == "finished"
    annotations = web(sim)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/restartedAt"] == outcome.result["restarted_at"]


def test_status_reports_a_finished_rollout(runner: JobRunner) -> None:
    """The settled scenario is rolled out."""
    outcome = runner.run("status", **WEB)
    assert outcome.status == "finished"
    assert outcome.texts(EventKind.PROGRESS)[-1] == deployment_wording.status_done("web")


def test_an_unknown_deployment_is_named(runner: JobRunner) -> None:
    """404 becomes a sentence naming the deployment and namespace."""
    outcome = runner.run("scale", deployment="nope", namespace="default", replicas=1)
    assert outcome.status == "failed"
    assert deployment_wording.deployment_not_found("nope", "default") in outcome.final.text
