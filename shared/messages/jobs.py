"""Sentences about jobs and the cluster operations they perform, shared by the bot and the workers."""

from __future__ import annotations

from collections.abc import Sequence

from shared.messages import windows as window_messages
from shared.text_safety import code, escape


def queued(*, job_id: str, description: str, cluster: str, position: int | None) -> str:
    """The bot's answer when a job is on its way."""
    ahead = f" ({position} ahead of it)" if position else ""
    return f"Queued {code(job_id)}: {description} on cluster {code(cluster)}{ahead}."


def duplicate(*, job_id: str) -> str:
    """A request that was already received (Slack retries, or the same mention twice)."""
    return f"Already on it: this request is job {code(job_id)}."


def started(*, job_id: str, description: str) -> str:
    """A worker picked up the job."""
    return f"{code(job_id)} started: {description}."


def succeeded(*, job_id: str) -> str:
    """The job finished."""
    return f"{code(job_id)} succeeded."


def planned(*, job_id: str) -> str:
    """A dry run ended: the plan above is all it did."""
    return f"{code(job_id)} planned: the plan is above; nothing was changed."


def failed(*, job_id: str, reason: str) -> str:
    """The job stopped with an error people can act on."""
    return f"{code(job_id)} failed: {reason}"


def crashed(*, job_id: str) -> str:
    """The job stopped on a bug or an unexpected error; the details are in the worker's log."""
    return (
        f"{code(job_id)} failed on an unexpected error. Nothing more was changed after it; "
        f"the worker's log has the details under job id {job_id}."
    )


def cancelled(*, job_id: str, detail: str = "") -> str:
    """The job stopped because someone cancelled it; ``detail`` says where it stopped, if known."""
    text = f"{code(job_id)} was cancelled before it finished its next step."
    return f"{text} {detail}" if detail else text


def not_available_yet(*, command: str) -> str:
    """A command the grammar knows whose behaviour has not shipped yet."""
    return f"{code(command)} is understood but not available in this version yet; nothing was queued."


def dry_run_only(*, description: str) -> str:
    """Heading of a dry-run answer."""
    return f"Dry run: {description}. Nothing will be changed."


def node_cordoned(node: str) -> str:
    """kubectl's own wording, so people recognise it."""
    return f"node/{node} cordoned"


def node_uncordoned(node: str) -> str:
    """kubectl's own wording for uncordon."""
    return f"node/{node} uncordoned"


def node_already(node: str, state: str) -> str:
    """Cordon or uncordon found nothing to do."""
    return f"node/{node} already {state}"


def node_not_found(node: str) -> str:
    """The node named does not exist in the cluster."""
    return f"There is no node {code(node)} in this cluster. `nodes` lists them."


def would_cordon(node: str) -> str:
    """Dry-run plan of a cordon."""
    return f"Would cordon node/{node}: no new pods will be scheduled on it; running pods stay."


def would_uncordon(node: str) -> str:
    """Dry-run plan of an uncordon."""
    return f"Would uncordon node/{node}: new pods may be scheduled on it again."


def nodes_table(rows: Sequence[tuple[str, str, str, str, int]], *, chat: bool = False) -> str:
    """The ``nodes`` table: name, status, roles, version, pods, in aligned columns (no code fence); ``chat``
    escapes it for a chat message."""
    header = ("NAME", "STATUS", "ROLES", "VERSION", "PODS")
    cells = [header, *[(n, s, r, v, str(p)) for n, s, r, v, p in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    # In chat, padded first and escaped after: ``<none>`` stays four columns wide once Slack shows
    # ``&lt;`` as ``<``. A file holds the plain text.
    return "\n".join(
        "  ".join(
            escape(padded) if chat else padded
            for padded in (cell.ljust(widths[i]) for i, cell in enumerate(row))
        ).rstrip()
        for row in cells
    )


def nodes_summary(
    rows: Sequence[tuple[str, str, str, str, int]],
    *,
    total: int,
    shown: int,
    not_ready: int = 0,
    cordoned: int = 0,
    file: str | None = None,
) -> str:
    """The ``nodes`` answer: the table of the first ``shown`` nodes; a long list opens with its counts."""
    table = "```\n" + nodes_table(rows, chat=True) + "\n```"
    if total <= shown:
        return table
    counts = f"{total:,} nodes: {total - not_ready:,} Ready, {not_ready:,} NotReady, {cordoned:,} cordoned."
    where = f" The whole list is in {code(file)}." if file else ""
    return f"{counts} Problem nodes first; the first {shown}:\n{table}\n…and {total - shown:,} more.{where}"


def nodes_file() -> str:
    """The name of the file holding the whole ``nodes`` list."""
    return "nodes.txt"


def cluster_unreachable(detail: str) -> str:
    """The worker could not talk to the Kubernetes API."""
    return f"The Kubernetes API did not answer as expected ({detail}). Nothing was changed."


def plan_changed_since_approval(targets: Sequence[str]) -> str:
    """The approved plan no longer matches the cluster: void, ask again."""
    shown = ", ".join(code(target) for target in targets[:5])
    more = f" and {len(targets) - 5} more" if len(targets) > 5 else ""
    return (
        f"The cluster changed since the plan that was approved ({shown}{more} moved), so the approval "
        "is void and nothing was changed. Run the command again for a fresh plan and approval."
    )


def approved_plan_unfinished(*, plan_job: str, status: str) -> str:
    """No plan, no run: the plan job of an approved job did not finish (it failed, was cancelled or timed out)."""
    return (
        f"The plan {code(plan_job)} did not finish ({status}), so there is no plan to run and nothing "
        "was changed. Run the command again for a fresh plan and approval."
    )


def approved_plan_missing(*, plan_job: str) -> str:
    """The plan job an approval was given for is gone (jobs are kept a day)."""
    return (
        f"The plan {code(plan_job)} that was approved is no longer available, so nothing was changed. "
        "Run the command again for a fresh plan and approval."
    )


def page_entry(*, job_id: str, status: str, description: str, starts_at: float | None = None) -> str:
    """What one job says on the ``jobs`` page (time and requester are shown apart)."""
    return f"{code(job_id)} {escape(status)}: {escape(description)}{window_messages.starts(starts_at)}"


def no_items() -> str:
    """An empty list in a sentence."""
    return "none"


def first_of(named: str, *, more: int) -> str:
    """The first items of a long list, and how many more there are (the whole list goes as a file)."""
    return f"{named} and {more} more"


def whole_list_attached(*, name: str) -> str:
    """The comment of the file holding a list too long for the message."""
    return f"The whole list: {name}."
