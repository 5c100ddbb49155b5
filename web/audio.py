"""Audio files of a tenant (greetings, announcements, music on hold): check, convert and store.

Whatever is uploaded is decoded with miniaudio (WAV, FLAC, MP3, Ogg Vorbis); what does not decode is
not audio, whatever its name or declared type says. What does decode is stored twice, as mono 16-bit
PCM WAV at 8000 Hz and 16000 Hz, because FreeSWITCH picks <dir>/<rate>/<file>.wav by the call's codec
rate (narrowband / wideband) and so never resamples while playing. The upload itself is not kept.

Layout (FreeSWITCH's configuration is to point at the same place):

    <root>/<tenant_id>/8000/<audio_id>.wav
    <root>/<tenant_id>/16000/<audio_id>.wav
    <root>/.tmp/            work files, on the same file system so finished files are renamed in place

No HTTP here: the API module maps the exceptions below to problem documents.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import unicodedata
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import miniaudio

from web import side_effects
from web.settings import VAR_DIR

# The default root; a setting (CALLPLAN_AUDIO_DIR, as Settings.audio_dir) wins once it exists.
AUDIO_DIR = VAR_DIR / "audio"
RATES = (8000, 16000)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_DURATION_S = 10 * 60
FILENAME_MAX = 100
_CHUNK_FRAMES = 8192
_COPY_CHUNK = 1024 * 1024
_SLACK_S = 0.5  # encoder padding (MP3 adds some tens of ms) must not push a 10:00 recording over

# Tried in this order: the strict container formats first, MP3 last (its decoder scans for frame sync).
_PROBES = (
    (".wav", miniaudio.wav_get_file_info),
    (".flac", miniaudio.flac_get_file_info),
    (".ogg", miniaudio.vorbis_get_file_info),
    (".mp3", miniaudio.mp3_get_file_info),
)


class AudioRejected(Exception):
    """The upload is refused; subclasses say why."""


class NotAudio(AudioRejected):
    pass


class EmptyAudio(AudioRejected):
    pass


class TooLong(AudioRejected):
    pass


class TooLarge(AudioRejected):
    pass


@dataclass
class Converted:
    """The result of `convert`: facts about the upload and the finished WAVs, still in the work dir."""

    duration_ms: int
    sample_rate_original: int
    channels_original: int
    size_bytes: int  # of the upload as received
    files: dict[int, Path] = field(default_factory=dict)  # rate -> work file


def audio_root(settings=None) -> Path:
    configured = getattr(settings, "audio_dir", None)
    return Path(configured) if configured else AUDIO_DIR


def audio_path(tenant_id: int, audio_id: int, rate: int, root: Path | None = None) -> Path:
    """Where the WAV of one audio file at one rate lives (FreeSWITCH reads the same path)."""
    if rate not in RATES:
        raise ValueError(f"rate must be one of {RATES}")
    # int() on purpose: only numbers ever become path components, nothing a user typed.
    return (root or AUDIO_DIR) / str(int(tenant_id)) / str(rate) / f"{int(audio_id)}.wav"


def work_dir(root: Path | None = None) -> Path:
    path = (root or AUDIO_DIR) / ".tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_filename(raw: str | None) -> str:
    """The upload's file name as a label: last path component, letters, digits and ._-() only."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in name)
    return name.strip(" .")[:FILENAME_MAX].strip(" .") or "upload"


