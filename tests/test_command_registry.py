"""A command is added by one registry entry and its job function, and every part of the product sees it.

The command here, ``reboot NODE``, exists only in this test's registry: nothing else in the code base
names it, yet the grammar parses it, ``help`` lists and explains it, docs/commands.md would show it,
policy files may name it, the policy decides it and the dispatcher knows its job function.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar

import fakeredis
import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.core.chat import Message
from bot.core.policy import allowed_commands, decide
from bot.core.policy_file import PolicyError, load_policy
from bot.docs import render_command_reference
from bot.wiring import build_engine
from shared import commands as c
from shared import permissions
from shared.command_spec import CommandSpec, Registry, UndoRule
from shared.errors import UsageError
from shared.grammar import parse
from shared.invocation import invocation_of
from shared.jobevents import RequestContext
from shared.jobs import job_spec, queue_name
from shared.messages import conversation as help_messages
from shared.messages import policy as policy_messages
from shared.messages import usage as usage_messages
from shared.parsing.arguments import Arguments, node_command
from shared.permissions import Permission
from shared.reference import help_sheet
from shared.registry import REGISTRY
from shared.undo import offered, undo_offer
from workers.report import Reporter
from workers.runtime import job


@dataclass(frozen=True, kw_only=True)
class Reboot(c.NodeCommand):
    """``reboot NODE``: this test's own command."""

    name: ClassVar[str] = "reboot"


REBOOT = CommandSpec(
    name="reboot",
    command=Reboot,
    build=node_command(Reboot),
    usage="reboot NODE",
    summary="Reboot a node's machine.",
    example="reboot node-1",
    area="Nodes",
    also_typed=("node reboot",),
    loses="the node's pods stop until it is back",
    describe_job=lambda *, node, **_: f"reboot node/{node}",
    job_function=f"{__name__}.reboot",
    timeout_seconds=600,
    permissions=permissions.NODE_WRITE,
)
REGISTRY_WITH_REBOOT = REGISTRY.with_commands(REBOOT)


@job(REBOOT)
def reboot(*, reporter: Reporter, node: str, dry_run: bool = False) -> dict[str, Any]:
    """The job of ``reboot``: a real one would ask the node's machine to restart."""
    return {"node": node, "dry_run": dry_run}


POLICY = textwrap.dedent(
    """
    groups:
      oncall: [U01ALICE]
    rules:
      - commands: [help]
        allow: ["*"]
      - commands: [reboot]
        allow: [oncall]
    """
)


def test_the_grammar_parses_the_new_command_and_its_spellings() -> None:
    """``reboot NODE`` becomes its frozen value, common options included, and its other words work too."""
    assert parse("reboot node-1 --dry-run", registry=REGISTRY_WITH_REBOOT) == Reboot(
        node="node-1", dry_run=True
    )
    assert parse("node reboot node/node-2", registry=REGISTRY_WITH_REBOOT) == Reboot(node="node-2")


def test_a_mistake_in_the_new_command_shows_its_usage() -> None:
    """A missing NODE is explained with the entry's own usage line."""
    with pytest.raises(UsageError) as caught:
        parse("reboot", registry=REGISTRY_WITH_REBOOT)
    problem = usage_messages.missing_argument("NODE")
    assert str(caught.value) == usage_messages.usage_error(problem, usage="reboot NODE")


def test_the_products_own_registry_does_not_know_the_new_command() -> None:
    """The command lives in this test's registry alone."""
    with pytest.raises(UsageError):
        parse("reboot node-1")
    assert "reboot" not in REGISTRY


def test_help_lists_the_new_command_in_its_area_and_explains_it() -> None:
    """``help`` shows its short usage under Nodes; ``help reboot`` its summary, usage and example."""
    listing = help_messages.help_text(allowed=["reboot"], topic=None, registry=REGISTRY_WITH_REBOOT)
    assert "*Nodes:* `reboot NODE`" in listing
    topic = parse("help reboot", registry=REGISTRY_WITH_REBOOT)
    assert topic == c.Help(topic="reboot")
    detail = help_messages.help_text(allowed=["reboot"], topic="reboot", registry=REGISTRY_WITH_REBOOT)
    assert "*reboot*: Reboot a node's machine." in detail
    assert "Example: `reboot node-1`" in detail
    sheet = help_sheet(allowed=["reboot"], topic=None, registry=REGISTRY_WITH_REBOOT)
    assert [entry.name for entry in sheet.shown] == ["reboot"]


