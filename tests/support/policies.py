"""The demo policy as a file: ``chatops bot`` has no default policy, so what starts it names this one."""

from __future__ import annotations

from pathlib import Path

import bot.policies

DEMO_POLICY_FILE = Path(bot.policies.__file__).with_name("demo.yaml")
"""``bot/policies/demo.yaml``, the rules of the demo users (alice, bob, carol, dave)."""
