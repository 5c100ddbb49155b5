"""Typed text to speech (#18 item 6): an announcement or greeting typed instead of uploaded.

The text is rendered once, with Debian's espeak-ng (a command-line engine that ships its voices, so
nothing is downloaded at run time), to a WAV in a work file; that WAV then goes through exactly the
path an upload takes (web.audio.convert: mono 16-bit at 8000 and 16000 Hz, installed by rename), so
FreeSWITCH and the dialplan see an ordinary audio file and just play it.

The render key is a hash of the text, the voice and the engine's version: a row whose stored key equals
the key of its current text and language is not rendered again (renaming a sound renders nothing); a
new text, language or espeak-ng version gives a new key and one new rendering.

No HTTP here: the API module (web/api/audio.py) maps the exceptions to problem documents.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from web import audio

ENGINE = "espeak-ng"
# The company's languages (web.validation.Language) and a few more callers commonly need. The voice is
# espeak-ng's name for it (`espeak-ng --voices`); British English and metropolitan French on purpose.
VOICES = {"nl": "nl", "en": "en-gb", "de": "de", "fr": "fr-fr"}
MAX_TEXT = 1000  # about a minute of speech: more is a recording, not an announcement
_TIMEOUT_S = 60


class TtsUnavailable(Exception):
    """espeak-ng is not installed (or does not run) on this server."""


def engine_path() -> str | None:
    return shutil.which(ENGINE)


@lru_cache(maxsize=1)
def engine_version() -> str:
    """espeak-ng's version line ("eSpeak NG text-to-speech: 1.51 ..."): part of the render key, so an
    upgrade of the engine renders every text again when it is next saved."""
    path = engine_path()
    if path is None:
        raise TtsUnavailable(f"{ENGINE} is not installed")
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=_TIMEOUT_S, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise TtsUnavailable(str(exc)) from exc
    return done.stdout.strip().split("  Data at:")[0]


def render_key(text: str, language: str) -> str:
    """What the rendered sound depends on, hashed (64 hex digits)."""
    material = "\x00".join((ENGINE, engine_version(), VOICES[language], text))
    return hashlib.sha256(material.encode()).hexdigest()


def render(text: str, language: str, root: Path | None = None) -> audio.Converted:
    """Speak `text` in `language` into the two WAVs of web.audio, still in the work dir (install them with
    audio.install, always audio.discard afterwards). Raises TtsUnavailable, or an AudioRejected subclass
    from the conversion (a text of only punctuation speaks nothing: EmptyAudio)."""
    path = engine_path()
    if path is None:
        raise TtsUnavailable(f"{ENGINE} is not installed")
    work = audio.work_dir(root)
    handle, name = tempfile.mkstemp(dir=work, prefix="tts-", suffix=".wav")
    spoken = Path(name)
    try:
        with open(handle, "rb", closefd=True):
            pass
        # The text goes in on stdin, never as an argument (a text starting with "-" is no option), and
        # without -m: SSML/markup is not interpreted, the text is read as it is.
        try:
            subprocess.run([path, "-v", VOICES[language], "-w", str(spoken), "--stdin"], input=text.encode(),
                           capture_output=True, timeout=_TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise TtsUnavailable(f"{ENGINE} failed: {exc}") from exc
        with spoken.open("rb") as source:
            return audio.convert(source, root)
    finally:
        spoken.unlink(missing_ok=True)
