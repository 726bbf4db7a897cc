"""Tests of notifier/decide/."""
