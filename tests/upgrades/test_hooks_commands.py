"""Hook commands run for real: placeholders and environment, failures with their output, timeouts, settings."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from workers.errors import JobError
from workers.hook_commands import run_hook
from workers.hook_settings import HookAction, HookKind, HookSettings


def _script(tmp_path: Path, name: str, body: str) -> list[str]:
    """A small Python program written by the test, as the argv prefix that runs it."""
    path = tmp_path / name
    path.write_text(body)
    return [sys.executable, str(path)]


def _ends(pid: int) -> bool:
    """Whether process ``pid`` is gone or a zombie within a few seconds (the kernel delivers SIGKILL async)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


RECORDER = """\
import json, os, sys
keys = ["CHATOPS_HOOK_ACTION", "CHATOPS_NODE", "CHATOPS_VERSION", "CHATOPS_TEMPLATE_NODE", "CHATOPS_POD"]
with open(sys.argv[1], "w") as out:
    json.dump({"argv": sys.argv[2:], "env": {k: os.environ.get(k) for k in keys}}, out)
"""


def test_a_command_gets_its_placeholders_in_argv_and_the_same_values_in_its_environment(
    tmp_path: Path,
) -> None:
    """``{node}`` and ``{version}`` are replaced inside arguments; CHATOPS_* variables carry the values too."""
    record = tmp_path / "record.json"
    argv = [*_script(tmp_path, "record.py", RECORDER), str(record), "--node={node}", "{version}", "{unknown}"]

    run_hook(
        argv,
        values={"action": "provision-node", "node": "node-9", "version": "v1.32.0", "template": "node-2"},
        where="node-9",
        timeout=30,
    )

    seen = json.loads(record.read_text())
    assert seen["argv"] == ["--node=node-9", "v1.32.0", "{unknown}"]
    assert seen["env"] == {
        "CHATOPS_HOOK_ACTION": "provision-node",
        "CHATOPS_NODE": "node-9",
        "CHATOPS_VERSION": "v1.32.0",
        "CHATOPS_TEMPLATE_NODE": "node-2",
        "CHATOPS_POD": None,
    }


def test_a_failing_command_is_a_job_error_with_its_exit_status_and_the_tail_of_its_stderr(
    tmp_path: Path,
) -> None:
    """Exit 3 is reported with the program's name and its last lines of stderr, not a traceback or argv."""
    body = "import sys\nfor i in range(40):\n    print(f'step {i}', file=sys.stderr)\nsys.exit(3)\n"
    argv = [*_script(tmp_path, "fail.py", body), "--token-file=/secret/path"]

    with pytest.raises(JobError) as raised:
        run_hook(argv, values={"action": "upgrade-node", "node": "node-2"}, where="node-2", timeout=30)

    message = str(raised.value)
    assert "upgrade-node hook for `node-2` failed" in message
    assert "exited with status 3" in message
    assert "step 39" in message and "step 25" in message and "step 10\n" not in message
    assert "/secret/path" not in message and "Traceback" not in message


def test_values_of_secret_looking_environment_variables_are_masked_in_the_output_shown(
    tmp_path: Path,
) -> None:
    """A command that prints a token from its environment does not leak it into the error."""
    body = "import os, sys\nprint('using', os.environ['CLOUD_API_TOKEN'], file=sys.stderr)\nsys.exit(1)\n"
    argv = _script(tmp_path, "leak.py", body)

    with pytest.raises(JobError) as raised:
        run_hook(
            argv,
            values={"action": "retire-node", "node": "node-3"},
            where="node-3",
            timeout=30,
            environ={"CLOUD_API_TOKEN": "s3cr3t-value-123", "PATH": "/usr/bin:/bin"},
        )

    assert "s3cr3t-value-123" not in str(raised.value)
    assert "using [masked]" in str(raised.value)


