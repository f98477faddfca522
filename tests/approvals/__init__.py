"""Approval requests: the pure state machine and its atomic Redis store."""
