"""calls (being built)."""

HANDLES: dict = {}
