"""Tests of notifier/http/."""
