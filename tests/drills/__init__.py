"""Fault drills: real forking workers on a real Redis against kubesim, killed and starved on purpose."""
