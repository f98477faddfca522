"""The incident page in a real browser: Debian's headless Chromium, driven by Selenium, on the real app.

Chromium comes from the ``chromium`` and ``chromium-driver`` Debian packages (``.ci/system-deps.sh``,
see ``tests/support/browser.py``); no browser is ever downloaded, and a missing one fails the test. Set ``CHATOPS_PAGE_SCREENSHOT`` to a path to keep the screenshot.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from bot.core.page_links import LinkClaim, sign_token
from bot.core.timeline.chain import DEMO_CHAIN_KEY
from bot.timeline_store import TimelineStore
from tests.slack.conftest import ALICE, BOB, CAROL
from tests.slack.fake_slack import FakeSlack
from tests.slack.page_bot import PAGE_KEY, PageBot, page_bot
from tests.support.browser import headless_chromium, texts

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(name="browser")
def fixture_browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium from /usr/bin, with a throw-away profile (missing: an error, not a skip)."""
    with headless_chromium(tmp_path / "profile") as driver:
        yield driver


@pytest.fixture(name="pages")
def fixture_pages(fake_slack: FakeSlack, connection: Redis) -> Iterator[PageBot]:
    with page_bot(fake_slack, connection) as running:
        yield running


def wait_until(check: Any, *, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out waiting in the browser"
        time.sleep(0.05)


def test_the_page_renders_updates_live_and_refuses_bad_links(
    browser: Any, pages: PageBot, connection: Redis, tmp_path: Path
) -> None:
    pages.say("incident open checkout is down", user=ALICE)
    timeline = TimelineStore(connection, key=DEMO_CHAIN_KEY)
    incident = wait_until(lambda: timeline.open_incident_in("C_OPS"))
    pages.say("note the canary pods crash-loop", user=BOB)
    url = pages.ask_for_link(user=ALICE)

    browser.get(url)
    assert "checkout is down" in browser.title
    entries = wait_until(lambda: [text for text in texts(browser, "li.entry") if "crash-loop" in text])
    assert "@u_bob" in entries[0]  # by the name users.info gives
    assert texts(browser, "#chain")[0].startswith("Hash chain verified")
    assert texts(browser, "#state") == ["open"]

    pages.say("note rolled the canary back", user=BOB)
    wait_until(lambda: any("rolled the canary back" in text for text in texts(browser, "li.entry")))
    assert browser.current_url == url  # updated in place, not navigated
    screenshot = tmp_path / "incident.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 0

    pages.say("incident close", user=ALICE)
    wait_until(lambda: texts(browser, "#state") == ["closed"])

    base = url.rsplit("/", 1)[0]
    key = PAGE_KEY.encode()
    expired = sign_token(
        LinkClaim(incident_id=incident.incident_id, generation=0, expires_at=int(time.time()) - 1), key=key
    )
    for refused in (f"{base}/{expired}", url[:-2] + ("xx" if not url.endswith("xx") else "yy")):
        browser.get(refused)
        assert texts(browser, "h1") == ["Not found."]
    before = len(pages.fake.calls("chat.postEphemeral"))
    pages.say(f"timeline {incident.incident_id} --revoke-links", user=ALICE)
    pages.fake.wait_for("chat.postEphemeral", count=before + 1)
    browser.get(url)
    assert texts(browser, "h1") == ["Not found."]


@pytest.fixture(name="sim")
def fixture_sim(tmp_path: Path) -> Iterator[Any]:
    """The default kubesim scenario, settled, with this process's workers pointed at it."""
    from kubesim.server import Simulator
    from workers import cluster

    with Simulator(speed=10) as simulator:
        simulator.start()
        simulator.controllers.settle(timeout=30)
        cluster.configure(kubeconfig=simulator.write_kubeconfig(tmp_path / "kubeconfig"))
        yield simulator


def test_an_approved_drain_a_rollback_and_a_note_show_on_the_page(
    browser: Any, pages: PageBot, connection: Redis, sim: Any, tmp_path: Path
) -> None:
    """Open, drain with approval, rollback with approval, note: the operations and approvals, live."""
    from tests.slack.test_approvals import answer, ask
    from tests.slack.test_undo import work

    pages.say("incident open node-2 is flapping", user=ALICE)
    wait_until(lambda: TimelineStore(connection, key=DEMO_CHAIN_KEY).open_incident_in("C_OPS"))
    url = pages.ask_for_link(user=ALICE)
    browser.get(url)
    drain = ask(
        pages.running,
        pages.fake,
        "drain node-2 --force --delete-emptydir-data",
        run_plan=lambda: work(connection),
    )
    answer(pages.running, drain, "approve", user=BOB)
    rollback = ask(pages.running, pages.fake, "rollback web", run_plan=lambda: work(connection))
    answer(pages.running, rollback, "approve", user=CAROL)
    pages.say("note node-2 drained, web rolled back", user=BOB)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        any(line.startswith(f"{job_id} ") and "job " in line for line in texts(browser, "details summary"))
        for job_id in (drain.job_id, rollback.job_id)
    ):
        work(connection)
        time.sleep(0.2)
    operations = texts(browser, "details summary")
    for job_id in (drain.job_id, rollback.job_id):
        assert any(line.startswith(f"{job_id} ") and "job succeeded" in line for line in operations), (
            operations
        )
    approvals = " ".join(texts(browser, "section"))
    assert "approved by @u_bob" in approvals and "approved by @u_carol" in approvals
    assert wait_until(lambda: texts(browser, "#chain"))[0].startswith("Hash chain verified")
    assert any("web rolled back" in text for text in texts(browser, "li.entry"))
    browser.execute_script("document.querySelectorAll('details').forEach((d) => { d.open = true; });")
    screenshot = Path(os.environ.get("CHATOPS_PAGE_SCREENSHOT") or tmp_path / "operations.png")
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 0
