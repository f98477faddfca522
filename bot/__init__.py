"""The conversation side of the bot: grammar, policy, approvals, timeline, dispatch, chat adapters."""
