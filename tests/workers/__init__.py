"""Tests of notifier/workers/."""
