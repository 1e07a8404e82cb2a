"""Alerts: the durable outbox, the messages, the delivery worker and its channels (one module per kind)."""
