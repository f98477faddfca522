"""Test support: real servers and processes the tests start for themselves."""
