"""The console chat end to end: the `chatops console` program on the embedded default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHATOPS = Path(sys.executable).parent / "chatops"


def run_console(script: str, tmp_path: Path, *, stdin: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``chatops console`` on the embedded default with ``script`` as its lines."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "KUBECONFIG"}}
    env.pop("CHATOPS_POLICY", None)
    env.pop("CHATOPS_TIMELINE_KEY", None)
    if stdin:
        return subprocess.run(
            [str(CHATOPS), "console"],
            input=script,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    path = tmp_path / "script.chat"
    path.write_text(script)
    return subprocess.run(
        [str(CHATOPS), "console", "--script", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_a_cordon_typed_in_the_console_cordons_the_simulated_node(tmp_path: Path) -> None:
    """The queued job runs on the embedded worker against kubesim and reports kubectl's words."""
    result = run_console("cordon node-3\nuncordon node-3\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "node/node-3 cordoned" in result.stdout
    assert "node/node-3 uncordoned" in result.stdout
    assert len(re.findall(r"^  \[#\d+\] succeeded: ", result.stdout, flags=re.MULTILINE)) == 2


@pytest.mark.slow
def test_a_dry_run_in_the_console_reads_as_a_plan_never_as_a_success(tmp_path: Path) -> None:
    """`cordon node-3 --dry-run` and the plan of a drain awaiting approval: planned, nothing changed, no success."""
    result = run_console("cordon node-3 --dry-run\ndrain node-2\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"^  \[#1\] planned: `job-\w+` planned: the plan is above; nothing was changed\.$",
        result.stdout,
        re.M,
    )
    assert "[#2] planned" not in result.stdout  # the plan of a request shows in the request it opens
    assert re.search(
        r"^  \[#2\] bot: drain node/node-2 on cluster `default` needs 1 approval", result.stdout, re.M
    )
    assert "succeeded" not in result.stdout


@pytest.mark.slow
def test_a_lookup_in_the_console_is_one_message_as_in_slack(tmp_path: Path) -> None:
    """`nodes`, `history web`, `upgrade plan`, `jobs`: each thread shows one message, the answer; a failed
    lookup shows one too, the failure."""
    result = run_console("nodes\nhistory web\nupgrade plan\njobs\nstatus nosuch\n", tmp_path)
    assert result.returncode == 0, result.stderr
    said = re.findall(r"^  \[#(\d+)\] (\w+)", result.stdout, flags=re.MULTILINE)
    assert [number for number, _ in said] == ["1", "2", "3", "4", "5"], result.stdout
    assert [kind for _, kind in said] == ["bot", "bot", "bot", "bot", "bot"]
    assert (
        "[#3] bot: *Upgrade plan* " in result.stdout and "Before the control plane can go to" in result.stdout
    )
    assert "[#5] bot: `job-" in result.stdout and "failed: There is no deployment `nosuch`" in result.stdout
    assert "Queued `job-" not in result.stdout


@pytest.mark.slow
def test_piped_lines_are_read_like_a_script(tmp_path: Path) -> None:
    """With stdin piped, the console reads the lines, prints the conversation and exits 0."""
    result = run_console("nodes\n", tmp_path, stdin=True)
    assert result.returncode == 0, result.stderr
    assert "alice> nodes" in result.stdout
    assert "node-1" in result.stdout


@pytest.mark.slow
def test_the_readme_demo_script_runs_end_to_end(tmp_path: Path) -> None:
    """examples/demo.chat, the script the README shows, does what it says: every job it runs succeeds.

    The drain (request #5) and the rollback (#6) run after their approvals; the drain's approval comes
    several seconds after its plan, while the simulated kubelets keep writing node status.
    """
    result = run_console((ROOT / "examples" / "demo.chat").read_text(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "internal error" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "(only dave sees this)" in result.stdout
    assert "] failed:" not in result.stdout
    assert "[#5]   ↳ progress: node/node-2 drained." in result.stdout
    assert "[#6]   ↳ progress: deployment.apps/web rolled back" in result.stdout
    assert "(cordon node/node-1 on `default`) is queued for " in result.stdout, "the deferred cordon"


def test_a_missing_script_file_is_a_clear_error(tmp_path: Path) -> None:
    """A wrong path is named, with exit status 2 and no traceback."""
    result = subprocess.run(
        [str(CHATOPS), "console", "--script", str(tmp_path / "nope.chat")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no such script file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_console_records_job_events_from_the_bus_and_warns_of_the_demo_chain_key(tmp_path: Path) -> None:
    """Without CHATOPS_TIMELINE_KEY the console says on stderr that the chain uses the public demo key;
    the cordon's start and result, read from the job events bus, are on the exported timeline."""
    result = run_console("cordon node-3\ntimeline --export md\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CHATOPS_TIMELINE_KEY is not set" in result.stderr
    assert "| job started |" in result.stdout
    assert "| job succeeded |" in result.stdout
    assert "Hash chain verified" in result.stdout


@pytest.mark.slow
def test_in_the_console_a_failing_plan_asks_nobody_and_cannot_be_approved(tmp_path: Path) -> None:
    """`upgrade control-plane v1.33.0` on the demo's v1.31: the plan's refusal, no request; Bob's approve finds none."""
    result = run_console("upgrade control-plane v1.33.0\n/as bob\n#1 approve\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Working out the plan first" in result.stdout
    assert (
        "cannot go ahead: its plan did not succeed.\n" in result.stdout
        and "No approver was asked" in result.stdout
    )
    assert "skips a minor version" in result.stdout
    assert "needs 1 approval" not in result.stdout
    assert "There is no request waiting for approval in this thread." in result.stdout
    assert "Queued `job-" not in result.stdout


@pytest.mark.slow
def test_in_the_console_the_request_comes_with_its_plan(tmp_path: Path) -> None:
    """`drain node-2`: the plan comes first, then the request that shows it; an approval runs the drain."""
    result = run_console("drain node-2 --force --delete-emptydir-data\n/as bob\n#1 approve\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    planning = out.index("Working out the plan first")
    request = out.index("needs 1 approval from `leads`")
    plan = out.index("Drain node/node-2: cordon it, then evict")
    approved = out.index("Approved by <@U_BOB>")
    assert planning < request < plan < approved, out
    assert re.search(r"^  \[#1\] succeeded: `job-\w+` succeeded\.$", out, re.M)


@pytest.mark.slow
def test_every_reply_of_the_readme_demo_fits_100_columns(tmp_path: Path) -> None:
    """Outside code blocks of data and the exported file, no line the bot says is over 100 characters."""
    result = run_console((ROOT / "examples" / "demo.chat").read_text(), tmp_path)
    assert result.returncode == 0, result.stderr
    conversation = result.stdout[: result.stdout.index(".md: ")]
    outside_code = re.sub(r"```.*?```", "", conversation, flags=re.S)
    typed = re.compile(r"^\w+> ")
    said = [
        re.sub(r"^\s*\[#\d+\]\s+(↳ )?[\w ()]+?: ", "", line).strip()
        for line in outside_code.splitlines()
        if not typed.match(line)
    ]
    assert [line for line in said if len(line) > 100] == []
