"""Tests of version skew rules, upgrade plans and node upgrades against kubesim."""
