"""Jobs and incidents: ``cancel``, ``incident open|close``, ``note``, ``timeline``, ``approve``, ``deny``,
``freeze`` and ``unfreeze``.

The engine answers all of them itself, from Redis; none runs a job.
"""

from __future__ import annotations

from shared import commands as c
from shared.command_spec import CommandSpec
from shared.messages import usage as messages
from shared.names import APPROVAL_PREFIX, NameKind
from shared.parsing.arguments import Arguments, no_arguments
from shared.parsing.options import Option

AREA = "Jobs and incidents"

_EXPORT = Option("--export", takes_value=True)
_EXPORT_FORMATS = {"md": "md", "markdown": "md", "json": "json"}
_LINK = Option("--link", takes_value=False)
_REVOKE_LINKS = Option("--revoke-links", takes_value=False)
_UNTIL = Option("--until", takes_value=True)


def _build_cancel(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    return c.Cancel(job=arguments.name(NameKind.JOB, arguments.required(0, "JOB")))


def _build_incident_open(arguments: Arguments) -> c.Command:
    return c.IncidentOpen(title=arguments.safe_text() or "")


def _build_note(arguments: Arguments) -> c.Command:
    return c.Note(text=arguments.safe_text() or "")


def _build_timeline(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    incident = None if raw is None else arguments.name(NameKind.INCIDENT, raw)
    raw_export = arguments.values.get(_EXPORT.key)
    export = None
    if raw_export is not None:
        export = c.ExportFormat(arguments.choice("`--export`", raw_export, _EXPORT_FORMATS))
    link, revoke = arguments.switch(_LINK), arguments.switch(_REVOKE_LINKS)
    if export is not None and (link or revoke):
        arguments.fail(messages.conflicting("`--export`", "`--revoke-links`" if revoke else "`--link`"))
    if link and revoke:
        arguments.fail(messages.conflicting("`--link`", "`--revoke-links`"))
    return c.Timeline(incident=incident, export=export, link=link, revoke_links=revoke)


def _build_approve(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    return c.Approve(approval_id=None if raw is None else arguments.name(NameKind.APPROVAL, raw))


def _build_deny(arguments: Arguments) -> c.Command:
    """``deny [APPROVAL] [REASON]``: a first word that starts with ``apr-`` names the request."""
    text = arguments.text
    approval_id = None
    if text is not None and text.startswith(APPROVAL_PREFIX):
        first, _, rest = text.partition(" ")
        approval_id = arguments.name(NameKind.APPROVAL, first)
        arguments.text = rest.strip() or None
    return c.Deny(reason=arguments.safe_text(), approval_id=approval_id)


def _build_freeze(arguments: Arguments) -> c.Command:
    return c.Freeze(words=arguments.safe_text() or "", until=arguments.values.get(_UNTIL.key))


def _build_unfreeze(arguments: Arguments) -> c.Command:
    arguments.at_most(1)
    raw = arguments.optional(0)
    return c.Unfreeze(named=None if raw is None else arguments.name(NameKind.CLUSTER, raw))


SPECS = (
    CommandSpec(
        name="cancel",
        command=c.Cancel,
        build=_build_cancel,
        usage="cancel JOB",
        summary="Cancel a queued or running job: your own, or one whose kind of work you may approve.",
        example="cancel job-1",
        area=AREA,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="incident open",
        command=c.IncidentOpen,
        build=_build_incident_open,
        text="TITLE",
        usage="incident open TITLE",
        summary="Open an incident; what happens next goes on its timeline.",
        example='incident open "checkout errors"',
        area=AREA,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="incident close",
        command=c.IncidentClose,
        build=no_arguments(c.IncidentClose),
        usage="incident close",
        summary="Close the open incident.",
        example="incident close",
        area=AREA,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="note",
        command=c.Note,
        build=_build_note,
        text="TEXT",
        usage="note TEXT",
        summary="Add a note to the timeline.",
        example='note "drained node-1 by hand"',
        area=AREA,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="timeline",
        command=c.Timeline,
        build=_build_timeline,
        options=(_EXPORT, _LINK, _REVOKE_LINKS),
        usage="timeline [INCIDENT] [--export md|json | --link | --revoke-links]",
        summary=(
            "Show a timeline, export it as Markdown or JSON, or share an incident's web page by an "
            "expiring link (`--revoke-links` stops every link given so far)."
        ),
        example="timeline INC-1 --export md",
        area=AREA,
        read_only=True,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="approve",
        command=c.Approve,
        build=_build_approve,
        usage="approve [APPROVAL]",
        summary="Approve the request (reply in its thread; name it when the thread holds several).",
        example="approve",
        area=AREA,
        governed=False,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="deny",
        command=c.Deny,
        build=_build_deny,
        text="REASON",
        text_required=False,
        usage="deny [APPROVAL] [REASON]",
        summary=(
            "Refuse the request, optionally saying why "
            "(reply in its thread; name it when the thread holds several)."
        ),
        example="deny not during the sale",
        area=AREA,
        governed=False,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="freeze",
        command=c.Freeze,
        build=_build_freeze,
        options=(_UNTIL,),
        text="REASON",
        usage="freeze [CLUSTER] [--until TIME] REASON",
        summary=(
            "Refuse every change on the cluster until it is unfrozen or TIME passes (`06:00`, `mon 06:00`, "
            "an ISO time in UTC, or a wait like `8h`); `--break-glass` on a command asks the incident group."
        ),
        example="freeze --until 18:00 release day",
        area=AREA,
        governed=False,
        by_freezers=True,
        answered_by_engine=True,
    ),
    CommandSpec(
        name="unfreeze",
        command=c.Unfreeze,
        build=_build_unfreeze,
        usage="unfreeze [CLUSTER]",
        summary="Lift the freeze.",
        example="unfreeze",
        area=AREA,
        governed=False,
        by_freezers=True,
        answered_by_engine=True,
    ),
)
