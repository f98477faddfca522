"""Sentences only the Slack app says: job cards, approval buttons, refusals of answers, the Home tab,
start-up errors.

Everything user-derived is escaped here (``escape``/``code``), so callers may pass raw Slack text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shared.jobevents import EventKind
from shared.messages import windows as window_messages
from shared.text_safety import code, escape

_CARD_STATES = {
    EventKind.QUEUED: ":hourglass_flowing_sand: Queued",
    EventKind.STARTED: ":arrows_counterclockwise: Running",
    EventKind.PROGRESS: ":arrows_counterclockwise: Running",
    EventKind.WARNING: ":warning: Running, with a warning",
    EventKind.PLAN: ":clipboard: Planned",
    EventKind.SUCCEEDED: ":white_check_mark: Succeeded",
    EventKind.PLANNED: ":clipboard: Planned, nothing changed",
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


_DECIDED_ICONS = {
    "approved": ":white_check_mark:",
    "denied": ":no_entry:",
    "cancelled": ":no_entry_sign:",
    "expired": ":hourglass:",
    "voided": ":warning:",
}


def approval_decided(*, decision: str, by: str | None, at: float, reason: str | None = None) -> str:
    """What replaces the buttons once a request is decided; ``by`` is None when nobody did (expiry)."""
    icon = _DECIDED_ICONS.get(decision, ":information_source:")
    fallback = dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M UTC")
    who = f" by <@{escape(by)}>" if by else ""
    because = f": {escape(reason)}" if reason else ""
    return f"{icon} {escape(decision).capitalize()}{who} at <!date^{int(at)}^{{time}}|{fallback}>{because}"


def approvers_text(approvers: Sequence[str], *, count: int) -> str:
    """Who may answer a request, chat-safe: people and Slack user groups named, policy groups as code."""
    names = [_approver(approver) for approver in approvers]
    needed = "1 approval" if count == 1 else f"{count} approvals"
    return f"{', '.join(names)} ({needed} needed)"


def _approver(approver: str) -> str:
    if approver == "*":
        return "any approver the policy allows"
    if _is_slack_id(approver, "UW"):
        return f"<@{approver}>"
    if _is_slack_id(approver, "S"):
        return f"<!subteam^{approver}>"
    return code(approver)


def _is_slack_id(value: str, prefixes: str) -> bool:
    rest = value[1:]
    return len(value) > 1 and value[0] in prefixes and rest.replace("_", "").isalnum() and rest.isupper()


_LOSSES = {
    "upgrade control-plane": (
        "the control plane's components are replaced one by one; "
        "requests to the API server may fail while each restarts"
    ),
    "upgrade nodes": (
        "every node is drained in turn: its pods are evicted, and data in their emptyDir volumes is lost"
    ),
    "etcd restore": "every change made to the cluster since the snapshot was taken is lost",
    "drain": (
        "the node's pods are evicted: data in their emptyDir volumes is lost, "
        "and pods no controller manages are not recreated"
    ),
    "maintain": "the node is cordoned and drained: its pods are evicted and their emptyDir data is lost",
    "rollback": "the running revision is replaced: its pods are deleted, with any local data they hold",
    "scale": "when scaling down, the pods above the new replica count are deleted, with their local data",
}


def what_is_lost(*, command: str) -> str | None:
    """What approving ``command`` (a policy command name) destroys for good; None when nothing is."""
    return _LOSSES.get(command)


def loss_not_recorded() -> str:
    """What an approval request stored by an earlier version (without its command as data) may lose."""
    return (
        "unknown: this request was stored by an earlier version, which did not record the command it "
        "runs; read the plan before you approve"
    )


def destructive_commands() -> tuple[str, ...]:
    """The commands whose approval asks for confirmation, longest names first."""
    return tuple(sorted(_LOSSES, key=len, reverse=True))


def approval_loses(*, loses: str) -> str:
    """The line of an approval request saying what approving destroys."""
    return f":warning: *What will be lost:* {loses}."


def approval_plan_heading() -> str:
    """The line above the plan in an approval request."""
    return "*Plan*"


def approval_plan_waiting() -> str:
    """Shown in an approval request whose dry run finished without details to show."""
    return "_The dry run finished without details to show._"


def export_message(*, text: str, content: str, limit: int) -> str:
    """A timeline export posted as a message: the engine's sentence, then the document in a code block.

    The document is escaped (no pings or links from what people wrote) and cut to ``limit``
    characters, with a note saying how much was left out.
    """
    body = escape(content)  # backticks become look-alikes, so the block cannot be closed early
    note = ""
    if len(body) > limit:
        cut = body[:limit]
        entity = cut.rfind("&")
        if entity > len(cut) - 5 and ";" not in cut[entity:]:
            cut = cut[:entity]  # never end inside an entity such as &amp;
        note = (
            f"\n_Only the first {len(cut):,} of {len(body):,} characters are shown; "
            "run the export again with a narrower scope, or ask for a file upload._"
        )
        body = cut
    return f"{text}\n```\n{body}\n```{note}"


def missing_setting(*, name: str, purpose: str) -> str:
    """``chatops bot`` started without a setting it needs."""
    return f"chatops bot: {name} is not set; it is needed {purpose}."


def bot_listening(*, mode: str, where: str) -> str:
    """Logged once the app is up."""
    return f"chatops bot: listening in {mode} ({where})."


def runner_died(*, exit_code: int | None, pause: float) -> str:
    """Logged when the runner process of ``chatops bot`` exits on its own."""
    return (
        f"chatops bot: the runner process exited (code {exit_code}); starting it again in {pause:.0f} s. "
        "Slack's deliveries wait in the inbox meanwhile."
    )


# The App Home tab (bot.slack.views.home).


def home_title() -> str:
    """The header of the App Home tab (plain text)."""
    return "chatops: your approvals, the jobs in flight, your commands"


def home_approvals_heading(*, count: int) -> str:
    """Above the requests the person could answer."""
    return f"*Waiting for your approval* ({count})"


def home_no_approvals() -> str:
    """When nothing waits for the person's answer."""
    return "Nothing is waiting for your approval."


