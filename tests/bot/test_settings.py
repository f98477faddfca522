"""Settings: read once from the environment, with clear errors and secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Secret, Settings, SettingsError
from shared.grammar import parse
from shared.names import DEFAULT_CLUSTER


def test_an_empty_environment_gives_the_embedded_defaults() -> None:
    """No settings at all: embedded Redis, simulated cluster, demo policy, cluster `default`."""
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert settings.kubeconfig is None
    assert settings.policy_path is None
    assert settings.cluster == DEFAULT_CLUSTER == "default"
    assert (settings.host, settings.port) == ("0.0.0.0", 3000)


def test_every_variable_is_read() -> None:
    """Each documented variable lands in its field."""
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "KUBECONFIG": "/etc/kube/config",
            "CHATOPS_POLICY": "/etc/chatops/policy.yaml",
            "CHATOPS_CLUSTER": "prod-eu",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9999/api/",
            "HOST": "127.0.0.1",
            "PORT": "8080",
            "CHATOPS_TIMELINE_KEY": "chain-key",
        }
    )
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.kubeconfig == Path("/etc/kube/config")
    assert settings.policy_path == Path("/etc/chatops/policy.yaml")
    assert settings.cluster == "prod-eu"
    assert settings.slack_bot_token.value == "xoxb-1"
    assert settings.slack_signing_secret.value == "s3cret"
    assert settings.slack_app_token.value == "xapp-1"
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.timeline_key.value == "chain-key"
    assert "chain-key" not in repr(settings)


def test_secrets_never_appear_when_settings_are_printed() -> None:
    """repr and str of the settings mask every token."""
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "shh"})
    for rendering in (
        repr(settings),
        str(settings),
        repr(settings.slack_bot_token),
        str(settings.slack_bot_token),
    ):
        assert "xoxb-very-secret" not in rendering
        assert "shh" not in rendering
    assert repr(Secret("x")) == "Secret('**********')"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PORT", "http"), ("PORT", "70000"), ("CHATOPS_CLUSTER", "prod/eu"), ("CHATOPS_CLUSTER", "-x")],
    ids=["port-not-a-number", "port-out-of-range", "cluster-with-slash", "cluster-leading-dash"],
)
def test_a_bad_value_is_refused_naming_the_variable(variable: str, value: str) -> None:
    """The error names the variable, so the fix is obvious."""
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize("name", ["prod.eu", "prod_eu", "eu-1", "A1"])
def test_every_name_the_grammar_takes_after_cluster_the_settings_take_too(name: str) -> None:
    """One definition of a cluster name: what ``--cluster`` accepts, CHATOPS_CLUSTER and CHATOPS_CLUSTERS
    accept (``prod.eu`` was refused by the settings while the grammar took it)."""
    command = parse(f"nodes --cluster {name}")
    assert command.cluster == name
    assert Settings.from_env({"CHATOPS_CLUSTER": name}).cluster == name
    assert name in Settings.from_env({"CHATOPS_CLUSTERS": f"{name},other"}).limits.clusters