def test_a_command_that_hangs_is_stopped_with_everything_it_started_at_the_timeout(tmp_path: Path) -> None:
    """A command (and the child it spawned) outliving the time limit is killed and reported as timed out."""
    pid_file = tmp_path / "child.pid"
    body = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('waiting for the cloud', flush=True)\n"
        "time.sleep(120)\n"
    )
    argv = _script(tmp_path, "hang.py", body)

    with pytest.raises(JobError) as raised:
        run_hook(argv, values={"action": "upgrade-node", "node": "node-2"}, where="node-2", timeout=1.0)

    assert "did not finish within 1 s" in str(raised.value)
    assert "waiting for the cloud" in str(raised.value)
    assert _ends(int(pid_file.read_text())), "the grandchild was killed with its process group"


def test_a_command_that_cannot_be_found_is_a_job_error_naming_the_program(tmp_path: Path) -> None:
    """A missing executable is reported as such, without running anything."""
    with pytest.raises(JobError) as raised:
        run_hook(
            [str(tmp_path / "no-such-upgrader"), "{node}"],
            values={"action": "upgrade-node", "node": "node-2"},
            where="node-2",
            timeout=5,
        )

    assert "could not start `no-such-upgrader`" in str(raised.value)


def test_settings_split_commands_like_a_shell_and_read_the_hook_and_its_time_limits() -> None:
    """Commands are split with shell quoting (not run by one); timeouts are seconds; unset ones default."""
    settings = HookSettings.from_env(
        {
            "CHATOPS_UPGRADE_HOOK": "Command",
            "CHATOPS_UPGRADE_NODE_COMMAND": "ansible-playbook upgrade.yml -e 'node={node} version={version}'",
            "CHATOPS_UPGRADE_HOOK_TIMEOUT": "90",
        }
    )

    assert settings.hook == HookKind.COMMAND
    assert settings.command(HookAction.UPGRADE_NODE) == (
        "ansible-playbook",
        "upgrade.yml",
        "-e",
        "node={node} version={version}",
    )
    assert settings.command(HookAction.PROVISION_NODE) is None
    assert (settings.command_timeout, settings.wait_timeout) == (90.0, 1800.0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHATOPS_UPGRADE_HOOK", "ansible"),
        ("CHATOPS_UPGRADE_WAIT_TIMEOUT", "soon"),
        ("CHATOPS_UPGRADE_HOOK_TIMEOUT", "0"),
        ("CHATOPS_RETIRE_NODE_COMMAND", "retire 'node"),
    ],
)
def test_an_unusable_setting_is_a_job_error_naming_the_variable(variable: str, value: str) -> None:
    """A bad hook setting stops the job with the variable's name (its value may be secret, so not echoed)."""
    with pytest.raises(JobError) as raised:
        HookSettings.from_env({variable: value})

    assert f"`{variable}`" in str(raised.value)


def test_passwords_in_urls_are_masked_in_the_output_shown(tmp_path: Path) -> None:
    """REDIS_URL's password is masked wherever it shows (in the URL, alone, decoded), as is any URL's."""
    body = (
        "import os, sys\n"
        "print('connecting to', os.environ['REDIS_URL'], file=sys.stderr)\n"
        "print('auth with', os.environ['REDIS_URL'].split(':')[2].split('@')[0], file=sys.stderr)\n"
        "print('decoded p@ss-w0rd-9 refused', file=sys.stderr)\n"
        "print('also tried postgres://app:db-pass-77@db:5432/app', file=sys.stderr)\n"
        "sys.exit(1)\n"
    )
    argv = _script(tmp_path, "leak_url.py", body)

    with pytest.raises(JobError) as raised:
        run_hook(
            argv,
            values={"action": "retire-node", "node": "node-3"},
            where="node-3",
            timeout=30,
            environ={"REDIS_URL": "redis://:p%40ss-w0rd-9@redis:6379/0", "PATH": "/usr/bin:/bin"},
        )

    message = str(raised.value)
    for secret in ("p%40ss-w0rd-9", "p@ss-w0rd-9", "db-pass-77"):
        assert secret not in message
    assert "connecting to redis://:[masked]@redis:6379/0" in message
    assert "auth with [masked]" in message
    assert "decoded [masked] refused" in message
    assert "postgres://app:[masked]@db:5432/app" in message
