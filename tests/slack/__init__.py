"""Tests of the Slack app, end to end against a local fake of the Slack Web API."""
