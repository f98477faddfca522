"""The one background loop: a step repeated until stopped, failures logged and tried again."""

from __future__ import annotations

import logging
import threading

import pytest

from shared.background import Loop

log = logging.getLogger("tests.background")


class Steps:
    """A step that records its calls, fails on the calls it is told to, and stops the loop at ``last``."""

    def __init__(
        self, *, last: int, failing: frozenset[int] = frozenset(), error: Exception | None = None
    ) -> None:
        self.calls = 0
        self.last = last
        self.failing = failing
        self.error = error or RuntimeError("boom")
        self.loop: Loop | None = None

    def __call__(self) -> None:
        self.calls += 1
        if self.calls >= self.last and self.loop is not None:
            self.loop.stopping.set()
        if self.calls in self.failing:
            raise self.error


def test_a_failing_step_is_logged_with_its_traceback_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Calls 2 and 3 raise; the loop runs to call 5 and logs each failure once, with the traceback."""
    steps = Steps(last=5, failing=frozenset({2, 3}))
    steps.loop = Loop(steps, name="t", logger=log, failure="the test step failed", after_failure=0.001)
    with caplog.at_level(logging.WARNING, logger="tests.background"):
        steps.loop.run()
    assert steps.calls == 5
    failures = [record for record in caplog.records if "the test step failed" in record.getMessage()]
    assert len(failures) == 2 and all(record.exc_info for record in failures)


def test_an_expected_error_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Redis away for a moment is an expected error: a warning naming it, no traceback."""
    steps = Steps(last=2, failing=frozenset({1}), error=ConnectionError("redis away"))
    steps.loop = Loop(
        steps,
        name="t",
        logger=log,
        failure="reading failed",
        after_failure=0.001,
        expected=(ConnectionError,),
    )
    with caplog.at_level(logging.WARNING, logger="tests.background"):
        steps.loop.run()
    [record] = [record for record in caplog.records if "reading failed" in record.getMessage()]
    assert "redis away" in record.getMessage() and not record.exc_info


def test_stop_wakes_a_long_pause_and_the_thread_ends() -> None:
    """A loop pausing an hour between steps stops as soon as it is told."""
    ran = threading.Event()
    loop = Loop(ran.set, name="hourly", logger=log, failure="x", every=3600)
    loop.start()
    assert ran.wait(10)
    loop.stop(timeout=10)
    assert not loop.running


def test_wait_first_pauses_before_the_first_step() -> None:
    """A loop told to wait first and stopped during that wait never steps."""
    steps = Steps(last=1)
    loop = Loop(steps, name="t", logger=log, failure="x", every=3600, wait_first=True)
    loop.start()
    loop.stop(timeout=10)
    assert steps.calls == 0 and not loop.running
