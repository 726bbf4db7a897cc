"""Shop platforms: verify their webhooks, map them to notifier events (imports no notifier)."""
