"""One message catalogue for the API's errors and the portal's pages, in English and Dutch.

The catalogue is messages.json plus every other *.json in this folder (one per feature, so features
add their texts without touching a shared file); a key defined twice is an error."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from web.validation import LANGUAGES

DEFAULT = "en"
CATALOGUE_PATH = Path(__file__).with_name("messages.json")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_PATH.parent.glob("*.json")):
        for lang, messages in json.loads(path.read_text(encoding="utf-8")).items():
            target = merged.setdefault(lang, {})
            twice = set(target) & set(messages)
            if twice:
                raise ValueError(f"{path.name} defines {sorted(twice)} again")
            target.update(messages)
    return merged


def t(lang: str | None, key: str, **params) -> str:
    messages = catalogue()
    text = messages.get(lang or DEFAULT, {}).get(key) or messages[DEFAULT].get(key) or key
    return text.format(**params) if params else text


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The account's own language wins; else the first supported one the browser asks for."""
    if preferred in LANGUAGES:
        return preferred
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def page_messages(lang: str) -> dict[str, str]:
    """The texts the browser needs (keys starting with "ui.")."""
    messages = catalogue()
    merged = {**messages[DEFAULT], **messages.get(lang, {})}
    return {key: value for key, value in merged.items() if key.startswith("ui.")}


@lru_cache(maxsize=None)
def page_texts(lang: str) -> tuple[bytes, str]:
    """page_messages(lang) as GET /api/i18n/{lang} sends them, and their version (a hash of those bytes:
    the ETag, and the ?v= of an address the browser may keep). Built once per process, as the catalogue
    is read once."""
    body = json.dumps(page_messages(lang), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]
