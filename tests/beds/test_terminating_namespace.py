"""A drain that meets a pod of a namespace being deleted: the real API server refuses its eviction with
403 and the cause ``reason: NamespaceTerminating`` (the wire name of metav1.StatusCause's Type), and
kubectl drain waits for the namespace's own deletion to take the pod instead of failing. So must we."""

from __future__ import annotations

import threading

from shared.jobevents import EventKind
from shared.messages import operations as wording
from tests.beds.view import as_json, create_held_pod, pod_exists, pods_on, release, runner_for
from tests.support.beds import Bed
from tests.workers.harness import wait_for

NODE = "node-1"
HELD = "chatops.test/held"


def test_a_pod_of_a_terminating_namespace_is_waited_for_not_failed(bed: Bed) -> None:
    """The namespace is Terminating and its pod held by a finalizer; the drain waits until it is gone."""
    create_held_pod(bed, "doomed", "leftover", node=NODE, finalizer=HELD)
    bed.core.delete_namespace("doomed")
    wait_for(
        lambda: as_json(bed, bed.core.read_namespace("doomed"))["status"]["phase"] == "Terminating",
        what="doomed to terminate",
    )
    finish = threading.Timer(3.0, release, args=(bed, "doomed", "leftover"))
    finish.start()
    try:
        outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True, timeout=60.0)
    finally:
        finish.join()
    assert outcome.status == "finished", outcome.texts()
    assert wording.waiting_on_namespace("doomed/leftover", "doomed") in outcome.texts(EventKind.PROGRESS)
    assert not pod_exists(bed, "doomed/leftover")
    assert pods_on(bed, NODE) == []


def test_a_namespace_that_stays_terminating_ends_the_drain_at_its_timeout_saying_why(bed: Bed) -> None:
    """Its pod is never released: the drain says what it waits for, then gives up at --timeout, cordoned."""
    create_held_pod(bed, "stuck", "leftover", node=NODE, finalizer=HELD)
    bed.core.delete_namespace("stuck")
    wait_for(
        lambda: as_json(bed, bed.core.read_namespace("stuck"))["status"]["phase"] == "Terminating",
        what="stuck to terminate",
    )
    try:
        outcome = runner_for(bed).run("drain", node=NODE, force=True, delete_emptydir_data=True, timeout=5.0)
    finally:
        release(bed, "stuck", "leftover")
    assert outcome.status == "failed"
    assert wording.waiting_on_namespace("stuck/leftover", "stuck") in outcome.texts(EventKind.PROGRESS)
    assert "gave up after 5s (global timeout reached); pods still pending: " in outcome.final.text
    assert "stuck/leftover" in outcome.final.text.partition("pods still pending: ")[2]
    assert "Traceback" not in outcome.final.text
