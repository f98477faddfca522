"""deploy/slack-app-manifest.yaml asks for exactly the scopes and events the Slack app uses.

What the app uses is read from bot/slack/ itself: the Web API methods it calls on a client (found in
the source) and the listeners it registers (recorded from ``SlackListeners.register``). The
method → scope and event → scope tables are Slack's documentation (docs.slack.dev/reference).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import bot.slack
from bot.slack.ingress.front import EVENTS_PATH
from bot.slack.listeners import handlers as slack_listeners
from tests.deploy.manifests import DEPLOY

METHOD_SCOPES = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "reactions.add": {"reactions:write"},
    "users.info": {"users:read"},
    "usergroups.users.list": {"usergroups:read"},
    "conversations.replies": {"channels:history", "groups:history"},
    "views.publish": set(),
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_home_opened": None,
    "reaction_added": "reactions:read",
}


def manifest() -> dict[str, Any]:
    """The Slack app manifest as shipped."""
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "slack-app-manifest.yaml").read_text())
    return loaded


def web_api_methods() -> set[str]:
    """Slack methods bot/slack (every sub-package) calls on a client (``client.chat_postMessage`` → ``chat.postMessage``)."""
    methods = set()
    for path in Path(bot.slack.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if owner_name.endswith("client") and "_" in node.func.attr:
                    methods.add(node.func.attr.replace("_", "."))
    return methods


class RecordingApp:
    """Stands in for a Bolt ``App`` and remembers what was registered on it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.commands: list[str] = []
        self.actions: list[str] = []

    def _remember(self, where: list[Any], key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
            where.append((key, function.__name__) if where is self.events else key)
            return function

        return decorator

    def event(self, kind: str, **_: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._remember(self.events, kind)

    def command(self, name: str, **_: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._remember(self.commands, name)

    def action(self, action_id: str, **_: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._remember(self.actions, action_id)


def registered() -> RecordingApp:
    """What the app's listeners register."""
    app = RecordingApp()
    listeners = slack_listeners.SlackListeners(engine=None, dedupe=None, replies=None)  # type: ignore[arg-type]
    listeners.register(app)  # type: ignore[arg-type]
    return app


def test_the_methods_the_bot_calls_are_all_known_to_this_test() -> None:
    """A new Web API call must be added here (and its scope to the manifest) before it ships."""
    assert web_api_methods() >= {"chat.postMessage", "reactions.add", "users.info"}
    assert web_api_methods() <= set(METHOD_SCOPES), web_api_methods() - set(METHOD_SCOPES)


def test_the_bot_events_are_exactly_those_a_listener_acts_on() -> None:
    """Subscribed: every event type with a real listener; not the ones only acknowledged."""
    acting = {kind for kind, function in registered().events if function != "ignore"}
    subscribed = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert {event.split(".")[0] for event in subscribed} == acting
    assert set(subscribed) == {
        "app_home_opened",
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
    }


def test_the_bot_scopes_are_exactly_what_its_calls_events_and_command_need() -> None:
    """No scope more, none less."""
    app = registered()
    needed: set[str] = set().union(*(METHOD_SCOPES[method] for method in web_api_methods()))
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        scope = EVENT_SCOPES[event]
        if scope is not None:
            needed.add(scope)
    if app.commands:
        needed.add("commands")
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_home_tab_is_enabled_because_the_bot_publishes_one() -> None:
    """Opening the Home tab publishes a view, so the manifest turns the tab on."""
    assert "views.publish" in web_api_methods()
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True


def test_the_slash_command_buttons_and_events_all_go_to_the_one_endpoint_the_server_serves() -> None:
    """/ops, interactivity and events share the bot's ``/slack/events`` URL."""
    app = registered()
    document = manifest()
    [command] = document["features"]["slash_commands"]
    assert [command["command"]] == app.commands
    assert app.actions and document["settings"]["interactivity"]["is_enabled"] is True
    for url in (
        command["url"],
        document["settings"]["interactivity"]["request_url"],
        document["settings"]["event_subscriptions"]["request_url"],
    ):
        assert url.startswith("https://") and url.endswith(EVENTS_PATH)