def test_the_engine_under_a_policy_of_that_registry_helps_with_it_and_queues_its_job() -> None:
    """Typed in chat, ``help`` lists ``reboot`` to whoever may run it, and ``reboot`` queues its job."""
    connection: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    policy = load_policy(POLICY, registry=REGISTRY_WITH_REBOOT)
    engine = build_engine(policy=policy, connection=connection, cluster="prod")
    [help_reply] = engine.handle(Message(user="U01ALICE", channel="C1", ts="1.000001", text="help"))
    assert "`reboot NODE`" in help_reply.text
    [queued] = engine.handle(Message(user="U01ALICE", channel="C1", ts="1.000002", text="reboot node-1"))
    [job] = Queue(queue_name("prod"), connection=connection, serializer=JSONSerializer).get_jobs()
    assert (job.id, job.func_name, job.timeout) == (queued.job_id, f"{__name__}.reboot", 600)
    assert job.kwargs["node"] == "node-1"


def test_the_generated_docs_have_a_row_for_the_new_command() -> None:
    """docs/commands.md, rendered from this registry, lists it under Nodes as changing the cluster."""
    text = render_command_reference(REGISTRY_WITH_REBOOT)
    nodes = text.split("## Nodes")[1].split("## ")[0]
    assert "| `reboot NODE` | Reboot a node's machine. | `reboot node-1` |  | yes |" in nodes


def test_a_policy_may_name_the_new_command_and_decides_it() -> None:
    """Rules may list ``reboot`` against this registry; the product's own refuses the name."""
    policy = load_policy(POLICY, registry=REGISTRY_WITH_REBOOT)
    allowed = decide(policy, user="U01ALICE", command="reboot", channel="C1", namespace=None, cluster="prod")
    refused = decide(policy, user="U09EVE", command="reboot", channel="C1", namespace=None, cluster="prod")
    assert allowed.allowed and not refused.allowed
    assert "reboot" in allowed_commands(policy, user="U01ALICE", channel="C1", cluster="prod")
    with pytest.raises(PolicyError) as caught:
        load_policy(POLICY, source="ops.yaml")
    assert [problem.message for problem in caught.value.problems] == [
        policy_messages.unknown_command(name="reboot", suggestion=None)
    ]


def test_the_new_commands_job_is_its_entrys_function_with_its_timeout() -> None:
    """The dispatcher enqueues the entry's job function with the entry's timeout, and finds it back."""
    request = RequestContext(job_id="job-1", user="U01ALICE", channel="C1", thread_ts="1.0", cluster="prod")
    spec = job_spec(
        command_name="reboot",
        arguments={"node": "node-1"},
        request=request,
        description="reboot node/node-1",
        registry=REGISTRY_WITH_REBOOT,
    )
    assert (spec.function, spec.timeout_seconds) == (f"{__name__}.reboot", 600)
    assert REGISTRY_WITH_REBOOT.by_function(spec.function) is REBOOT
    assert spec.function in REGISTRY_WITH_REBOOT.job_functions
    assert callable(reboot)


def test_a_registry_refuses_a_name_or_words_declared_twice() -> None:
    """Two entries may not share a name, nor the words that name them."""
    with pytest.raises(ValueError, match="declared twice"):
        Registry((REBOOT, REBOOT))
    with pytest.raises(ValueError, match="naming two commands"):
        REGISTRY.with_commands(
            CommandSpec(
                name="restart node",
                command=Reboot,
                build=node_command(Reboot),
                also_typed=("rollout restart",),
                usage="restart node NODE",
                summary="-",
                example="restart node node-1",
                area="Nodes",
                answered_by_engine=True,
            )
        )


