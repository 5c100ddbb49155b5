"""Authentication pieces: password hashing, random tokens, TOTP, sessions, rate limits."""
