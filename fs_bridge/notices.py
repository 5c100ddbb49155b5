"""notices (being built)."""

HANDLES: dict = {}
