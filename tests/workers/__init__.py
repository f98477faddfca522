"""Tests of the worker operations: pure rules on plain dicts, and jobs run through RQ against kubesim."""
