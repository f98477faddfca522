"""Tests of the backup jobs: configuration exports and etcd snapshots against a real etcd."""
