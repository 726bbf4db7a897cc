"""Adapters to the outside world: channels send, platforms verify and map.

Imports nothing from notifier.
"""
