"""A timeline store that fails for real: an ACL user whose writes to the timeline's keys Redis refuses.

The timeline recorder connects as :data:`USER`. :meth:`TimelineOutage.begin` takes away its writes
to ``chatops:timeline:*`` and ``chatops:incident:*`` (reads stay, and so does the job events stream
it reads and acknowledges in its group), so every append fails with NOPERM as a full or read-only
timeline store would; :meth:`TimelineOutage.lost_acks` takes away XACK alone (the recorder appended,
then could not acknowledge: as if it died in between). :meth:`TimelineOutage.end` gives everything back.
Already connected clients of the user see each change at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from redis import Redis

from shared.jobevents import EVENTS_STREAM

USER = "timeline-recorder"
PASSWORD = "recorder-password"

_EVERYTHING = ["on", f">{PASSWORD}", "~*", "&*", "+@all"]


class TimelineOutage:
    """Turns the recorder's writes to the timeline off and on, through Redis ACLs."""

    def __init__(self, admin: Redis) -> None:
        self._admin = admin

    def begin(self) -> None:
        """From now on, every write of the recorder's user to the timeline is refused."""
        _acl(self._admin, "SETUSER", USER, "resetkeys", f"~{EVENTS_STREAM}", "%R~chatops:*")

    def lost_acks(self) -> None:
        """From now on, the recorder's user can append but not acknowledge."""
        _acl(self._admin, "SETUSER", USER, "-xack")

    def end(self) -> None:
        """Every permission back."""
        _acl(self._admin, "SETUSER", USER, "reset", *_EVERYTHING)


@contextlib.contextmanager
def recorder_user(admin: Redis, url: str) -> Iterator[tuple[str, TimelineOutage]]:
    """Create the recorder's user on ``admin``'s server; the URL to connect as it, and its outage switch."""
    _acl(admin, "SETUSER", USER, "reset", *_EVERYTHING)
    parts = urlsplit(url)
    netloc = f"{USER}:{PASSWORD}@{parts.hostname}:{parts.port}"
    try:
        yield urlunsplit(parts._replace(netloc=netloc)), TimelineOutage(admin)
    finally:
        _acl(admin, "DELUSER", USER)


def _acl(admin: Redis, *arguments: str) -> None:
    admin.execute_command("ACL", *arguments)  # type: ignore[no-untyped-call]  # untyped in redis-py
