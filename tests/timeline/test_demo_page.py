"""The README's picture of the incident page is what ``make demo`` serves: the demo's own incident,
opened from its own link in headless Chromium, with people shown by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.demo_page import capture

pytestmark = pytest.mark.slow

BARE_ID = re.compile(r"\bU_[A-Z]+\b")


def test_the_demo_serves_the_page_the_readme_shows(tmp_path: Path) -> None:
    screenshot = tmp_path / "incident-page.png"
    page = capture(screenshot, profile=tmp_path / "profile")

    assert page.title == "Incident inc-1: node-2 maintenance", page.console
    assert page.state == "closed"
    assert page.chain.startswith("Hash chain verified")
    summaries = " | ".join(page.operations)
    assert "drain node/node-2" in summaries and "roll back deployment/web" in summaries, summaries
    approvals = " | ".join(page.approvals)
    assert "approved by @bob" in approvals and "approved by @carol" in approvals, approvals
    assert any("rolled back to the previous revision" in entry for entry in page.entries)
    shown = " ".join([*page.operations, *page.approvals, *page.entries])
    assert not BARE_ID.findall(shown), "people are shown by name, never by their id"
    assert screenshot.read_bytes().startswith(b"\x89PNG")
