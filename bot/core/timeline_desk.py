"""The engine's answers from the timeline: incidents, notes, ``timeline`` and its pages, ``jobs``.

These commands run no job: :class:`TimelineDesk` answers them from the timeline and job ports at once.
An incident's timeline belongs to the channel it was opened in, and a page link (``timeline --link``)
is a key, so it is answered to the asker alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.chat import Attachment, Message, Reply, message_time
from bot.core.page_links import PageLinks
from bot.core.pages import PAGE_SIZE, PageCursor, PageKind, jobs_page, timeline_page
from bot.core.ports import JobPort, TimelinePort
from bot.core.recording import Recorder
from bot.core.timeline import EntryKind, Scope, export_json, export_markdown, render_page
from shared import commands
from shared.messages import conversation as messages
from shared.messages import pages as page_messages
from shared.messages import timeline as timeline_messages

log = logging.getLogger("chatops.engine")


class TimelineDesk:
    """Answers the incident and reading commands over the timeline and the jobs of a cluster."""

    def __init__(
        self,
        *,
        timeline: TimelinePort,
        jobs: JobPort,
        recorder: Recorder,
        links: PageLinks | None,
        clock: Callable[[], float],
    ) -> None:
        self._timeline = timeline
        self._jobs = jobs
        self._recorder = recorder
        self._links = links
        self._clock = clock

    def incident_command(
        self,
        message: Message,
        command: commands.IncidentOpen | commands.IncidentClose | commands.Note,
        *,
        thread: str,
    ) -> Reply:
        if isinstance(command, commands.IncidentOpen):
            incident, created = self._timeline.open_incident(
                channel=message.channel, title=command.title, actor=message.user
            )
            if not created:
                return Reply(
                    timeline_messages.incident_already_open(
                        incident_id=incident.incident_id, title=incident.title
                    ),
                    thread,
                    ephemeral=True,
                )
            log.info(
                "incident %s opened",
                incident.incident_id,
                extra={"incident_id": incident.incident_id, "user": message.user},
            )
            return Reply(
                timeline_messages.incident_opened(incident_id=incident.incident_id, title=incident.title),
                thread,
            )
        if isinstance(command, commands.IncidentClose):
            closed = self._timeline.close_incident(channel=message.channel, actor=message.user)
            if closed is None:
                return Reply(timeline_messages.no_open_incident(), thread, ephemeral=True)
            lasted = (closed.closed_at or closed.opened_at) - closed.opened_at
            log.info(
                "incident %s closed",
                closed.incident_id,
                extra={"incident_id": closed.incident_id, "user": message.user},
            )
            return Reply(
                timeline_messages.incident_closed(
                    incident_id=closed.incident_id, title=closed.title, lasted=lasted
                ),
                thread,
            )
        self._recorder.record(
            message, kind=EntryKind.NOTE, summary=command.text, suffix="note", at=message_time(message)
        )
        scope = self._timeline.scope(channel=message.channel)
        incident_id = scope.incident.incident_id if scope is not None and scope.incident is not None else None
        return Reply(timeline_messages.note_added(incident_id=incident_id), thread)

    def show_timeline(self, message: Message, command: commands.Timeline, *, thread: str) -> list[Reply]:
        if command.link or command.revoke_links:
            return [self._page_link(message, command, thread=thread)]
        if command.export is None:
            cursor = PageCursor(kind=PageKind.TIMELINE, incident=command.incident)
            return [self.read_timeline(cursor, channel=message.channel, thread=thread)]
        scope = self._timeline_scope(channel=message.channel, incident_id=command.incident, thread=thread)
        if isinstance(scope, Reply):
            return [scope]
        export = self._timeline.export(scope)
        fmt = command.export.value
        content = export_markdown(export) if fmt == "md" else export_json(export)
        name = (scope.incident.incident_id if scope.incident else f"timeline-{message.channel}") + f".{fmt}"
        text = timeline_messages.export_ready(
            scope=scope.label, count=len(export.entries), verified=export.report.ok, fmt=fmt
        )
        return [Reply(text, thread, file=Attachment(filename=name, content=content))]

    def _page_link(self, message: Message, command: commands.Timeline, *, thread: str) -> Reply:
        """``timeline --link`` and ``--revoke-links``: answered to the asker alone (a link is a key)."""
        if self._links is None:
            return Reply(timeline_messages.page_links_off(), thread, ephemeral=True)
        scope = self._timeline_scope(channel=message.channel, incident_id=command.incident, thread=thread)
        if isinstance(scope, Reply):
            return scope
        if scope.incident is None:
            return Reply(timeline_messages.page_links_need_incident(), thread, ephemeral=True)
        incident_id = scope.incident.incident_id
        if command.revoke_links:
            self._links.generations.revoke(incident_id)
            log.info("page links of %s revoked by %s", incident_id, message.user)
            return Reply(
                timeline_messages.page_links_revoked(incident_id=incident_id), thread, ephemeral=True
            )
        url, expires_at = self._links.url(incident_id, now=self._clock())
        log.info("page link of %s given to %s", incident_id, message.user)
        text = timeline_messages.page_link(incident_id=incident_id, url=url, expires_at=expires_at)
        return Reply(text, thread, ephemeral=True)

    def _timeline_scope(self, *, channel: str, incident_id: str | None, thread: str) -> Scope | Reply:
        """The timeline ``timeline [INCIDENT]`` means in ``channel``, or the ephemeral reply refusing it.

        An incident's timeline belongs to the channel it was opened in: asked for anywhere else, it
        is refused without a word of what it holds.
        """
        scope = self._timeline.scope(channel=channel, incident_id=incident_id)
        if scope is None:
            text = timeline_messages.no_such_incident(incident_id=incident_id or "")
            return Reply(text, thread, ephemeral=True)
        if scope.incident is not None and scope.incident.channel != channel:
            log.info("timeline of %s refused in %s: not its channel", scope.incident.incident_id, channel)
            text = timeline_messages.incident_elsewhere(incident_id=scope.incident.incident_id)
            return Reply(text, thread, ephemeral=True)
        return scope

    def read_timeline(self, cursor: PageCursor, *, channel: str, thread: str) -> Reply:
        scope = self._timeline_scope(channel=channel, incident_id=cursor.incident, thread=thread)
        if isinstance(scope, Reply):
            return scope
        read = self._timeline.page(scope.stream, count=cursor.offset + PAGE_SIZE)
        page = timeline_page(
            read.entries, scope=scope.label, cursor=cursor, has_older=read.older_before is not None
        )
        if cursor.offset == 0:
            text = render_page(read.entries, scope=scope.label, older_before=read.older_before)
        else:
            text = page_messages.page_fallback(title=page.title, number=page.number, shown=len(page.items))
        return Reply(text, thread, view=page)

    def read_jobs(self, cursor: PageCursor, *, cluster: str, thread: str) -> Reply:
        jobs = self._jobs.recent(cluster, limit=cursor.offset + PAGE_SIZE + 1)
        page = jobs_page(jobs, cluster=cluster, cursor=cursor)
        if cursor.offset == 0:
            text = messages.jobs_list(jobs[:PAGE_SIZE], cluster=cluster)
        else:
            text = page_messages.page_fallback(title=page.title, number=page.number, shown=len(page.items))
        return Reply(text, thread, view=page)