def convert(source: BinaryIO, root: Path | None = None, max_bytes: int | None = None) -> Converted:
    """Decode `source` (a file object at its start) and write the two WAVs into the work dir.

    Raises an AudioRejected subclass; on any failure no work file is left behind. The caller installs
    the result with `install` and always calls `discard` afterwards.
    """
    limit = MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    work = work_dir(root)
    handle, name = tempfile.mkstemp(dir=work, prefix="upload-")
    upload = Path(name)
    converted: Converted | None = None
    try:
        size = _copy(source, handle, limit)
        upload, info = _probe(upload)
        # The header's length refuses the obviously long before any decoding; it may be 0 (unknown,
        # e.g. a streamed FLAC) or wrong, so the frames are counted while decoding as well.
        if info.num_frames / info.sample_rate > MAX_DURATION_S + _SLACK_S:
            raise TooLong(f"{info.num_frames / info.sample_rate:.0f} s")
        converted = Converted(0, info.sample_rate, info.nchannels, size)
        for rate in RATES:
            frames, converted.files[rate] = _resample(upload, rate, work)
            if rate == max(RATES):
                converted.duration_ms = frames * 1000 // rate
        if converted.duration_ms <= 0:
            raise EmptyAudio("no samples after decoding")
        return converted
    except BaseException:
        if converted is not None:
            discard(converted)
        raise
    finally:
        upload.unlink(missing_ok=True)


def _copy(source: BinaryIO, handle: int, limit: int) -> int:
    size = 0
    with os.fdopen(handle, "wb") as target:
        while chunk := source.read(_COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"more than {limit} bytes")
            target.write(chunk)
    if size == 0:
        raise EmptyAudio("empty file")
    return size


def _probe(path: Path) -> tuple[Path, miniaudio.SoundFileInfo]:
    """Which format the bytes are (not what the name says); the file gets that extension because
    miniaudio's decoder picks its format by extension first."""
    for extension, probe in _PROBES:
        try:
            info = probe(str(path))
        except miniaudio.DecodeError:
            continue
        if info.sample_rate <= 0 or info.nchannels <= 0:
            continue
        named = path.with_suffix(extension)
        path.rename(named)
        return named, info
    raise NotAudio("does not decode as WAV, FLAC, MP3 or Ogg Vorbis")


def _resample(upload: Path, rate: int, work: Path) -> tuple[int, Path]:
    """Stream-decode to mono 16-bit at `rate` into a work WAV; returns (frames, path).

    Frames are counted while decoding: a header can claim a short duration for a long stream."""
    handle, name = tempfile.mkstemp(dir=work, prefix=f"{rate}-", suffix=".wav")
    os.close(handle)
    target = Path(name)
    limit = round((MAX_DURATION_S + _SLACK_S) * rate)
    frames = 0
    try:
        try:
            stream = miniaudio.stream_file(str(upload), output_format=miniaudio.SampleFormat.SIGNED16,
                                           nchannels=1, sample_rate=rate, frames_to_read=_CHUNK_FRAMES)
        except miniaudio.DecodeError as exc:
            raise NotAudio(str(exc)) from exc
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            try:
                for chunk in stream:
                    frames += len(chunk)
                    if frames > limit:
                        raise TooLong("longer than the header said")
                    if sys.byteorder == "big":
                        chunk.byteswap()  # WAV is little-endian
                    out.writeframes(chunk.tobytes())
            except miniaudio.DecodeError as exc:
                raise NotAudio(str(exc)) from exc
            finally:
                stream.close()
        return frames, target
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def install(converted: Converted, tenant_id: int, audio_id: int, root: Path | None = None) -> None:
    """Move the work files to their places (a rename: a reader never sees half a file)."""
    side_effects.happened("installed a sound")
    for rate, source in converted.files.items():
        target = audio_path(tenant_id, audio_id, rate, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    converted.files.clear()


def discard(converted: Converted) -> None:
    for path in converted.files.values():
        path.unlink(missing_ok=True)
    converted.files.clear()


def remove(tenant_id: int, audio_id: int, root: Path | None = None) -> None:
    side_effects.happened("removed a sound")
    for rate in RATES:
        audio_path(tenant_id, audio_id, rate, root).unlink(missing_ok=True)


def remove_tenant(tenant_id: int, root: Path | None = None) -> None:
    """Every file of a tenant (for when the tenant itself is deleted)."""
    side_effects.happened("removed a company's sounds")
    shutil.rmtree((root or AUDIO_DIR) / str(int(tenant_id)), ignore_errors=True)
