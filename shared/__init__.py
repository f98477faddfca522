"""What the chat side and the workers share: the commands and their grammar, names, durations, errors,
the shapes of jobs and job events, undo, and every sentence a person reads.

Standard library only (plus PyYAML); the layers contract in pyproject.toml keeps Slack, Redis, RQ and
the Kubernetes client out, and keeps both ``bot`` and ``workers`` above it.
"""
