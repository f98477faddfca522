"""Whose answers to approval requests may count at all: full members of this workspace, still active.

Checked on every ``approve``/``deny``, typed or clicked, against ``users.info`` (never against what
the payload claims): deactivated accounts, bots, guests (single- and multi-channel) and people from
another workspace in a shared channel (Slack Connect) are refused before the engine sees the answer.
Whether the person is an approver of that request is the engine's decision.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from shared.messages import slack as messages

log = logging.getLogger(__name__)


class AccountCheck:
    """Looks people up in Slack and says why their answer cannot count, if it cannot."""

    def __init__(self, client: WebClient, *, team_id: str | None) -> None:
        self._client = client
        self._team_id = team_id

    def refusal(self, user: str) -> str | None:
        """The sentence refusing ``user``'s answer, or None when the account may answer."""
        try:
            answer = self._client.users_info(user=user)
        except SlackApiError as error:
            log.warning("users.info %s failed: %s", user, error.response.get("error"))
            return messages.answer_refused_account(reason=messages.account_unknown())
        person = answer.get("user") or {}
        if person.get("deleted"):
            reason = messages.account_deactivated()
        elif person.get("is_bot") or person.get("is_app_user"):
            reason = messages.account_is_bot()
        elif person.get("is_restricted") or person.get("is_ultra_restricted"):
            reason = messages.account_is_guest()
        elif self._team_id is not None and person.get("team_id") not in {None, self._team_id}:
            reason = messages.account_other_team()
        else:
            return None
        return messages.answer_refused_account(reason=reason)
