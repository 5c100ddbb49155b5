"""Text to speech (#18 item 6): how long a save of a typed sound takes to render, per text length, in
wall and CPU time (espeak-ng is a child process: its CPU is the children's). The floor, measured in the
same run: converting an uploaded WAV of the same length (web.audio.convert alone, which a rendering also
runs), so the difference is what espeak-ng adds. A save that does not change the text renders nothing
(the render key), so this is paid once per text.

    .venv/bin/python bench/tts.py [--runs 5] [--language nl]"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web import audio, tts  # noqa: E402

SENTENCE = "Welkom bij ons bedrijf. Al onze medewerkers zijn in gesprek, een moment geduld alstublieft. "


def cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(action, runs: int) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, used = time.perf_counter(), cpu()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu() - used)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--language", default="nl", choices=sorted(tts.VOICES))
    args = parser.parse_args()
    if tts.engine_path() is None:
        sys.exit("espeak-ng is not installed (apt-get install espeak-ng)")
    print(tts.engine_version())
    root = Path(tempfile.mkdtemp(prefix="bench-tts-"))
    print(f"{'characters':>10} {'speech s':>9} {'render ms':>10} {'cpu ms':>7} {'floor ms':>9} {'cpu ms':>7}")
    for length in (50, 250, 1000):
        text = (SENTENCE * 12)[:length]

        def render():
            converted = tts.render(text, args.language, root)
            audio.discard(converted)
            return converted.duration_ms

        wall, used, duration_ms = timed(render, args.runs)
        # the floor: the same length of sound, uploaded (the rendering's 16000 Hz WAV)
        spoken = tts.render(text, args.language, root)
        sample = root / "sample.wav"
        os.replace(spoken.files[16000], sample)
        audio.discard(spoken)

        def convert():
            with sample.open("rb") as source:
                audio.discard(audio.convert(source, root))

        floor_wall, floor_cpu, _ = timed(convert, args.runs)
        print(f"{length:>10} {duration_ms / 1000:>9.1f} {wall:>10.0f} {used:>7.0f} {floor_wall:>9.0f} {floor_cpu:>7.0f}")


if __name__ == "__main__":
    main()
