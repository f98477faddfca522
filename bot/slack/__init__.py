"""The Slack app: Bolt listeners, Block Kit, job cards and the HTTP or Socket Mode server around them.

The only package that imports ``slack_bolt``/``slack_sdk``. It turns Slack deliveries into
:class:`bot.core.conversation.Message` values for the engine and shows the replies and job events
in the request's thread. :func:`bot.slack.run.run_bot` is its entry point. Its sub-packages follow
a delivery through the app: :mod:`~bot.slack.ingress` (how it gets in and is run once),
:mod:`~bot.slack.listeners` (what is done with it), :mod:`~bot.slack.views` (what is shown, as
Block Kit) and :mod:`~bot.slack.posting` (what is said, and kept current, in Slack).
"""
