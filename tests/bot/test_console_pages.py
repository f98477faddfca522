"""``chatops console --pages``: the demo serves incident pages on localhost while it runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port

CHATOPS = Path(sys.executable).parent / "chatops"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/incidents/[A-Za-z0-9_.-]+")


@pytest.mark.slow
def test_a_link_given_in_the_console_opens_the_page_while_it_runs() -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "KUBECONFIG"}}
    env.pop("CHATOPS_POLICY", None)
    env.pop("CHATOPS_PAGE_KEY", None)
    env.update(PORT=str(port), PYTHONUNBUFFERED="1")
    with subprocess.Popen(
        [str(CHATOPS), "console", "--pages"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as console:
        assert console.stdin is not None and console.stdout is not None
        console.stdin.write("incident open the demo incident\nnote looking\ntimeline --link\n")
        console.stdin.flush()
        link = None
        for line in console.stdout:
            found = LINK.search(line)
            if found is not None:
                link = found.group()
                break
        assert link is not None
        with urllib.request.urlopen(link, timeout=10) as answer:
            html = answer.read().decode()
        console.stdin.close()
        assert console.wait(timeout=60) == 0
    assert "the demo incident" in html and "looking" in html
    assert f"http://127.0.0.1:{port}/incidents/" in link
