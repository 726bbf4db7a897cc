"""Tests of notifier/care/."""
