"""The bot and the workers agree on which commands have a job behind them."""

from __future__ import annotations

import inspect

import workers.jobs
from bot.core.conversation import IMPLEMENTED
from shared.jobs import JOBS_MODULE, function_path
from shared.vocabulary import COMMAND_NAMES


def test_every_implemented_command_has_its_job_function() -> None:
    """The dotted path the bot enqueues for each implemented command resolves to a function."""
    missing = [
        name
        for name in sorted(IMPLEMENTED)
        if not callable(getattr(workers.jobs, function_path(name).removeprefix(JOBS_MODULE + "."), None))
    ]
    assert missing == []


def test_every_job_function_is_reachable_from_a_command() -> None:
    """No job function is dead: each one is the job of an implemented command."""
    reachable = {function_path(name).removeprefix(JOBS_MODULE + ".") for name in IMPLEMENTED}
    exported = {name for name in workers.jobs.__all__ if inspect.isfunction(getattr(workers.jobs, name))}
    assert exported - reachable == set()


def test_implemented_commands_are_part_of_the_vocabulary() -> None:
    """Only real command names are marked implemented."""
    assert set(COMMAND_NAMES) >= IMPLEMENTED
