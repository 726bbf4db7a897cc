"""Tests of notifier/pipeline/."""
