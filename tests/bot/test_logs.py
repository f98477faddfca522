"""Logs are JSON lines that carry the ids an operator follows an operation by."""

from __future__ import annotations

import json
import logging

from shared.logs import JsonFormatter


def record(**extra: object) -> logging.LogRecord:
    """A record as logging.Logger.makeRecord builds it, with ``extra`` set as attributes."""
    made = logging.LogRecord("chatops.workers", logging.INFO, __file__, 1, "job %s started", ("job-1",), None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_a_line_is_one_json_object_with_the_message_and_the_ids() -> None:
    """Message rendered, level lower-case, ids copied from extra."""
    line = json.loads(JsonFormatter().format(record(job_id="job-1", approval_id="apr-1", cluster="prod")))
    assert line["message"] == "job job-1 started"
    assert (line["level"], line["logger"]) == ("info", "chatops.workers")
    assert (line["job_id"], line["approval_id"], line["cluster"]) == ("job-1", "apr-1", "prod")
    assert line["time"].endswith("+00:00")


def test_ids_that_were_not_given_are_left_out() -> None:
    """No null noise: only the ids the caller knew."""
    line = json.loads(JsonFormatter().format(record()))
    assert not {"job_id", "approval_id", "incident_id"} & set(line)


def test_an_exception_stays_inside_the_one_line() -> None:
    """A traceback is a field, so the line is still one JSON object."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failing = record(job_id="job-2")
        failing.exc_info = sys.exc_info()
    text = JsonFormatter().format(failing)
    assert "\n" not in text
    assert "RuntimeError: boom" in json.loads(text)["exception"]
