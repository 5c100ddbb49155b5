"""The monthly statement as a PDF, drawn with fpdf2 from what web.domain.statements gathered.

fpdf2 rather than ReportLab: it is pure Python with three small dependencies (Pillow, fontTools,
defusedxml; no C extension to build), actively kept (py-pdf), and has the one thing a statement needs,
tables that break over pages and repeat their heading row, in a few lines. ReportLab can do the same
through its platypus layer, at several times the code and install size.

The text is in the company's language; numbers are written as that language writes them (1,234.5 or
1.234,5). The font is DejaVu Sans, shipped in web/fonts/ and embedded (only the glyphs used), so any
name in Latin, Greek or Cyrillic script prints as typed: PDF's built-in fonts know Latin-1 only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Optional

from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from web import i18n

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"
MUTED = (90, 98, 110)
HEAD_FILL = (232, 236, 241)
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}


@dataclass
class TypeLine:
    call_type: str
    calls: int
    minutes: Decimal
    cost: Decimal


@dataclass
class StatementData:
    company: str
    language: str
    first: date  # the month's first day
    last: date  # its last day
    zone: str
    made_at: datetime  # in the company's zone
    currency: Optional[str]
    lines: list[TypeLine]  # per call type, most calls first
    total: TypeLine
    numbers: list[tuple[str, str, str]] = field(default_factory=list)  # number, label, kind
    phones: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, model, MAC, user


# --- numbers as the language writes them --------------------------------------------------------------


def figure(value, places: int, language: str) -> str:
    """1234.5 as "1,234.5" (en) or "1.234,5" (nl), rounded half up to `places`."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    if language == "nl":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def money(value, currency: Optional[str], language: str) -> str:
    amount = figure(value, 2, language)
    sign = CURRENCY_SIGNS.get(currency or "EUR")
    if sign is None:
        return f"{currency} {amount}"
    return f"{sign} {amount}" if language == "nl" else f"{sign}{amount}"


def month_name(first: date, language: str) -> str:
    """"November 2026" / "november 2026"."""
    return f"{i18n.t(language, 'statement.months').split(',')[first.month - 1]} {first.year}"


def day_text(day: date, language: str) -> str:
    name = i18n.t(language, "statement.months").split(",")[day.month - 1]
    return f"{name} {day.day}, {day.year}" if language == "en" else f"{day.day} {name} {day.year}"


# --- the document ---------------------------------------------------------------------------------------


class _Document(FPDF):
    def __init__(self, language: str):
        super().__init__(format="A4", unit="mm")
        self.language = language
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def footer(self):
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, i18n.t(self.language, "statement.page", page=self.page_no(), pages="{nb}"), align=Align.R)
        self.set_text_color(0, 0, 0)


def render(data: StatementData) -> bytes:
    lang = data.language
    t = lambda key, **params: i18n.t(lang, key, **params)  # noqa: E731
    month = month_name(data.first, lang)
    pdf = _Document(lang)
    pdf.set_title(t("statement.title", month=month) + f" - {data.company}")
    pdf.set_author(data.company)
    pdf.set_creator("Callplan PBX")
    pdf.set_lang(lang)
    pdf.set_creation_date(data.made_at)
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, data.company, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, t("statement.title", month=month), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, t("statement.period", first=day_text(data.first, lang), last=day_text(data.last, lang),
                     zone=data.zone), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 5, t("statement.made", date=f"{day_text(data.made_at.date(), lang)} {data.made_at:%H:%M}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)

    # calls by type, then the total in bold
    _heading(pdf, t("statement.calls"))
    rows = [[t(f"ui.calls.type.{line.call_type}"), figure(line.calls, 0, lang), figure(line.minutes, 1, lang),
             money(line.cost, data.currency, lang)] for line in data.lines]
    total = [t("statement.total"), figure(data.total.calls, 0, lang), figure(data.total.minutes, 1, lang),
             money(data.total.cost, data.currency, lang)]
    _table(pdf, [t("statement.col.type"), t("statement.col.calls"), t("statement.col.minutes"), t("statement.col.cost")],
           rows, (46, 18, 18, 18), numeric=(1, 2, 3), last=total)

    _heading(pdf, t("statement.numbers", count=len(data.numbers)))
    if data.numbers:
        _table(pdf, [t("statement.col.number"), t("statement.col.label"), t("statement.col.number_type")],
               [list(row) for row in data.numbers], (30, 50, 20))
    else:
        _none(pdf, t("statement.none"))

    _heading(pdf, t("statement.phones", count=len(data.phones)))
    if data.phones:
        _table(pdf, [t("statement.col.phone"), t("statement.col.model"), t("statement.col.mac"), t("statement.col.user")],
               [list(row) for row in data.phones], (26, 24, 22, 28))
    else:
        _none(pdf, t("statement.none"))
    pdf.ln(3)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, t("statement.held_note"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(6)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _none(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, head: list[str], rows: list[list[str]], widths: tuple, numeric: tuple = (),
           last: Optional[list[str]] = None) -> None:
    """A table over the page's width; its heading row is repeated on every page it runs onto."""
    pdf.set_font(FONT, "", 9)
    align = tuple("RIGHT" if n in numeric else "LEFT" for n in range(len(head)))
    heading = FontFace(emphasis="BOLD", fill_color=HEAD_FILL)
    with pdf.table(col_widths=widths, text_align=align, headings_style=heading, line_height=5.5,
                   borders_layout="HORIZONTAL_LINES", padding=1) as table:
        table.row(head)
        for row in rows:
            table.row([cell or "" for cell in row])
        if last is not None:
            table.row(last, style=FontFace(emphasis="BOLD"))
