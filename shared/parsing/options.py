"""The options a command takes, and the ones every command takes.

Options may come anywhere after the verb, as ``--name value``, ``--name=value``, ``-n value``,
``-n=value`` or ``-nvalue``. Switches also take ``=true``/``=false`` (``--dry-run`` also
``=client``/``=server`` and ``=none``). Every command takes :data:`CLUSTER` and :data:`DRY_RUN`;
deployment commands take :data:`NAMESPACE`. A command's entry in the registry lists the others.
"""

from __future__ import annotations

from dataclasses import dataclass

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_DRY_RUN_ON = frozenset({"client", "server"})
_DRY_RUN_OFF = frozenset({"none"})


@dataclass(frozen=True)
class Option:
    """One option: its canonical spelling, whether it takes a value, and the other spellings it has."""

    key: str
    """The canonical spelling, used in messages and as the key of parsed values."""
    takes_value: bool
    spellings: tuple[str, ...] = ()

    def all_spellings(self) -> tuple[str, ...]:
        """The canonical spelling, then the others."""
        return (self.key, *self.spellings)


CLUSTER = Option("--cluster", takes_value=True)
DRY_RUN = Option("--dry-run", takes_value=False)
NAMESPACE = Option("--namespace", takes_value=True, spellings=("-n",))
COMMON: tuple[Option, ...] = (CLUSTER, DRY_RUN)
"""The options every command takes."""


def option_table(options: tuple[Option, ...]) -> dict[str, Option]:
    """Every spelling of ``options`` and of the common ones, to its option."""
    return {spelling: option for option in (*options, *COMMON) for spelling in option.all_spellings()}


def switch_value(option: Option, value: str) -> bool | None:
    """The switch ``option=value`` means, or ``None`` when ``value`` is not a way of saying on or off."""
    lowered = value.lower()
    if lowered in _TRUE or (option is DRY_RUN and lowered in _DRY_RUN_ON):
        return True
    if lowered in _FALSE or (option is DRY_RUN and lowered in _DRY_RUN_OFF):
        return False
    return None
