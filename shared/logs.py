"""Structured logs: one JSON object per line, carrying the job, approval and incident ids when known.

Both entry points (``chatops bot`` and ``chatops worker``) install :class:`JsonFormatter`, so a log
pipeline can follow one operation across the bot and the workers by its ids. Pass them with
``extra={"job_id": …}``; secrets are never logged (settings mask them).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

CORRELATION_FIELDS = ("job_id", "approval_id", "incident_id", "cluster", "user")
"""Record attributes copied into every line when a caller set them through ``extra``."""


class JsonFormatter(logging.Formatter):
    """Formats a record as a single-line JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time (UTC), level, logger, message, correlation ids, exception."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CORRELATION_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_json_logging(*, level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON lines (replacing other handlers of the root logger)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
