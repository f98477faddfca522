"""The job key of benchmark runs (the bots and workers a benchmark starts share it), and its rate limits."""

from __future__ import annotations

from shared.job_signing import JOB_KEY_VARIABLE, JobSigner

BENCH_JOB_KEY = "benchmark-job-key-0123456789abcdef0123456789abcdef"
"""What ``CHATOPS_JOB_KEY`` is for every ``chatops bot`` and ``chatops worker`` a benchmark starts."""

BENCH_SIGNER = JobSigner(BENCH_JOB_KEY.encode())
"""Signs the jobs a benchmark queues itself, as the bot would."""

BENCH_ENV = {
    JOB_KEY_VARIABLE: BENCH_JOB_KEY,
    "CHATOPS_TIMELINE_KEY": "benchmark-timeline-key-0123456789abcdef",
    "CHATOPS_USER_COMMANDS_PER_MINUTE": "1000000",
    "CHATOPS_CHANNEL_COMMANDS_PER_MINUTE": "1000000",
}
"""The environment to give the processes a benchmark starts: the keys, and rates no blast reaches."""
