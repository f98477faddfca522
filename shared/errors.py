"""The core's exceptions, named for what the caller does next.

Every exception the pure core raises on purpose derives from :class:`BotError`, so an adapter can
catch one type and show the message, which was written for the person in chat::

    BotError                 something the person who typed the command should read
    └── UsageError           the text is not a command we understand; fix it and send it again

Messages are built by ``shared.messages``; these classes only carry them. Any fragment of user input
inside a message has already passed through :func:`shared.text.escape_for_chat`.
"""

from __future__ import annotations


class BotError(Exception):
    """A failure that is shown to the person in chat as it stands; ``str(error)`` is the reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BotError):
    """The chat text is not a valid command: the message explains why and shows the right usage.

    ``command`` is the policy name of the command the text was aimed at (``"upgrade nodes"``), or
    ``None`` when even the verb was not recognised.
    """

    def __init__(self, message: str, *, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command
