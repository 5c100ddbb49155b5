"""agents (being built)."""

HANDLES: dict = {}
