"""Tests of notifier/intake/."""
