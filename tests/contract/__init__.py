"""Tests of notifier/contract/."""
