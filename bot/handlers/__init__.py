"""Telegram handlers, one module per feature; each exposes `register(application)`."""
