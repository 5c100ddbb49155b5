"""brute_force (being built)."""

HANDLES: dict = {}
