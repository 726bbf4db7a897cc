"""Tests of adapters/: channels and platforms."""
