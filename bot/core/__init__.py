"""The Slack-agnostic core: pure functions and values, standard library only (plus PyYAML for policy files).

Nothing here may import a chat SDK, the Kubernetes client, Redis or RQ; the import contracts in
pyproject.toml and tests/test_layering.py hold that line.
"""
