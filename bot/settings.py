"""Settings, read once from the environment into one frozen object at the edge of the program.

Nothing deeper than the entry points reads ``os.environ``: adapters and engines receive a
:class:`Settings` (or the few values they need) as keyword arguments. Tokens are wrapped in
:class:`Secret` so that printing or logging the settings never shows them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from bot import redis_url as redis_urls
from bot.core import limits as limit_defaults
from bot.core.limits import Limits
from bot.core.page_links import DEFAULT_LINK_SECONDS
from shared.jobs import REMEMBER_SECONDS
from shared.messages.policy import bad_cluster_name
from shared.names import DEFAULT_CLUSTER, is_cluster_name

"""The cluster a bot and a worker agree on when neither is told otherwise."""

DEFAULT_TIMELINE_MAX_ENTRIES = 20_000
"""About how many entries a timeline keeps: an incident has hundreds; a channel's refusals stay bounded."""

DEFAULT_MAX_BODY_BYTES = 1_000_000
"""Slack's payloads are a few kilobytes; a body this big did not come from Slack."""


class SettingsError(ValueError):
    """A setting has a value the program cannot use; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class Secret:
    """A secret value whose ``repr`` and ``str`` never show it."""

    value: str = dataclasses.field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')" if self.value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the bot and the workers take from their environment."""

    redis_url: str | None = None
    """``REDIS_URL``: the Redis behind queues, approvals and timelines. None means embedded (fakeredis)."""

    kubeconfig: Path | None = None
    """``KUBECONFIG``: the cluster the workers act on. None means the in-process simulator (console only)."""

    policy_path: Path | None = None
    """``CHATOPS_POLICY``: the policy YAML file. None: the console uses the built-in demo policy, and
    ``chatops bot`` refuses to start."""

    cluster: str = DEFAULT_CLUSTER
    """``CHATOPS_CLUSTER``: the cluster name commands go to when they do not say ``--cluster``."""

    slack_bot_token: Secret = Secret("")
    """``SLACK_BOT_TOKEN``: the bot token (xoxb-…)."""

    slack_signing_secret: Secret = Secret("")
    """``SLACK_SIGNING_SECRET``: verifies that requests come from Slack (HTTP mode)."""

    slack_app_token: Secret = Secret("")
    """``SLACK_APP_TOKEN``: an app-level token (xapp-…); when set, the bot uses Socket Mode."""

    slack_api_url: str | None = None
    """``SLACK_API_URL``: base URL of the Slack Web API, for proxies, staging and tests."""

    host: str = "0.0.0.0"
    """``HOST``: where the HTTP-mode bot listens."""

    port: int = 3000
    """``PORT``: the HTTP-mode bot's port."""

    runner_port: int = 3001
    """``RUNNER_PORT``: where the bot's runner (the process doing the work) serves its metrics; ``PORT`` + 1."""

    slack_max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """``SLACK_MAX_BODY_BYTES``: the largest request body the HTTP front reads; bigger ones get 413."""

    page_key: Secret = Secret("")
    """``CHATOPS_PAGE_KEY``: signs links to incident pages (HMAC-SHA256); unset, ``timeline --link`` is off."""

    timeline_key: Secret = Secret("")
    """``CHATOPS_TIMELINE_KEY``: keys the timeline's hash chain (HMAC-SHA256), kept outside Redis so that
    whoever can write Redis cannot rewrite the timeline unnoticed. Required by ``chatops bot``; the
    console uses a public demo key, with a warning, when it is unset."""

    page_url: str | None = None
    """``CHATOPS_PAGE_URL``: where browsers reach the bot's HTTP side, as ``https://chatops.example.com``."""

    page_link_seconds: int = DEFAULT_LINK_SECONDS
    """``CHATOPS_PAGE_LINK_HOURS`` (in hours): how long a page link works; a week by default."""

    job_key: Secret = Secret("")
    """``CHATOPS_JOB_KEY``: signs every job the bot queues (HMAC-SHA256); workers run nothing else. Required
    by ``chatops bot`` and ``chatops worker``; unset, the console signs with a key of its session only."""

    limits: Limits = dataclasses.field(default_factory=Limits)
    """The limits on every message: ``CHATOPS_MAX_MESSAGE_CHARS``, ``CHATOPS_MAX_ARGUMENTS``,
    ``CHATOPS_USER_COMMANDS_PER_MINUTE``, ``CHATOPS_CHANNEL_COMMANDS_PER_MINUTE``,
    ``CHATOPS_MAX_PENDING_APPROVALS`` and ``CHATOPS_CLUSTERS`` (see :class:`bot.core.limits.Limits`)."""

    job_queued_seconds: int = REMEMBER_SECONDS
    """``CHATOPS_JOB_QUEUED_HOURS`` (in hours): a queued job no worker started within this is dropped."""

    job_result_seconds: int = REMEMBER_SECONDS
    """``CHATOPS_JOB_RESULT_HOURS`` (in hours): how long finished and failed jobs (their results) are kept."""

    timeline_max_entries: int = DEFAULT_TIMELINE_MAX_ENTRIES
    """``CHATOPS_TIMELINE_MAX_ENTRIES``: about how many entries each timeline (a channel's, an incident's)
    keeps; older ones are trimmed (and an export says so)."""

    timeline_max_age_seconds: int | None = None
    """``CHATOPS_TIMELINE_DAYS`` (in days): entries older than this are trimmed; unset keeps them."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read the settings from ``environ``; raise :class:`SettingsError` naming any bad variable."""

        def text(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = text(name)
            return Path(value).expanduser() if value else None

        port = _port(text("PORT") or "3000", name="PORT")
        runner_port = _port(text("RUNNER_PORT") or str(port + 1), name="RUNNER_PORT")
        max_body = text("SLACK_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
        if not max_body.isascii() or not max_body.isdigit() or int(max_body) == 0:
            raise SettingsError(f"SLACK_MAX_BODY_BYTES must be a number of bytes above 0, not {max_body!r}")
        cluster = text("CHATOPS_CLUSTER") or DEFAULT_CLUSTER
        if not is_cluster_name(cluster):
            raise SettingsError(f"CHATOPS_CLUSTER: {bad_cluster_name(name=cluster)}")
        redis_url = text("REDIS_URL")
        if redis_url is not None:
            try:
                redis_urls.check(redis_url)
            except redis_urls.RedisUrlError as error:
                raise SettingsError(f"REDIS_URL {error}") from None
        hours = text("CHATOPS_PAGE_LINK_HOURS") or str(DEFAULT_LINK_SECONDS // 3600)
        if not hours.isascii() or not hours.isdigit() or int(hours) == 0:
            raise SettingsError(f"CHATOPS_PAGE_LINK_HOURS must be a number of hours above 0, not {hours!r}")
        return cls(
            redis_url=redis_url,
            kubeconfig=path("KUBECONFIG"),
            policy_path=path("CHATOPS_POLICY"),
            cluster=cluster,
            slack_bot_token=Secret(text("SLACK_BOT_TOKEN") or ""),
            slack_signing_secret=Secret(text("SLACK_SIGNING_SECRET") or ""),
            slack_app_token=Secret(text("SLACK_APP_TOKEN") or ""),
            slack_api_url=text("SLACK_API_URL"),
            host=text("HOST") or "0.0.0.0",
            port=port,
            runner_port=runner_port,
            slack_max_body_bytes=int(max_body),
            page_key=Secret(text("CHATOPS_PAGE_KEY") or ""),
            timeline_key=Secret(text("CHATOPS_TIMELINE_KEY") or ""),
            page_url=text("CHATOPS_PAGE_URL"),
            page_link_seconds=int(hours) * 3600,
            job_key=Secret(text("CHATOPS_JOB_KEY") or ""),
            limits=Limits(
                max_message_chars=_count(
                    environ, "CHATOPS_MAX_MESSAGE_CHARS", limit_defaults.DEFAULT_MAX_MESSAGE_CHARS
                ),
                max_arguments=_count(environ, "CHATOPS_MAX_ARGUMENTS", limit_defaults.DEFAULT_MAX_ARGUMENTS),
                user_commands_per_minute=_count(
                    environ,
                    "CHATOPS_USER_COMMANDS_PER_MINUTE",
                    limit_defaults.DEFAULT_USER_COMMANDS_PER_MINUTE,
                ),
                channel_commands_per_minute=_count(
                    environ,
                    "CHATOPS_CHANNEL_COMMANDS_PER_MINUTE",
                    limit_defaults.DEFAULT_CHANNEL_COMMANDS_PER_MINUTE,
                ),
                max_pending_approvals=_count(
                    environ, "CHATOPS_MAX_PENDING_APPROVALS", limit_defaults.DEFAULT_MAX_PENDING_APPROVALS
                ),
                clusters=frozenset(_clusters(text("CHATOPS_CLUSTERS") or "")),
            ),
            job_queued_seconds=_count(environ, "CHATOPS_JOB_QUEUED_HOURS", REMEMBER_SECONDS // 3600) * 3600,
            job_result_seconds=_count(environ, "CHATOPS_JOB_RESULT_HOURS", REMEMBER_SECONDS // 3600) * 3600,
            timeline_max_entries=_count(
                environ, "CHATOPS_TIMELINE_MAX_ENTRIES", DEFAULT_TIMELINE_MAX_ENTRIES
            ),
            timeline_max_age_seconds=(
                _count(environ, "CHATOPS_TIMELINE_DAYS", 1) * 86_400
                if text("CHATOPS_TIMELINE_DAYS")
                else None
            ),
        )


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from ``environ[name]``, or ``default`` when unset."""
    value = environ.get(name, "").strip() or str(default)
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise SettingsError(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)


def _clusters(value: str) -> list[str]:
    """The cluster names of ``CHATOPS_CLUSTERS`` (comma-separated), each checked."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if not is_cluster_name(name):
            raise SettingsError(f"CHATOPS_CLUSTERS: {bad_cluster_name(name=name)}")
    return names


def _port(text: str, *, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"{name} must be a port number between 1 and 65535, not {text!r}")
    return int(text)
