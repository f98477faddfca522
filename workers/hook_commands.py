"""Running an operator's hook command (upgrades, etcd restore): no shell, a time limit, a readable failure.

The command is an argv template (from :mod:`workers.hook_settings`). Each argument may hold
placeholders, replaced by the values of this call; unknown ``{…}`` text is left as written:

``{node}``, ``{version}``, ``{component}``, ``{pod}``, ``{template}``, ``{action}`` (upgrades);
``{data_dir}``, ``{member}``, ``{token}``, ``{initial_cluster}``, ``{snapshot}`` (etcd restore)

The same values are in the command's environment (:data:`ENV_NAMES`: ``CHATOPS_HOOK_ACTION``,
``CHATOPS_NODE``, …, ``CHATOPS_ETCD_DATA_DIR``, …; only those that apply), on top of the worker's own
environment. Nothing is run through a shell unless the operator
wrote one (``sh -c '…'``). Output goes to temporary files, so a chatty or backgrounded child cannot
block the worker; the command runs in its own process group, which is killed as a whole on timeout.
A failure, a timeout or a command that cannot start is a :class:`~workers.errors.JobError` whose
message names the action, the target and the program (never its arguments or environment), with the
tail of its output, where values of secret-looking environment variables are masked, and so are the
passwords of URLs (``scheme://user:password@…``): those written in the output, and those of URLs in the
environment wherever they show (``REDIS_URL``'s password printed on its own, or decoded).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from shared.messages import upgrade_hooks as hook_wording
from workers.errors import JobError

PLACEHOLDER = re.compile(
    r"\{(node|version|component|pod|template|action|data_dir|member|token|initial_cluster|snapshot)\}"
)

ENV_NAMES: Mapping[str, str] = {
    "action": "CHATOPS_HOOK_ACTION",
    "node": "CHATOPS_NODE",
    "version": "CHATOPS_VERSION",
    "component": "CHATOPS_COMPONENT",
    "pod": "CHATOPS_POD",
    "template": "CHATOPS_TEMPLATE_NODE",
    "data_dir": "CHATOPS_ETCD_DATA_DIR",
    "member": "CHATOPS_ETCD_MEMBER",
    "token": "CHATOPS_ETCD_TOKEN",
    "initial_cluster": "CHATOPS_ETCD_INITIAL_CLUSTER",
    "snapshot": "CHATOPS_ETCD_SNAPSHOT",
}

TAIL_LINES = 15
TAIL_CHARS = 1500
"""How much of the end of a failed command's output the error shows."""

READ_BYTES = 64 * 1024
"""How much of the end of an output file is read back (its tail is all that is shown)."""

KILL_GRACE_SECONDS = 5.0
"""After SIGTERM on timeout, how long the process group gets before SIGKILL."""

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|AUTH", re.IGNORECASE)
MIN_SECRET_LENGTH = 6
"""Shorter values are not masked (they would mask ordinary words)."""

URL_CREDENTIALS = re.compile(r"(?P<before>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)(?P<password>[^@/?#\s]+)@")
"""The ``user:password@`` of a URL (the user may be empty: ``redis://:password@host``)."""


def expand(template: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """``template`` with each known placeholder replaced by its value (unknown or absent ones stay)."""
    return [PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), part) for part in template]


def masked(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with secrets replaced by ``[masked]``.

    Secrets are the values of secret-looking environment variables, the password of every URL in
    ``text``, and the passwords of the URLs in ``environ`` (as written and percent-decoded), whatever
    the variable is called: ``REDIS_URL`` is not a secret-looking name, its password is a secret.
    """
    candidates = {value for name, value in environ.items() if SECRET_NAME.search(name)}
    for value in environ.values():
        for found in URL_CREDENTIALS.finditer(value):
            candidates |= {found["password"], unquote(found["password"])}
    text = URL_CREDENTIALS.sub(lambda found: f"{found['before']}[masked]@", text)
    for secret in sorted((c for c in candidates if len(c) >= MIN_SECRET_LENGTH), key=len, reverse=True):
        text = text.replace(secret, "[masked]")
    return text


def tail(output: str) -> str:
    """The last lines of ``output`` (at most :data:`TAIL_LINES` lines and :data:`TAIL_CHARS` characters)."""
    lines = output.rstrip().splitlines()[-TAIL_LINES:]
    text = "\n".join(lines)
    return text[-TAIL_CHARS:]


def run_hook(
    template: Sequence[str],
    *,
    values: Mapping[str, str],
    where: str,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Run the command for one action on ``where`` (a node, ``component@node``) to its successful end.

    ``values`` are the placeholder values (``action`` among them). Raises :class:`JobError` when the
    command cannot start, exits non-zero or outlives ``timeout`` seconds.
    """
    base = dict(os.environ if environ is None else environ)
    env = {**base, **{ENV_NAMES[key]: value for key, value in values.items() if key in ENV_NAMES}}
    argv = expand(template, values)
    action = values.get("action", "hook")
    program = Path(argv[0]).name if argv else "?"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, start_new_session=True
            )
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise JobError(
                hook_wording.hook_not_started(action, where=where, program=program, reason=reason)
            ) from None
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            raise JobError(
                hook_wording.hook_timed_out(
                    action,
                    where=where,
                    program=program,
                    seconds=timeout,
                    tail=masked(_tail_of(out, err), base),
                )
            ) from None
        if code != 0:
            raise JobError(
                hook_wording.hook_failed(
                    action, where=where, program=program, status=code, tail=masked(_tail_of(out, err), base)
                )
            )


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, then SIGKILL it if it does not end in time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _read_end(stream: IO[bytes]) -> str:
    """The last :data:`READ_BYTES` bytes a command wrote to ``stream``, decoded leniently."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(max(0, size - READ_BYTES))
    return stream.read().decode("utf-8", errors="replace")


def _tail_of(out: IO[bytes], err: IO[bytes]) -> str:
    """The end of stderr, or of stdout when the command wrote nothing to stderr."""
    return tail(_read_end(err)) or tail(_read_end(out))


__all__ = ["ENV_NAMES", "PLACEHOLDER", "expand", "masked", "run_hook", "tail"]
