"""What the API server refuses reaches the operator as the server said it, on both test beds: an
invalid object is a 422 whose causes the job reports, and nothing is changed (issue 14: kubesim now
validates as kube-apiserver does)."""

from __future__ import annotations

from tests.beds.view import deployment, runner_for
from tests.support.beds import Bed

WEB = {"deployment": "web", "namespace": "default"}


def test_a_rolling_update_that_could_never_progress_is_refused_by_the_server(bed: Bed) -> None:
    """maxSurge 0 and maxUnavailable 0: the server's 422 names the field; web keeps its strategy."""
    before = deployment(bed)["spec"]["strategy"]
    outcome = runner_for(bed).run("strategy", strategy="rolling", max_surge=0, max_unavailable=0, **WEB)
    assert outcome.status == "failed", outcome.texts()
    assert "refused this change as invalid (422 Unprocessable Entity: " in outcome.final.text
    assert "may not be 0 when `maxSurge` is 0" in outcome.final.text
    assert "did not answer as expected" not in outcome.final.text
    assert deployment(bed)["spec"]["strategy"] == before
