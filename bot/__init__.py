"""Passerelle: the Telegram side (handlers, services, storage, local Bot API)."""
