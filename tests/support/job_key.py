"""The job key of the test suite: what ``CHATOPS_JOB_KEY`` is for every bot and worker a test starts."""

from __future__ import annotations

from shared.job_signing import JobSigner

TEST_JOB_KEY = "test-suite-job-key-0123456789abcdef0123456789abcdef"
"""Set in the environment of the test session (``tests/conftest.py``), so worker processes inherit it."""

TEST_SIGNER = JobSigner(TEST_JOB_KEY.encode())
"""Signs jobs as a bot holding the suite's key would."""
