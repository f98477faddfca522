"""How the worker replaces kubelets and control-plane components on this cluster, read from the environment.

Upgrading a kubelet, a control-plane component or bringing a node into the cluster happens outside the
Kubernetes API, so the operator says how (see README, "Upgrade hooks"):

``CHATOPS_UPGRADE_HOOK``
    ``kubesim`` (the simulator's built-in upgrader), ``command`` (run the operator's commands, then wait
    for the cluster to show the result) or ``wait`` (run nothing: an external system does the work, the
    job waits for the result). Unset: ``kubesim`` when the API server is kubesim, otherwise ``command``
    if any command is set, else ``wait``.
``CHATOPS_UPGRADE_NODE_COMMAND``, ``CHATOPS_UPGRADE_CONTROL_PLANE_COMMAND``,
``CHATOPS_PROVISION_NODE_COMMAND``, ``CHATOPS_RETIRE_NODE_COMMAND``
    One command each, split like a POSIX shell would (``shlex``) but run without a shell; see
    :mod:`workers.hook_commands` for the placeholders and environment variables they receive.
``CHATOPS_PROVISION_NODE_SELECTOR``
    A label selector (``pool=workers-v1-32``) for clusters whose node provider names new nodes itself:
    provisioning then waits for a node matching it that was not there before, instead of the name asked for.
``CHATOPS_UPGRADE_HOOK_TIMEOUT``
    Seconds a command may run (default 1800).
``CHATOPS_UPGRADE_WAIT_TIMEOUT``
    Seconds to wait for the cluster to show the result (default 1800).
"""

from __future__ import annotations

import dataclasses
import enum
import shlex
from collections.abc import Mapping

from shared.messages import upgrade_hooks as hook_wording
from workers.errors import JobError

DEFAULT_COMMAND_TIMEOUT_SECONDS = 1800.0
"""How long one hook command may run: a kubelet package upgrade or a cloud node pool can be slow."""

DEFAULT_WAIT_TIMEOUT_SECONDS = 1800.0
"""How long to wait for a node or component to show the new version after (or instead of) a command."""


class HookKind(enum.StrEnum):
    """The three ways of getting binaries replaced."""

    KUBESIM = "kubesim"
    COMMAND = "command"
    WAIT = "wait"


class HookAction(enum.StrEnum):
    """What a hook is asked to do; each has its own command variable."""

    UPGRADE_NODE = "upgrade-node"
    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    PROVISION_NODE = "provision-node"
    RETIRE_NODE = "retire-node"


COMMAND_VARIABLES: Mapping[HookAction, str] = {
    HookAction.UPGRADE_NODE: "CHATOPS_UPGRADE_NODE_COMMAND",
    HookAction.UPGRADE_CONTROL_PLANE: "CHATOPS_UPGRADE_CONTROL_PLANE_COMMAND",
    HookAction.PROVISION_NODE: "CHATOPS_PROVISION_NODE_COMMAND",
    HookAction.RETIRE_NODE: "CHATOPS_RETIRE_NODE_COMMAND",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class HookSettings:
    """The operator's choice of hook, its commands and its time limits."""

    hook: HookKind | None = None
    """``None``: chosen from the cluster (kubesim or not) and whether any command is set."""
    commands: Mapping[HookAction, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """The argv template of each action that has a command."""
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT_SECONDS
    """Seconds one command may run before it (and everything it started) is killed."""
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT_SECONDS
    """Seconds to wait for a node or component to reach the target version."""
    provision_selector: str | None = None
    """Label selector a provisioned node is recognised by (``None``: by the name it was asked to have)."""

    def command(self, action: HookAction) -> tuple[str, ...] | None:
        """The argv template for ``action``, or ``None`` when none is configured."""
        return self.commands.get(action) or None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> HookSettings:
        """Read the ``CHATOPS_UPGRADE_*`` variables; a bad value is a :class:`JobError` naming the variable."""
        hook_text = environ.get("CHATOPS_UPGRADE_HOOK", "").strip().lower()
        try:
            hook = HookKind(hook_text) if hook_text else None
        except ValueError:
            raise JobError(
                hook_wording.hook_setting_invalid("CHATOPS_UPGRADE_HOOK", "one of kubesim, command, wait")
            ) from None
        commands: dict[HookAction, tuple[str, ...]] = {}
        for action, variable in COMMAND_VARIABLES.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            try:
                commands[action] = tuple(shlex.split(text))
            except ValueError:
                raise JobError(
                    hook_wording.hook_setting_invalid(variable, "a command line with balanced quotes")
                ) from None
        return cls(
            hook=hook,
            commands=commands,
            command_timeout=_seconds(
                environ, "CHATOPS_UPGRADE_HOOK_TIMEOUT", DEFAULT_COMMAND_TIMEOUT_SECONDS
            ),
            wait_timeout=_seconds(environ, "CHATOPS_UPGRADE_WAIT_TIMEOUT", DEFAULT_WAIT_TIMEOUT_SECONDS),
            provision_selector=environ.get("CHATOPS_PROVISION_NODE_SELECTOR", "").strip() or None,
        )


def _seconds(environ: Mapping[str, str], variable: str, default: float) -> float:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise JobError(hook_wording.hook_setting_invalid(variable, "a number of seconds above zero"))
    return value


__all__ = [
    "COMMAND_VARIABLES",
    "DEFAULT_COMMAND_TIMEOUT_SECONDS",
    "DEFAULT_WAIT_TIMEOUT_SECONDS",
    "HookAction",
    "HookKind",
    "HookSettings",
]
