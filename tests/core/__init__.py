"""Tests of the Slack-agnostic core: grammar, policy, approvals, timeline."""
