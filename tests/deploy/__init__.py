"""Tests of deploy/: rendered manifests, their schema and hardening, and least privilege proven on kubesim."""
