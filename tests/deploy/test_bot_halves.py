"""The bot's two Deployments, run as they run: ``chatops bot --role front`` and ``--role runner`` as two
separate processes started with the rendered arguments and settings (chatops-bot-config, the rendered
policy), sharing only Redis, against the fake Slack Web API (issue 15, point 5).

Each half answers its own probe: the runner's /healthz once Redis answers, the front's /readyz only
once a runner is alive; and a signed mention the front accepts is answered by the runner.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.manifests import Obj, config_file, find
from tests.slack.fake_slack import BOT_USER, FakeSlack, person
from tests.slack.observe import wait_until
from tests.slack.signed import SECRET, SlackSender
from tests.support.ports import free_port

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CHATOPS = Path(sys.executable).parent / "chatops"
ALICE = "U_ALICE"


def status_of(url: str) -> int:
    """The HTTP status ``url`` answers with (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def probe_url(container: Obj, probe: str, *, ports: dict[str, int]) -> str:
    """The URL a container's HTTP probe asks, on the local port standing for its named port."""
    get = container[probe]["httpGet"]
    return f"http://127.0.0.1:{ports[get['port']]}{get['path']}"


@contextlib.contextmanager
def started(container: Obj, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``chatops`` with the container's arguments, stopped (SIGTERM, as the kubelet does) afterwards."""
    process = subprocess.Popen([str(CHATOPS), *container["args"]], env=env, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_front_and_the_runner_work_apart_each_answering_its_own_probe(
    rendered: dict[str, list[Obj]], redis_url: str, tmp_path: Path
) -> None:
    """Front not ready without a runner; runner healthy; then ready, and a mention is answered in its thread."""
    objects = rendered["single-cluster"]
    [front] = find(objects, "Deployment", "chatops-bot")["spec"]["template"]["spec"]["containers"]
    [runner] = find(objects, "Deployment", "chatops-bot-runner")["spec"]["template"]["spec"]["containers"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(config_file(objects, "chatops-policy", "policy.yaml"))
    ports = {"http": free_port(), "metrics": free_port()}
    with FakeSlack(users={ALICE: person(ALICE)}) as slack:
        env = {
            **os.environ,
            **find(objects, "ConfigMap", "chatops-bot-config")["data"],
            "CHATOPS_POLICY": str(policy),
            "HOST": "127.0.0.1",
            "PORT": str(ports["http"]),
            "RUNNER_PORT": str(ports["metrics"]),
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "CHATOPS_TIMELINE_KEY": find(objects, "Secret", "chatops-slack")["stringData"][
                "CHATOPS_TIMELINE_KEY"
            ],
        }
        env.pop("SLACK_APP_TOKEN", None)
        ready = probe_url(front, "readinessProbe", ports=ports)
        healthy = probe_url(runner, "readinessProbe", ports=ports)
        with started(front, env):
            wait_until(lambda: status_of(ready) == 503, timeout=60, what="the front to answer, not ready")
            with started(runner, env):
                wait_until(lambda: status_of(healthy) == 200, timeout=60, what="the runner to be healthy")
                wait_until(lambda: status_of(ready) == 200, timeout=60, what="the front to see a live runner")
                sender = SlackSender(
                    f"http://127.0.0.1:{ports['http']}/slack/events", response_url=slack.response_url
                )
                ts = sender.new_ts()
                status, _ = sender.send_event(
                    sender.message_event(f"<@{BOT_USER}> help", user=ALICE, ts=ts, kind="app_mention")
                )
                assert status == 200
                wait_until(
                    lambda: any(c.body.get("thread_ts") == ts for c in slack.calls("chat.postMessage")),
                    timeout=60,
                    what="the runner to answer in the mention's thread",
                )
