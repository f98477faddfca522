"""The README's picture of the incident page, taken from ``make demo`` itself.

``make screenshot`` runs the demo exactly as a person would (``chatops console --pages``: kubesim,
embedded Redis, the in-process worker, the demo policy), types ``examples/demo.chat`` into it, then
asks for a link to the incident, opens that link in Debian's headless Chromium and saves what it shows
to ``docs/incident-page.png``. ``tests/timeline/test_demo_page.py`` runs the same steps, so the picture
cannot drift from what the demo serves.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from tests.support.browser import headless_chromium, texts
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO_SCRIPT = ROOT / "examples" / "demo.chat"
SCREENSHOT = ROOT / "docs" / "incident-page.png"
INCIDENT = "inc-1"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/incidents/[A-Za-z0-9_.-]+")
_SETTINGS = (
    "REDIS_URL",
    "KUBECONFIG",
    "CHATOPS_POLICY",
    "CHATOPS_PAGE_KEY",
    "CHATOPS_PAGE_URL",
    "CHATOPS_TIMELINE_KEY",
    "CHATOPS_DEBUG",
)
"""Variables that would point the demo away from its embedded default."""


@dataclasses.dataclass(frozen=True)
class DemoPage:
    """What the page showed when its picture was taken."""

    title: str
    state: str
    chain: str
    operations: list[str]
    approvals: list[str]
    entries: list[str]
    console: str
    """Everything the console printed before the link, for the failure message of a test."""


def capture(screenshot: Path, *, profile: Path, timeout: float = 180.0) -> DemoPage:
    """Run the demo with pages on, follow its link in Chromium, save the page to ``screenshot``."""
    environment = {name: value for name, value in os.environ.items() if name not in _SETTINGS}
    environment["PORT"] = str(free_port())
    console = subprocess.Popen(
        [str(Path(sys.executable).with_name("chatops")), "console", "--pages"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    assert console.stdin is not None and console.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read, args=(console.stdout, lines), daemon=True).start()
    printed: list[str] = []
    try:
        console.stdin.write(DEMO_SCRIPT.read_text(encoding="utf-8"))
        console.stdin.write(f"timeline {INCIDENT} --link\n")
        console.stdin.flush()
        url = _link(lines, printed, deadline=time.monotonic() + timeout)
        with headless_chromium(profile) as browser:
            browser.get(url)
            _wait(lambda: texts(browser, "#chain"), what="the chain verdict")
            browser.execute_script("document.querySelectorAll('details').forEach((d) => { d.open = true; });")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not browser.save_screenshot(str(screenshot)):
                raise RuntimeError(f"Chromium could not save {screenshot}")
            return _shown(browser, console="".join(printed))
    finally:
        console.stdin.close()
        try:
            console.wait(timeout=30)
        except subprocess.TimeoutExpired:
            console.kill()
            console.wait()
        console.stdout.close()


def _read(stream: TextIO, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _link(lines: queue.Queue[str], printed: list[str], *, deadline: float) -> str:
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the demo gave no incident link:\n" + "".join(printed))
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        printed.append(line)
        found = LINK.search(line)
        if found:
            return found.group(0)


def _wait(check: Any, *, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page never showed {what}")
        time.sleep(0.05)
    return found


def _shown(browser: Any, *, console: str) -> DemoPage:
    return DemoPage(
        title=str(browser.title),
        state=" ".join(texts(browser, "#state")),
        chain=" ".join(texts(browser, "#chain")),
        operations=texts(browser, "details summary"),
        approvals=texts(browser, "section"),
        entries=texts(browser, "li.entry"),
        console=console,
    )


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOT
    with tempfile.TemporaryDirectory(prefix="chatops-screenshot-") as scratch:
        page = capture(target, profile=Path(scratch) / "profile")
    print(f"{target}: {page.title} ({page.state}; {page.chain})")
