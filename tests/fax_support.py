"""Real fax documents for tests: a PDF of numbered pages (fpdf2, which the app already uses for its
statements) and the same pages as a fax TIFF, made by the app's own conversion."""

from __future__ import annotations

from pathlib import Path

from web.domain import fax_files


def pdf_bytes(pages: int = 2, title: str = "Test fax") -> bytes:
    from fpdf import FPDF

    document = FPDF()
    for number in range(1, pages + 1):
        document.add_page()
        document.set_font("helvetica", size=28)
        document.cell(0, 20, f"{title}: page {number} of {pages}")
        document.set_font("helvetica", size=12)
        for line in range(20):
            document.ln(8)
            document.cell(0, 8, f"Line {line + 1}: the quick brown fox jumps over the lazy dog.")
    return bytes(document.output())


def tiff_file(path: Path, pages: int = 2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fax_files.pdf_to_tiff(pdf_bytes(pages), str(path))
    return path
