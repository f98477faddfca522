"""A watch that loses its history, on both test beds: ``status`` follows a rollout as ``kubectl rollout
status`` does (list, then watch), and when the version it resumes from is gone (410 Gone: kubesim
forgets its watch history, the real control plane restarts kube-apiserver) it lists again and follows
the rollout to its end. The requester reads the usual outcome, not an error."""

from __future__ import annotations

import threading

from kubernetes import client
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from shared.jobevents import EventKind
from shared.messages import deployments as deployment_wording
from tests.beds.view import deployment, runner_for
from tests.support.beds import Bed
from tests.workers.harness import JobRunner, read_events, wait_for
from workers.watching import WATCH_SECONDS

WEB = {"deployment": "web", "namespace": "default"}


class ThreadWorker(SimpleWorker):
    """RQ's in-process worker, run off the main thread (which restarts the API server: a process
    started from a thread dies with that thread): no signal handlers, a timer for the job's timeout."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


def work_in_background(runner: JobRunner) -> threading.Thread:
    """Work the runner's queue to its end in a thread."""
    worker = ThreadWorker([runner.queue], connection=runner.connection, serializer=JSONSerializer)
    thread = threading.Thread(target=worker.work, kwargs={"burst": True}, daemon=True)
    thread.start()
    return thread


def paused_with_a_new_image(bed: Bed) -> None:
    """web paused with a new template: its rollout waits, observed, until it is resumed."""
    bed.apps.patch_namespaced_deployment("web", "default", {"spec": {"paused": True}})
    body = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}}}}
    bed.apps.patch_namespaced_deployment("web", "default", body)

    def observed() -> bool:
        web = deployment(bed)
        return bool(web["status"].get("observedGeneration", 0) >= web["metadata"]["generation"])

    wait_for(observed, what="the paused change to be observed")


def test_a_status_whose_watch_history_is_gone_relists_and_follows_the_rollout_to_its_end(bed: Bed) -> None:
    """The watch resumes after the history is gone, gets 410, relists; the resumed rollout completes."""
    paused_with_a_new_image(bed)
    runner = runner_for(bed)
    job_id = runner.enqueue("status", timeout=180.0, **WEB)
    worker = work_in_background(runner)
    waiting = deployment_wording.status_updated("web", 0, 3)
    wait_for(
        lambda: waiting in [event.text for event in read_events(runner.connection, job_id)],
        what="status to report the paused rollout",
    )
    bed.core.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a-later-write"))
    )
    bed.forget_watch_history()
    threading.Event().wait(WATCH_SECONDS + 1.0)  # the watch open meanwhile ends and is resumed
    bed.apps.patch_namespaced_deployment("web", "default", {"spec": {"paused": None}})
    worker.join(timeout=200.0)
    outcome = runner.outcome(job_id)
    assert outcome.status == "finished", outcome.texts()
    assert outcome.result["relists"] >= 1
    assert outcome.texts(EventKind.PROGRESS)[-1] == deployment_wording.status_done("web")
