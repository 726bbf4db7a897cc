"""Tests of notifier/cli/."""
