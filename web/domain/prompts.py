"""The app's own system prompts, spoken by the project's TTS (web.tts, espeak-ng) instead of FreeSWITCH's
sound packs, which the product does not ship: today the conference room's "enter the PIN" and "wrong PIN".

Each prompt is rendered once per language and text into the audio folder FreeSWITCH reads
(`<CALLPLAN_AUDIO_DIR>/prompts/<language>/<name>-<key>.wav`, 16 kHz mono, web.audio's conversion): the key
is web.tts's render key (text, voice, engine version), so a new text or an upgraded espeak-ng renders
again under a new name and a file once there is never rewritten while FreeSWITCH may be playing it.
Without espeak-ng nothing is rendered and the dialplan asks with a tone (callplan/nodes/conference.py).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from web import audio, side_effects, tts
from web.audio import AudioRejected

log = logging.getLogger("web.prompts")

TEXTS: dict[str, dict[str, str]] = {
    "conference_pin": {
        "en": "Please enter the conference PIN, then press the hash key.",
        "nl": "Toets de pincode van de vergadering in, gevolgd door het hekje.",
    },
    "conference_bad_pin": {
        "en": "That PIN is not correct.",
        "nl": "Die pincode is niet juist.",
    },
}
RATE = 16000  # FreeSWITCH resamples it for narrowband calls, as it does the audio library's files

_lock = threading.Lock()  # one rendering at a time per process; a second asker finds the file there


def prompt_path(root: Path, name: str, language: str, key: str) -> Path:
    return root / "prompts" / language / f"{name}-{key[:16]}.wav"


def _render(target: Path, text: str, language: str, root: Path) -> None:
    converted = tts.render(text, language, root)
    side_effects.happened("wrote a prompt")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(converted.files[RATE], target)  # a rename: FreeSWITCH never sees half a file
    finally:
        audio.discard(converted)


def ensure(settings, language: str, names=tuple(TEXTS)) -> dict[str, str]:
    """name -> file of each prompt in `language` (English for a language without texts), rendered now
    when missing; {} without espeak-ng (or when it fails: logged, the tone stands in)."""
    language = language if language in TEXTS["conference_pin"] else "en"
    root = audio.audio_root(settings)
    found: dict[str, str] = {}
    try:
        for name in names:
            text = TEXTS[name][language]
            target = prompt_path(root, name, language, tts.render_key(text, language))
            if not target.exists():
                with _lock:
                    if not target.exists():
                        _render(target, text, language, root)
            found[name] = str(target)
    except tts.TtsUnavailable as exc:
        log.info("system prompts not rendered (%s): tones ask instead", exc)
        return {}
    except (OSError, AudioRejected) as exc:
        log.warning("system prompt %s in %s could not be rendered: %s", name, language, exc)
        return {}
    return found
