"""Channel adapters: how a rendered message leaves the building. Imports nothing from notifier."""
