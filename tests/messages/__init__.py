"""Tests of notifier/messages/."""