def test_an_entry_run_by_a_job_must_say_what_its_job_does() -> None:
    """A command a worker carries out needs the description of its start event."""
    with pytest.raises(ValueError, match="describe_job"):
        CommandSpec(
            name="reboot",
            command=Reboot,
            build=node_command(Reboot),
            usage="reboot NODE",
            summary="-",
            example="reboot node-1",
            area="Nodes",
        )


@dataclass(frozen=True, kw_only=True)
class Wait(c.Command):
    """``wait SECONDS``: a command with a placeholder of its own."""

    name: ClassVar[str] = "wait"
    seconds: int


def build_wait(arguments: Arguments) -> c.Command:
    """``wait SECONDS``, from 1 to 60."""
    arguments.at_most(1)
    raw = arguments.required(0, "SECONDS")
    return Wait(seconds=arguments.integer("SECONDS", raw, minimum=1, maximum=60))


WAIT = CommandSpec(
    name="wait",
    command=Wait,
    build=build_wait,
    usage="wait SECONDS",
    summary="Wait a little.",
    example="wait 5",
    area="Looking",
    placeholders=(("SECONDS", "how long to wait, from 1 to 60"),),
    answered_by_engine=True,
)


def test_a_placeholder_of_the_new_command_is_explained_by_its_entry() -> None:
    """A usage error about ``SECONDS`` says what the entry says it means."""
    with pytest.raises(UsageError) as caught:
        parse("wait", registry=REGISTRY.with_commands(WAIT))
    problem = usage_messages.missing_argument("SECONDS", meaning="how long to wait, from 1 to 60")
    assert str(caught.value) == usage_messages.usage_error(problem, usage="wait SECONDS")
    assert "how long to wait" in str(caught.value)


REBOOT_UNDONE = dataclasses.replace(
    REBOOT, undo=UndoRule(lambda command: c.Uncordon(node=command.node), requires={"rebooted": True})
)


def test_the_undo_a_command_offers_is_its_entry_s_rule_worked_out_before_the_job_runs() -> None:
    """The offer travels as data; the entry's ``requires`` decides from the result whether it applies."""
    registry = REGISTRY.with_commands(REBOOT_UNDONE)
    offer = undo_offer(Reboot(node="node-1"), registry=registry)
    assert offer is not None
    assert offer.command == invocation_of(c.Uncordon(node="node-1"))
    assert offered(offer, result={"rebooted": True}) == invocation_of(c.Uncordon(node="node-1"))
    assert offered(offer, result={"rebooted": False}) is None
    assert undo_offer(Reboot(node="node-1", dry_run=True), registry=registry) is None


def test_a_command_of_one_s_own_registry_travels_as_data_and_comes_back_the_same() -> None:
    """An invocation is rebuilt through the registry that knows the command."""
    ran = invocation_of(Reboot(node="node-1", cluster="prod"))
    assert ran.command(registry=REGISTRY_WITH_REBOOT) == Reboot(node="node-1", cluster="prod")


def test_a_rollout_of_a_daemonset_or_statefulset_is_checked_for_the_calls_its_job_makes_on_that_kind() -> (
    None
):
    """``rollback ds/NAME`` patches the DaemonSet and reads its ControllerRevisions, not a Deployment."""
    rollback = REGISTRY["rollback"]
    assert (
        rollback.permissions_for({"deployment": "web", "kind": "deployment"}) == permissions.DEPLOYMENT_WRITE
    )
    daemonset = rollback.permissions_for({"deployment": "log-agent", "kind": "daemonset"}) or ()
    assert Permission("patch", "daemonsets", group="apps", namespaced=True) in daemonset
    assert Permission("list", "controllerrevisions", group="apps", namespaced=True) in daemonset
    assert not any(permission.resource == "deployments" for permission in daemonset)
    status = REGISTRY["status"].permissions_for({"deployment": "db", "kind": "statefulset"}) or ()
    assert {(permission.verb, permission.resource) for permission in status} == {
        ("list", "statefulsets"),
        ("watch", "statefulsets"),
    }
