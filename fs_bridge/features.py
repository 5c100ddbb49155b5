"""features (being built)."""

HANDLES: dict = {}
