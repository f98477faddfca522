"""Sentences only the Slack app says: job cards, approval buttons, refusals of answers, start-up errors.

Everything user-derived is escaped here (``escape``/``code``), so callers may pass raw Slack text.
"""

from __future__ import annotations

import datetime as dt

from bot.core.jobevents import EventKind
from bot.core.text_safety import code, escape

_CARD_STATES = {
    EventKind.QUEUED: ":hourglass_flowing_sand: Queued",
    EventKind.STARTED: ":arrows_counterclockwise: Running",
    EventKind.PROGRESS: ":arrows_counterclockwise: Running",
    EventKind.WARNING: ":warning: Running, with a warning",
    EventKind.PLAN: ":clipboard: Planned",
    EventKind.SUCCEEDED: ":white_check_mark: Succeeded",
    EventKind.FAILED: ":x: Failed",
    EventKind.CANCELLED: ":no_entry_sign: Cancelled",
}


def card_state(kind: EventKind) -> str:
    """The status line of a job card, from the last thing the job said."""
    return _CARD_STATES[kind]


def card_title(*, job_id: str, kind: EventKind) -> str:
    """The first line of a job card (mrkdwn)."""
    return f"*{card_state(kind)}* · job {code(job_id)}"


def card_fallback(*, job_id: str, kind: EventKind, text: str) -> str:
    """The plain notification text of a job card (shown where blocks are not)."""
    return f"{card_state(kind)}: job {job_id}. {text}"


def card_updated(*, at: float) -> str:
    """The context line of a job card: when it last changed, in each reader's own time zone."""
    fallback = dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M:%S UTC")
    return f"Updated <!date^{int(at)}^{{time_secs}}|{fallback}>"


def slash_request(*, user: str, command: str, text: str) -> str:
    """The message a slash command leaves in the channel, so its thread can hold the answers."""
    return f"<@{escape(user)}> asked: {code(f'{command} {text}'.strip())}"


def slash_cannot_post() -> str:
    """A slash command used where the bot cannot post (a channel it is not in, or someone else's DM)."""
    return (
        ":no_entry: I can't post in this conversation, so I can't run commands here. "
        "Invite me to the channel, or send me a direct message."
    )


def answer_refused_account(*, reason: str) -> str:
    """An ``approve``/``deny`` from an account that may never answer approvals."""
    return (
        f":no_entry: That answer does not count: approvals need a full member of this workspace ({reason})."
    )


def account_deactivated() -> str:
    """Why a deactivated account's answer is refused."""
    return "the account is deactivated"


def account_is_bot() -> str:
    """Why a bot's answer is refused."""
    return "bots cannot approve"


def account_is_guest() -> str:
    """Why a guest's answer is refused."""
    return "guests cannot approve"


def account_other_team() -> str:
    """Why a person from another workspace (Slack Connect) is refused."""
    return "the account belongs to another workspace"


def account_unknown() -> str:
    """Why an account Slack cannot describe is refused."""
    return "Slack could not confirm who you are"


def approval_heading(*, description: str) -> str:
    """The first line of an approval request message (mrkdwn)."""
    return f"*Approval needed* · {code(description)}"


def approval_details(*, requester: str, approvers: str, expires_at: float) -> str:
    """Who asked, who may answer, and until when; ``approvers`` is already chat-safe."""
    fallback = dt.datetime.fromtimestamp(expires_at, tz=dt.UTC).strftime("%H:%M UTC")
    expiry = f"<!date^{int(expires_at)}^{{time}}|{fallback}>"
    return f"Requested by <@{escape(requester)}> · approvers: {approvers} · expires {expiry}"


def approval_hint() -> str:
    """The context line under the buttons."""
    return "Or reply `approve` or `deny REASON` in this thread."


def approval_fallback(*, description: str, requester: str) -> str:
    """The notification text of an approval request."""
    return f"Approval needed: {code(description)} (requested by <@{escape(requester)}>)"


def approve_button() -> str:
    """The label of the button that approves."""
    return "Approve"


def deny_button() -> str:
    """The label of the button that denies."""
    return "Deny"


def confirm_title(*, description: str) -> str:
    """The title of the confirm dialog of a destructive approval (plain text, at most 100 characters).

    Plain text is shown literally, so entities would show as ``&lt;``; angle brackets become the
    look-alike ``‹ ›`` instead, which no client could ever read as a mention or a link.
    """
    return f"Approve {_plain(description)}?"[:100]


def _plain(text: str) -> str:
    return text.replace("<", "‹").replace(">", "›")


def confirm_text(*, loses: str) -> str:
    """The body of the confirm dialog: what will be lost; ``loses`` is chat-safe already."""
    return f"This cannot be undone: {loses}"


def confirm_yes() -> str:
    """The confirm dialog's go-ahead button."""
    return "Approve"


def confirm_no() -> str:
    """The confirm dialog's way back."""
    return "Cancel"


def approval_decided(*, decision: str, by: str, at: float) -> str:
    """What replaces the buttons once a request is decided."""
    icon = ":white_check_mark:" if decision == "approved" else ":no_entry:"
    fallback = dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M UTC")
    return (
        f"{icon} {escape(decision).capitalize()} by <@{escape(by)}> at <!date^{int(at)}^{{time}}|{fallback}>"
    )


def missing_setting(*, name: str, purpose: str) -> str:
    """``chatops bot`` started without a setting it needs."""
    return f"chatops bot: {name} is not set; it is needed {purpose}."


def bot_listening(*, mode: str, where: str) -> str:
    """Logged once the app is up."""
    return f"chatops bot: listening in {mode} ({where})."
