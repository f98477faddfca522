"""The commands the engine answers from Redis: ``cancel``, incidents, notes, the timeline, approvals,
freezes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.commands.base import Command, ExportFormat


@dataclass(frozen=True, kw_only=True)
class Cancel(Command):
    """``cancel JOB``: stop a queued or running job."""

    name: ClassVar[str] = "cancel"
    job: str

    @property
    def target(self) -> str:
        return self.job


@dataclass(frozen=True, kw_only=True)
class IncidentOpen(Command):
    """``incident open TITLE``: start an incident; ``title`` is chat-safe text."""

    name: ClassVar[str] = "incident open"
    title: str


@dataclass(frozen=True, kw_only=True)
class IncidentClose(Command):
    """``incident close``: close the open incident."""

    name: ClassVar[str] = "incident close"


@dataclass(frozen=True, kw_only=True)
class Note(Command):
    """``note TEXT``: add a note to the timeline; ``text`` is chat-safe text."""

    name: ClassVar[str] = "note"
    text: str


@dataclass(frozen=True, kw_only=True)
class Timeline(Command):
    """``timeline [INCIDENT]``: show or export a timeline; ``incident=None``: the current one.

    ``link`` asks for an expiring link to the incident's web page; ``revoke_links`` stops every link
    to it given so far.
    """

    name: ClassVar[str] = "timeline"
    incident: str | None = None
    export: ExportFormat | None = None
    link: bool = False
    revoke_links: bool = False

    @property
    def target(self) -> str:
        return self.incident or ""


@dataclass(frozen=True, kw_only=True)
class Approve(Command):
    """``approve [APPROVAL]`` (in an approval thread): approve the request.

    ``approval_id`` names the request; it is required where the thread holds several pending ones.
    """

    name: ClassVar[str] = "approve"
    approval_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Deny(Command):
    """``deny [APPROVAL] [REASON]`` (in an approval thread): refuse the request.

    ``reason`` is chat-safe text; ``approval_id`` names the request as for :class:`Approve`.
    """

    name: ClassVar[str] = "deny"
    reason: str | None = None
    approval_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Freeze(Command):
    """``freeze [CLUSTER] [--until TIME] REASON``: refuse changes on a cluster until unfrozen (or ``until``).

    ``words`` is what follows ``freeze`` (chat-safe text): the engine reads its first word as the cluster
    when it names one the bot knows (:mod:`bot.core.freezing`), the rest is the reason.
    """

    name: ClassVar[str] = "freeze"
    words: str
    until: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unfreeze(Command):
    """``unfreeze [CLUSTER]``: lift the freeze; ``named`` is the cluster typed, if any."""

    name: ClassVar[str] = "unfreeze"
    named: str | None = None
