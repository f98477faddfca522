"""A call the API server refused while restarting is made again once the server is ready; any other
failure stands (``workers.api_restart``). The drill on the real control plane is
``tests/beds/test_apiserver_restart.py``; here the server's ``/readyz`` answers are given in turn."""

from __future__ import annotations

from collections.abc import Callable

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from workers.api_restart import came_back


def answers(*statuses: int | None) -> Callable[[], int | None]:
    """``/readyz`` answering these statuses in turn (None: no answer), the last one from then on."""
    queue = list(statuses)

    def status() -> int | None:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return status


def refused() -> MaxRetryError:
    return MaxRetryError(None, "/api/v1/nodes/node-1", reason=NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]


def no_sleep(_: float) -> None:
    return None


def test_a_403_from_a_ready_server_stands_at_once() -> None:
    """The worker's account really lacks the right: no waiting, no second try."""
    assert came_back(ApiException(status=403), readiness=answers(200), sleep=no_sleep) is False


def test_a_403_from_a_server_that_cannot_be_asked_stands() -> None:
    assert came_back(ApiException(status=403), readiness=answers(None), sleep=no_sleep) is False


def test_a_403_while_the_server_is_not_ready_is_tried_again_once_it_is() -> None:
    """Right after a restart the authorizer has not loaded RBAC yet and /readyz says so (500, or 403)."""
    assert came_back(ApiException(status=403), readiness=answers(500, 403, 200), sleep=no_sleep) is True


def test_a_refused_connection_waits_for_the_server_to_be_ready() -> None:
    """Nothing was sent, so even a write is made again, once /readyz answers 200."""
    assert came_back(refused(), readiness=answers(None, None, 500, 200), sleep=no_sleep) is True


def test_a_server_that_never_comes_back_leaves_the_error_standing() -> None:
    assert came_back(refused(), readiness=answers(None), seconds=0.05, sleep=no_sleep) is False


def test_a_connection_dropped_mid_request_is_not_made_again() -> None:
    """The request may have been applied (an eviction, a patch): the caller decides, as before."""
    dropped = MaxRetryError(None, "/api/v1/pods/x/eviction", reason=ProtocolError("connection reset"))  # type: ignore[arg-type]
    assert came_back(dropped, readiness=answers(200), sleep=no_sleep) is False


def test_other_api_errors_are_not_waited_on() -> None:
    assert came_back(ApiException(status=404), readiness=answers(500, 200), sleep=no_sleep) is False
