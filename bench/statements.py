"""Drawing monthly statements (#17 item 6): ms per PDF for a small company (5 call types, 3 numbers, 5
phones) and a large one (100 numbers, 300 phones: several pages), against the floor of an empty FPDF
document with the same two fonts embedded (what every statement pays before its first line). The
bridge's job draws one company at a time in its greenlet: the large figure is the longest it keeps
events waiting.

    .venv/bin/python bench/statements.py [--runs 15]"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web.domain import statement_pdf  # noqa: E402


def company(numbers: int, phones: int) -> statement_pdf.StatementData:
    lines = [statement_pdf.TypeLine(kind, 100 + n, Decimal("123.4") * (n + 1), Decimal("12.3456") * n)
             for n, kind in enumerate(("mobile", "national", "internal", "international", "premium_rate"))]
    return statement_pdf.StatementData(
        company="Bakkerij Zoë & Zonen B.V.", language="nl", first=date(2026, 11, 1), last=date(2026, 11, 30),
        zone="Europe/Amsterdam", made_at=datetime(2026, 12, 1, 0, 1, tzinfo=timezone.utc), currency="EUR",
        lines=lines, total=statement_pdf.TypeLine("all", 510, Decimal("1851.0"), Decimal("123.456")),
        numbers=[(f"+3120123{n:04d}", f"Afdeling {n}", "Vast") for n in range(numbers)],
        phones=[(f"Toestel {n}", "Yealink T54W", f"80:5E:C0:00:{n // 256:02X}:{n % 256:02X}", f"Medewerker {n} ({200 + n})")
                for n in range(phones)])


def timed(action, runs: int) -> tuple[float, float]:
    action()  # warm: imports, the fonts' first parse by the OS cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1 if len(samples) > 1 else 0]


def floor() -> bytes:
    document = statement_pdf._Document("en")
    document.add_page()
    document.set_font(statement_pdf.FONT, "", 9)
    document.cell(text="0")
    return bytes(document.output())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    small, large = company(3, 5), company(100, 300)
    pages = statement_pdf.render(large).count(b"/Type /Page\n") or statement_pdf.render(large).count(b"/Type /Page")
    for name, action in (("floor: empty page, fonts embedded", floor),
                         ("small company (1 page)", lambda: statement_pdf.render(small)),
                         (f"large company (100 numbers, 300 phones, ~{pages} pages)", lambda: statement_pdf.render(large))):
        median, p95 = timed(action, runs)
        print(f"{name:55s} median {median:7.1f} ms   p95 {p95:7.1f} ms   {len(action()) / 1024:6.1f} KiB")
    loop(large)


def loop(data: statement_pdf.StatementData) -> None:
    """The bridge's view: the longest the gevent loop went without running a ticking greenlet (an event's
    handling stands in line the same way) while the large statement is drawn in the job's greenlet (as before)
    and through fs_bridge.statement_drawing's child; and what the child costs in wall time, its start (Python,
    fpdf2's import) paid once per check round. The floor is the same ticker with nothing drawn."""
    import gevent

    from fs_bridge.statement_drawing import Drawer

    def longest_gap(action) -> tuple[float, float]:
        gaps, running = [0.0], [True]

        def tick():
            last = time.perf_counter()
            while running[0]:
                gevent.sleep(0.001)
                now = time.perf_counter()
                gaps[0] = max(gaps[0], now - last)
                last = now

        ticker = gevent.spawn(tick)
        gevent.sleep(0.01)
        started = time.perf_counter()
        action()
        took = time.perf_counter() - started
        running[0] = False
        ticker.join()
        return gaps[0] * 1000, took * 1000

    print(f"{'loop, nothing drawn (floor)':55s} longest stall {longest_gap(lambda: gevent.sleep(0.3))[0]:7.1f} ms")
    stall, took = longest_gap(lambda: statement_pdf.render(data))
    print(f"{'loop, large drawn in the greenlet':55s} longest stall {stall:7.1f} ms   drawing {took:7.1f} ms")
    with Drawer() as drawer:
        stall, took = longest_gap(lambda: drawer.draw(data))
        print(f"{'loop, large drawn by a new child (its start included)':55s} longest stall {stall:7.1f} ms   drawing {took:7.1f} ms")
        stall, took = longest_gap(lambda: drawer.draw(data))
        print(f"{'loop, large drawn by the same child again':55s} longest stall {stall:7.1f} ms   drawing {took:7.1f} ms")


if __name__ == "__main__":
    main()
