"""The console's in-process worker admits jobs as ``chatops worker`` does: signed with its session key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.dispatch import RQDispatcher
from bot.embedded import EmbeddedWorker, embedded_redis
from shared.job_signing import JobSigner, session_key
from shared.jobevents import EVENTS_STREAM, EventKind, JobEvent, RequestContext
from shared.jobs import job_spec, queue_name
from shared.messages import admission as messages
from workers.admission import admitted_job_class


def test_the_embedded_worker_runs_what_its_session_signed_and_refuses_the_rest(tmp_path: Path) -> None:
    """``os.system`` put on the embedded Redis never runs; a job signed with the session key starts."""
    connection = embedded_redis()
    key = session_key()
    marker = tmp_path / "owned"
    queue = Queue(queue_name("default"), connection=connection, serializer=JSONSerializer)
    evil = queue.enqueue_call("os.system", args=(f"touch {marker}",), job_id="job-evil")
    request = RequestContext(job_id="job-ok", user="U1", channel="C1", thread_ts="", cluster="default")
    spec = job_spec(command_name="nodes", arguments={"dry_run": True}, request=request, description="nodes")
    RQDispatcher(connection, signer=JobSigner(key)).submit(spec)
    worker = EmbeddedWorker(connection, cluster="default", job_class=admitted_job_class(key))
    worker.start_burst()
    worker.wait(timeout=60)
    assert not marker.exists()
    refused = Job.fetch(evil.id, connection=connection, serializer=JSONSerializer)
    result = refused.latest_result()
    assert result is not None and messages.not_a_job_function(function="os.system") in (
        result.exc_string or ""
    )
    entries: Any = connection.xrange(EVENTS_STREAM)
    started = [JobEvent.from_fields(decode(fields)) for _, fields in entries]
    assert [(event.job_id, event.kind) for event in started][:1] == [("job-ok", EventKind.STARTED)]


def decode(fields: dict[bytes, bytes]) -> dict[str, str]:
    """A stream entry's fields as text."""
    return {key.decode(): value.decode() for key, value in fields.items()}
