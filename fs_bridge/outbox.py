"""outbox (being built)."""

HANDLES: dict = {}