def home_approval_line(
    *, description: str, requester: str, channel: str, approvals: int, needed: int, expires_at: float
) -> str:
    """One request the person could answer, with where it was asked and until when."""
    fallback = dt.datetime.fromtimestamp(expires_at, tz=dt.UTC).strftime("%H:%M UTC")
    expiry = f"<!date^{int(expires_at)}^{{date_short_pretty}} {{time}}|{fallback}>"
    return (
        f"• {code(description)} · requested by <@{escape(requester)}> in <#{escape(channel)}>"
        f" · {approvals} of {needed} approvals · expires {expiry}"
    )


def home_approvals_hint() -> str:
    """How to answer, under the requests."""
    return "Answer in the request's thread: click Approve or Deny, or reply `approve` or `deny REASON`."


def home_jobs_heading(*, cluster: str, count: int) -> str:
    """Above the running and queued jobs of the default cluster."""
    return f"*Running and queued on {code(cluster)}* ({count})"


def home_no_jobs(*, cluster: str) -> str:
    """When no job is running or queued on the cluster."""
    return f"No job is running or queued on {code(cluster)}."


def home_job_line(
    *, job_id: str, description: str, status: str, user: str, starts_at: float | None = None
) -> str:
    """One running or queued job (a deferred one with its start)."""
    by = f" · by <@{escape(user)}>" if user else ""
    later = window_messages.starts(starts_at)
    return f"• {code(job_id)} · {escape(description)} · {escape(status)}{later}{by}"


def home_commands_heading() -> str:
    """Above the cheat sheet."""
    return "*Commands you may run*"


def home_command_line(*, usage: str, summary: str) -> str:
    """One line of the cheat sheet: how to write the command, and what it does."""
    return f"• {code(usage)}: {escape(summary)}"


def home_no_commands() -> str:
    """When the policy lets the person run nothing."""
    return "The policy lets you run no command; ask whoever keeps the chatops policy."


def home_where(*, channels: Sequence[str] | None) -> str:
    """Where commands are taken: the policy's channels, or anywhere the bot is."""
    if channels is None:
        return "Mention the bot in a channel, DM it, or use `/ops`; `help COMMAND` explains one."
    listed = ", ".join(f"<#{escape(channel)}>" for channel in channels) or "no channel"
    return f"Commands are taken in {listed} (mention the bot or use `/ops`); `help COMMAND` explains one."


def home_more(*, count: int) -> str:
    """Closes a list that was cut short."""
    return f"…and {count} more."


def home_updated(*, at: float) -> str:
    """The context line saying when the tab was drawn."""
    fallback = dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M UTC")
    return f"Updated <!date^{int(at)}^{{time}}|{fallback}> · open the tab again to refresh."


# Undo on finished job cards, and approvals still gathering votes (bot.slack.posting.cards, bot.slack.views.approval_view).


def undo_button() -> str:
    """The label of the button on a finished job card that runs the undo."""
    return "Undo"


def undo_offer(*, command: str) -> str:
    """The line beside the Undo button, naming the command it will run."""
    return f"Undo runs {code(command)} as you, under the same rules as typing it in this thread."


def undo_confirm_title() -> str:
    """The title of the Undo button's confirm dialog (plain text)."""
    return "Run the undo?"


def undo_confirm_text(*, command: str) -> str:
    """The body of the Undo button's confirm dialog."""
    return f"This runs {code(command)} as you. Approvals apply as if you had typed it."


def undo_confirm_yes() -> str:
    """The confirm dialog's go-ahead button for an undo."""
    return "Undo"


def undo_requested(*, user: str, command: str) -> str:
    """What replaces the Undo button once somebody asked for it."""
    return f":leftwards_arrow_with_hook: Undo requested by <@{escape(user)}>: {code(command)}"


def undo_already_requested(*, user: str) -> str:
    """Ephemeral: somebody clicked Undo on a card whose undo was already asked for."""
    return f"The undo of this job was already requested by <@{escape(user)}>."


def undo_unavailable() -> str:
    """Ephemeral: an Undo click on a card the bot no longer knows, or one without an undo."""
    return "This job has no undo I can run any more; type the command in the thread instead."


def approval_progress(*, have: int, need: int, approvers: Sequence[str]) -> str:
    """What a request still gathering approvals shows above its buttons: ``1 of 2 approvals: @bob``."""
    who = ", ".join(f"<@{escape(user)}>" for user in approvers)
    noun = "approval" if need == 1 else "approvals"
    return f":ballot_box_with_check: {have} of {need} {noun}: {who}"


def delivery_failed(*, reference: str) -> str:
    """Told (only) to the person whose message the bot could not handle, after its retries."""
    return (
        f"Sorry, something went wrong on our side with this message and nothing was done. Please try again; "
        f"if it keeps failing, tell the bot's operators (reference {code(reference)})."
    )
