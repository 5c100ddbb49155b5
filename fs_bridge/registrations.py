"""registrations (being built)."""

HANDLES: dict = {}
