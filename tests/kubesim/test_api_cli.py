"""Specification of `chatops sim` / `python -m kubesim`: serve, write a kubeconfig, stop cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import yaml


def test_the_cli_serves_writes_a_kubeconfig_and_stops_on_interrupt(tmp_path: Path) -> None:
    """The kubeconfig it announces points at a live server; SIGINT ends the process with status 0."""
    kubeconfig = tmp_path / "sim.kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubesim", "--port", "0", "--kubeconfig", str(kubeconfig), "--speed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        serving = process.stdout.readline()
        assert serving.startswith("kubesim serving http://127.0.0.1:")
        assert f"kubeconfig written to {kubeconfig}" in process.stdout.readline()
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        assert server == serving.split()[-1]
        with urllib.request.urlopen(server + "/api/v1/nodes/node-1", timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
