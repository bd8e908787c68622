"""Checking many models: worker processes, shards, and merging the shards' results."""
