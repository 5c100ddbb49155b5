"""Audio files for the isolation walk (and the audio tests): a row plus its two WAVs on disk."""

from __future__ import annotations

import io
import math
import struct
import wave

from web import audio
from web.models.audio import AudioFile


def wav_bytes(rate: int = 8000, seconds: float = 0.1, channels: int = 1, freq: float = 440.0,
              amplitude: int = 8000) -> bytes:
    """A 16-bit PCM WAV with a sine tone in every channel."""
    frames = round(rate * seconds)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(
            struct.pack("<h", round(amplitude * math.sin(2 * math.pi * freq * i / rate))) * channels
            for i in range(frames)
        ))
    return buffer.getvalue()


def make_audio_file(db, settings, tenant_id, owner=None, name="Greeting") -> int:
    with db() as session:
        row = AudioFile(tenant_id=tenant_id, name=name, original_filename="greeting.wav", duration_ms=100,
                        sample_rate_original=8000, channels_original=1, size_bytes=len(wav_bytes()))
        session.add(row)
        session.flush()
        audio_id = row.id
    root = audio.audio_root(settings)
    for rate in audio.RATES:
        path = audio.audio_path(tenant_id, audio_id, rate, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wav_bytes(rate))
    return audio_id


FACTORIES = {AudioFile: make_audio_file}
