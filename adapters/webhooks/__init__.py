"""Webhooks we send to the shop's backend, signed per the Standard Webhooks spec. They only send."""
