"""Which command undoes a finished operation: offered from the command at submission, checked against the result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import commands as c
from shared.grammar import parse
from shared.invocation import Invocation
from shared.undo import Undo, UndoOffer, command_text, offered, undo_command, undo_of, undo_offer

CHANGED: dict[str, Any] = {"changed": True}


def undo_text(typed: str, *, result: dict[str, Any]) -> str | None:
    """The undo of the command typed as ``typed`` once its job reported ``result``, in words."""
    undo = undo_of(parse(typed), result=result)
    return None if undo is None else command_text(undo)


@pytest.mark.parametrize(
    ("typed", "result", "undo"),
    [
        ("cordon node-3", CHANGED, "uncordon node-3"),
        ("drain node-3 --force", {"drained": True, "undo": "uncordon node-3"}, "uncordon node-3"),
        ("maintain node-3", {"drained": True, "maintenance": "started"}, "unmaintain node-3"),
        (
            "scale web 5 -n shop",
            {"changed": True, "replicas": 5, "plan": {"current": 2}},
            "scale web 2 -n shop",
        ),
        ("image web nginx:1.27", {"changed": True, "rollout": "complete"}, "rollback web"),
        ("pause web --cluster prod", CHANGED, "resume web --cluster prod"),
        ("rollback web --to-revision 2", {"changed": True, "revision": 2}, "rollback web"),
        ("kubectl cordon node/node-3", CHANGED, "uncordon node-3"),
        (
            "rollout undo ds/log-agent -n kube-system --to-revision 1",
            {"changed": True, "revision": 1},
            "rollback daemonset/log-agent -n kube-system",
        ),
        ("rollback statefulset/db", {"changed": True, "revision": 2}, "rollback statefulset/db"),
    ],
)
def test_each_operation_with_an_inverse_offers_it(typed: str, result: dict[str, Any], undo: str) -> None:
    """cordon/drain → uncordon, maintain → unmaintain, scale → the previous count, image/rollback → rollback, pause → resume."""
    assert undo_text(typed, result=result) == undo


@pytest.mark.parametrize(
    ("typed", "result"),
    [
        ("cordon node-3", {"changed": False}),
        ("cordon node-3 --dry-run", CHANGED),
        ("drain node-3", {"dry_run": True}),
        ("scale web 5", {"changed": True}),
        ("scale web 5", {"changed": False, "plan": {"current": 5}}),
        ("image web nginx:1.27", {"changed": True, "rollout": "paused"}),
        ("restart web", CHANGED),
        ("rollback web", {"changed": False, "skipped": True}),
        ("uncordon node-3", CHANGED),
        ("nodes", {}),
    ],
)
def test_nothing_is_offered_when_nothing_changed_or_there_is_no_inverse(
    typed: str, result: dict[str, Any]
) -> None:
    """A no-op, a dry run, an unknown previous count, a paused rollout or an operation without an inverse."""
    assert undo_text(typed, result=result) is None


@pytest.mark.parametrize(
    "undo",
    [
        c.Uncordon(node="node-3"),
        c.Unmaintain(node="node-3", cluster="prod"),
        c.Scale(deployment="web", namespace="shop", replicas=0),
        c.Rollback(deployment="web", to_revision=3),
        c.Rollback(deployment="db", kind=c.WorkloadKind.STATEFULSET, namespace="shop", to_revision=2),
        c.Resume(deployment="web", namespace="shop", cluster="prod"),
    ],
)
def test_the_undo_text_reads_back_as_the_same_command(undo: Undo) -> None:
    """What the button runs is parsed like typed text, so it must mean exactly the undo command."""
    assert parse(command_text(undo)) == undo


def test_a_scale_undo_keeps_the_namespace_and_cluster_of_the_original() -> None:
    """The undo acts where the operation did."""
    command = parse("scale web 5 -n shop --cluster prod")
    assert undo_of(command, result={"changed": True, "plan": {"current": 1}}) == c.Scale(
        deployment="web", namespace="shop", cluster="prod", replicas=1
    )


def test_the_offer_is_worked_out_at_submission_and_survives_the_trip_as_json() -> None:
    """The job carries the offer as JSON; read back on the worker it gives the same undo, nothing parsed."""
    offer = undo_offer(parse("scale web 5 -n shop --cluster prod"))
    assert offer is not None
    carried = UndoOffer.from_json(json.loads(json.dumps(offer.to_json())))
    assert carried == offer
    undo = offered(carried, result={"changed": True, "plan": {"current": 2}})
    assert undo == Invocation(
        name="scale",
        arguments={"dry_run": False, "deployment": "web", "namespace": "shop", "replicas": 2},
        cluster="prod",
    )
    assert undo_command(undo) == c.Scale(deployment="web", namespace="shop", cluster="prod", replicas=2)


def test_a_dry_run_or_a_command_without_an_inverse_offers_nothing_at_submission() -> None:
    """Nothing to carry: the job's request holds no offer."""
    assert undo_offer(parse("cordon node-3 --dry-run")) is None
    assert undo_offer(parse("restart web")) is None
    assert undo_offer(parse("nodes")) is None


def test_a_true_that_is_not_a_boolean_does_not_count_as_changed() -> None:
    """``changed: 1`` is not ``changed: true``: the result must say it plainly."""
    offer = undo_offer(parse("cordon node-3"))
    assert offer is not None
    assert offered(offer, result={"changed": 1}) is None
