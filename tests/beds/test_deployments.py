"""Deployment work run by the workers through RQ, on both test beds: rollback (to the previous and to a
named revision), history, scale, image, strategy, pause and resume, restart, status. Outcomes are read
back from the API server, and the history is read by the real kubectl too."""

from __future__ import annotations

from shared.jobevents import EventKind
from shared.messages import deployments as deployment_wording
from tests.beds.view import deployment, image_of, kubectl, revisions, runner_for
from tests.support.beds import Bed
from tests.workers.harness import wait_for

WEB = {"deployment": "web", "namespace": "default"}


def rolled_out(bed: Bed) -> bool:
    """web's rollout is complete (kubectl rollout status's rule)."""
    web = deployment(bed)
    status = web.get("status") or {}
    return bool(
        status.get("observedGeneration", 0) >= web["metadata"]["generation"]
        and status.get("updatedReplicas") == status.get("replicas") == status.get("availableReplicas") == 3
    )


def test_history_lists_the_scenarios_three_revisions_with_their_change_causes(bed: Bed) -> None:
    """The same three revisions the real kubectl lists."""
    outcome = runner_for(bed).run("history", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert [row["revision"] for row in outcome.result["revisions"]] == [1, 2, 3]
    assert "kubectl set image deployment/web nginx=nginx:1.27" in outcome.texts(EventKind.PROGRESS)[0]
    listed = kubectl(bed, "rollout", "history", "deployment/web")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[2:] if line.strip()] == ["1", "2", "3"]


def test_rollback_goes_to_the_previous_revision_as_kubectl_rollout_undo_does(bed: Bed) -> None:
    """Revision 2's template comes back as revision 4; kubectl's history then shows 1, 3, 4."""
    outcome = runner_for(bed).run("rollback", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert outcome.result["plan"]["revision"] == 2
    wait_for(lambda: rolled_out(bed) and "4" in revisions(bed), what="the rollback to roll out")
    assert image_of(deployment(bed)) == "nginx:1.26"
    assert revisions(bed)["4"] == "nginx:1.26"
    listed = kubectl(bed, "rollout", "history", "deployment/web")
    assert [line.split()[0] for line in listed.stdout.splitlines()[2:] if line.strip()] == ["1", "3", "4"]


def test_rollback_to_a_named_revision_and_to_an_unknown_one(bed: Bed) -> None:
    """to revision 1 brings nginx:1.25 back; revision 9 is kubectl's error and changes nothing."""
    runner = runner_for(bed)
    missing = runner.run("rollback", to_revision=9, **WEB)
    assert missing.status == "failed"
    assert "unable to find specified revision 9 in history" in missing.final.text
    assert image_of(deployment(bed)) == "nginx:1.27"
    assert runner.run("rollback", to_revision=1, **WEB).status == "finished"
    wait_for(lambda: rolled_out(bed) and "4" in revisions(bed), what="the rollback to roll out")
    assert image_of(deployment(bed)) == "nginx:1.25"


def test_scale_plans_then_sets_the_replicas(bed: Bed) -> None:
    """A dry run plans 3 → 5 and changes nothing; the real run goes through the scale subresource."""
    runner = runner_for(bed)
    planned = runner.run("scale", replicas=5, dry_run=True, **WEB)
    assert (planned.result["plan"]["current"], planned.result["plan"]["replicas"]) == (3, 5)
    assert deployment(bed)["spec"]["replicas"] == 3
    assert runner.run("scale", replicas=5, **WEB).status == "finished"
    assert deployment(bed)["spec"]["replicas"] == 5


def test_an_image_change_is_followed_to_the_end_of_its_rollout(bed: Bed) -> None:
    """The plan shows old and new image; the job ends when the rollout is complete, as revision 4."""
    outcome = runner_for(bed).run("image", image="nginx:1.28", **WEB)
    assert outcome.status == "finished", outcome.texts()
    plan = outcome.result["plan"]
    assert (plan["old_image"], plan["new_image"], plan["container"]) == ("nginx:1.27", "nginx:1.28", "nginx")
    assert outcome.result["rollout"] == "complete"
    assert deployment_wording.status_done("web") in outcome.texts(EventKind.PROGRESS)
    assert rolled_out(bed)
    assert revisions(bed)["4"] == "nginx:1.28"


def test_strategy_switches_between_recreate_and_rolling_update(bed: Bed) -> None:
    """Recreate drops rollingUpdate (the API server refuses it otherwise) and warns; back to rolling."""
    runner = runner_for(bed)
    outcome = runner.run("strategy", strategy="Recreate", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert deployment(bed)["spec"]["strategy"] == {"type": "Recreate"}
    assert deployment_wording.recreate_downtime("web") in outcome.texts(EventKind.WARNING)
    rolling = runner.run("strategy", strategy="rolling", max_surge=1, max_unavailable="0%", **WEB)
    assert rolling.status == "finished", rolling.texts()
    assert deployment(bed)["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "0%"},
    }


def test_pause_and_resume_follow_kubectl(bed: Bed) -> None:
    """pause sets spec.paused (twice is fine); resume clears it; resuming again is kubectl's error."""
    runner = runner_for(bed)
    assert runner.run("pause", **WEB).status == "finished"
    assert deployment(bed)["spec"]["paused"] is True
    assert deployment_wording.already_paused("web") in runner.run("pause", **WEB).texts(EventKind.PROGRESS)
    assert runner.run("resume", **WEB).status == "finished"
    assert not deployment(bed)["spec"].get("paused")
    refused = runner.run("resume", **WEB)
    assert refused.status == "failed"
    assert "is not paused" in refused.final.text


def test_restart_stamps_restarted_at_and_rolls_the_pods(bed: Bed) -> None:
    """rollout restart: kubectl's restartedAt annotation on the template, and a new revision."""
    outcome = runner_for(bed).run("restart", **WEB)
    assert outcome.status == "finished", outcome.texts()
    annotations = deployment(bed)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/restartedAt"] == outcome.result["restarted_at"]
    wait_for(lambda: rolled_out(bed) and "4" in revisions(bed), what="the restart to roll out")


def test_status_reports_the_finished_rollout(bed: Bed) -> None:
    """The settled scenario is rolled out."""
    outcome = runner_for(bed).run("status", **WEB)
    assert outcome.status == "finished", outcome.texts()
    assert outcome.texts(EventKind.PROGRESS)[-1] == deployment_wording.status_done("web")


def test_an_unknown_deployment_is_named(bed: Bed) -> None:
    """The API server's 404 becomes a sentence naming the deployment and namespace."""
    outcome = runner_for(bed).run("scale", deployment="nope", namespace="default", replicas=1)
    assert outcome.status == "failed"
    assert deployment_wording.deployment_not_found("nope", "default") in outcome.final.text
