"""The company phonebook: contacts, search, and csv import/export (seed 000).

Import reads `name;number` lines (the seed's format) or a file with a header row ("name;number",
"naam;nummer", "Name,Number", optional company/note columns); `;`, `,` and tab are detected, quoted
fields may hold the delimiter, a UTF-8 BOM is ignored. Every bad row is reported by its line number in
the file (1-based, the header counts) so the admin can fix the file and try again. The company's book
reads a `blocked` ("geblokkeerd") column too (#16 item 2): yes/no, true/false, 1/0 or ja/nee, empty
meaning no; a user's personal contacts have no such mark, so there that column is ignored.

Export writes `name;number;blocked` with a header. Cells that a spreadsheet would run as a formula (starting with
= + - @, tab or CR) get a leading `'`; import removes exactly that quote again, so export -> import gives
the same book back. Numbers are never quoted this way: they are validated to be digits with an optional
leading "+", which a spreadsheet can only read as a number, never as a formula, and a "+31..." number
must stay importable as it is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from web.api.problems import Problem, field_problem
from web.api.resources import Resource
from web.api.routing import api
from web.models.phonebook import (Contact, ContactCreate, PhonebookContactCreate, PhonebookContactPublic,
                                  PhonebookContactUpdate)
from web.scoping import scoped

MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024
MAX_QUERY = 100
DELIMITERS = (";", "\t", ",")  # ties go to the earlier one: the seed's format first
SAMPLE_ROWS = 50
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")  # what a spreadsheet would run, possibly already escaped

HEADER_WORDS = {
    "name": {"name", "naam", "contact", "contactnaam", "full name", "volledige naam"},
    "number": {"number", "nummer", "phone", "phone number", "telephone", "telefoon", "telefoonnummer", "tel",
               "tel.", "mobile", "mobiel"},
    "company": {"company", "bedrijf", "organisation", "organization", "organisatie"},
    "note": {"note", "notes", "notitie", "opmerking", "opmerkingen", "comment"},
    "blocked": {"blocked", "geblokkeerd", "block", "blokkeren"},
}
_WORD_TO_FIELD = {word: name for name, words in HEADER_WORDS.items() for word in words}
# A cell of the blocked column, in English or Dutch as spreadsheets and people write it; empty is "no".
YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "ja": True,
          "nee": False, "": False}


# -- contacts ---------------------------------------------------------------------------------------------


def _validate(ctx, contact: Contact) -> None:
    # A friendly 409 naming the field; the unique constraint still catches two saves at once.
    with ctx.db.no_autoflush:  # a changed row must not hit the constraint before this friendlier check
        clash = ctx.db.exec(scoped(Contact, ctx.tenant_id).where(Contact.number == contact.number)).first()
    if clash is not None and clash.id != contact.id:
        raise field_problem(409, "contact_number_taken", "/number", f"{clash.name} already has this number")


resource = Resource(
    kind="contact", path="/api/phonebook", table=Contact, create_model=PhonebookContactCreate,
    update_model=PhonebookContactUpdate, public_model=PhonebookContactPublic, permission="pbx.manage",
    read_permission="phonebook.read", order_by="name",
    validate=_validate,
)


def _folded(text: str) -> str:
    return text.casefold()


def list_contacts(ctx):
    """The company phonebook; `?q=` keeps contacts whose name, number or company contains it (any case)."""
    query = ctx.request.query_params.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise field_problem(422, "invalid", "/q", f"at most {MAX_QUERY} characters")
    rows = ctx.db.exec(scoped(Contact, ctx.tenant_id).order_by(Contact.name, Contact.id)).all()
    if query:
        # Filtered here, not in SQL: SQLite's lower() only folds ASCII and the book is at most MAX_ROWS.
        wanted = _folded(query)
        digits = re.sub(r"[\s\-./()]", "", query)  # "020 123" finds 020123...
        rows = [
            row for row in rows
            if wanted in _folded(row.name) or wanted in _folded(row.company or "")
            or (digits and digits in row.number)
        ]
    return [resource.public(ctx, row) for row in rows]


# -- csv import -------------------------------------------------------------------------------------------


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    csv: str
    mode: Literal["all_or_nothing", "good_rows"] = "all_or_nothing"
    replace: bool = False  # replace the whole book (in the same transaction: a refused import keeps it)


class ImportIssue(BaseModel):
    line: int
    pointer: str = "/csv"
    code: str
    message: str


class ImportResult(BaseModel):
    imported: int
    errors: list[ImportIssue]
    warnings: list[ImportIssue]


class PreviewRow(BaseModel):
    line: int
    name: str
    number: str
    company: str | None = None
    note: str | None = None
    blocked: bool | None = None  # the company's book only


class ImportPreview(BaseModel):
    """What an import of the same body would do, nothing saved: the contacts it would add (by line), the bad
    rows and the skipped duplicates; `refused` says whether the chosen mode would refuse the whole file."""

    rows: list[PreviewRow]
    errors: list[ImportIssue]
    warnings: list[ImportIssue]
    refused: Optional[str] = None  # the problem code the import would answer: csv_invalid, csv_empty


@dataclass
class Parsed:
    contacts: list[tuple[int, ContactCreate]] = field(default_factory=list)  # (line, contact)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def _issue(line: int, code: str, message: str) -> dict:
    return {"line": line, "pointer": "/csv", "code": code, "message": message}


def _records(text: str, delimiter: str):
    """(first line of the record, fields) for every record; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True,
                        strict=True)
    previous = 0
    while True:
        start = previous + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # Broken quoting leaves no safe place to resume: report where the record started and stop.
            raise _Unreadable(start, str(exc))
        previous = reader.line_num
        if any(cell.strip() for cell in fields):
            yield start, fields


class _Unreadable(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _detect_delimiter(text: str) -> str:
    """The delimiter under which the first rows agree on a width of at least two columns."""
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        widths = []
        try:
            for _, fields in _records(text, delimiter):
                widths.append(len(fields))
                if len(widths) >= SAMPLE_ROWS:
                    break
        except _Unreadable:
            pass
        if not widths or widths[0] < 2:
            continue
        score = sum(1 for width in widths if width == widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header(fields: list[str], model) -> dict[str, int] | None:
    """Column positions if `fields` is a header row, else None (it is then a contact).

    A header has no digit (a contact's number always has one) and names at least one known column;
    in a two-column file an unknown title ("Tel.nr.") takes the place of the missing one."""
    cells = [" ".join(cell.strip().casefold().rstrip(":").split()) for cell in fields]
    if any(ch.isdigit() for cell in cells for ch in cell):
        return None
    columns: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(cells):
        name = _WORD_TO_FIELD.get(cell)
        if name is None or name not in model.model_fields:  # a column this book does not keep
            unknown.append(index)
        elif name in columns:
            raise _Unreadable(0, f"the header names the {name} column twice")
        else:
            columns[name] = index
    if not columns:
        return None
    missing = [name for name in ("name", "number") if name not in columns]
    if missing and len(cells) == 2 and len(unknown) == len(missing):
        columns[missing[0]] = unknown[0]
        missing = []
    if missing:
        raise _Unreadable(0, f"the header has no {' or '.join(missing)} column")
    return columns


def _unescape(cell: str) -> str:
    """Undo the export's formula guard: one leading quote before what a spreadsheet would run."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell) else cell


def _row_to_contact(line: int, fields: list[str], columns: dict[str, int], width: int, model):
    """A `model` (ContactCreate or the company's PhonebookContactCreate), or an issue dict explaining why the row is not a contact."""
    cells = list(fields)
    while len(cells) > width and not cells[-1].strip():
        cells.pop()  # spreadsheets pad rows with empty trailing cells
    needed = max(columns["name"], columns["number"]) + 1
    if len(cells) > width or len(cells) < needed:
        return _issue(line, "column_count", f"has {len(cells)} column(s), expected {width} ({';'.join(_names(columns))})")
    values = {}
    for name, index in columns.items():
        cell = _unescape(cells[index].strip()) if index < len(cells) else ""
        if name in ("company", "note") and not cell:
            continue
        if name == "blocked":
            if cell.casefold() not in YES_NO:
                return _issue(line, "bad_blocked", f"blocked: {cell!r} is not one of yes, no, true, false, 1, 0, ja, nee")
            values[name] = YES_NO[cell.casefold()]
            continue
        values[name] = cell
    if not values.get("name"):
        return _issue(line, "missing_name", "has no name")
    if not values.get("number"):
        return _issue(line, "missing_number", "has no number")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        column = str(error["loc"][0]) if error["loc"] else "row"
        code = "too_long" if error["type"] == "string_too_long" else f"bad_{column}"
        message = error["msg"].removeprefix("Value error, ")
        return _issue(line, code, f"{column}: {message}")


def _names(columns: dict[str, int]) -> list[str]:
    return [name for name, _ in sorted(columns.items(), key=lambda item: item[1])]


def parse(text: str, known_numbers: set[str], model=ContactCreate) -> Parsed:
    """Every row of the file checked (as `model`, whose fields say which columns are read): contacts to add, errors (bad rows), warnings (skipped duplicates)."""
    text = text.removeprefix("\ufeff")
    delimiter = _detect_delimiter(text)
    parsed = Parsed()
    columns: dict[str, int] | None = None
    width = 2
    seen: dict[str, int] = {}  # number -> line it was first read on
    rows = 0
    try:
        for line, fields in _records(text, delimiter):
            if columns is None:
                try:
                    header = _header(fields, model)
                except _Unreadable as exc:
                    raise _Unreadable(line, exc.reason)
                columns = header or {"name": 0, "number": 1}
                width = len(fields) if header else 2
                if header:
                    continue
            rows += 1
            if rows > MAX_ROWS:
                raise Problem(422, "csv_too_many_rows", params={"max": MAX_ROWS},
                              errors=[_issue(line, "too_many_rows", f"at most {MAX_ROWS} contacts per file")])
            result = _row_to_contact(line, fields, columns, width, model)
            if isinstance(result, dict):
                parsed.errors.append(result)
            elif result.number in known_numbers:
                parsed.warnings.append(_issue(line, "duplicate", f"{result.number} is already in the phonebook; skipped"))
            elif result.number in seen:
                parsed.warnings.append(_issue(line, "duplicate", f"{result.number} is also on line {seen[result.number]}; skipped"))
            else:
                seen[result.number] = line
                parsed.contacts.append((line, result))
    except _Unreadable as exc:
        parsed.errors.append(_issue(exc.line, "unreadable", exc.reason))
    return parsed


def check_import(body: ImportRequest, existing: list, model=ContactCreate) -> Parsed:
    """The file of an import checked against the contacts already there (`existing`: rows with a
    `number`; a replace compares with none of them). Shared with a user's own contacts (web/api/me.py);
    the company's book passes its own `model`, which has the blocked mark."""
    if len(body.csv.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise Problem(413, "csv_too_large", params={"max_mb": MAX_BYTES // (1024 * 1024)}, pointer="/csv")
    return parse(body.csv, set() if body.replace else {row.number for row in existing}, model)


def preview_of(body: ImportRequest, parsed: Parsed) -> ImportPreview:
    """What the import would do, nothing saved (the portal shows it before the confirmation)."""
    refused = None
    if parsed.errors and body.mode == "all_or_nothing":
        refused = "csv_invalid"
    elif not parsed.contacts and (body.replace or not (parsed.errors or parsed.warnings)):
        refused = "csv_empty"
    rows = [PreviewRow(line=line, **contact.model_dump()) for line, contact in parsed.contacts]
    return ImportPreview(rows=rows, errors=parsed.errors, warnings=parsed.warnings, refused=refused)


def save_import(ctx, body: ImportRequest, existing: list, parsed: Parsed, make_row) -> ImportResult:
    """Save a checked import: `make_row(ContactCreate)` gives the row to add; with `replace` the
    `existing` rows go first, in the same transaction (a refused import keeps them)."""
    if parsed.errors and body.mode == "all_or_nothing":
        raise Problem(422, "csv_invalid", errors=parsed.errors, params={"count": len(parsed.errors)},
                      extra={"imported": 0, "warnings": parsed.warnings})
    if not parsed.contacts and (body.replace or not (parsed.errors or parsed.warnings)):
        # An empty replace would silently wipe the book; an empty file is most likely the wrong file.
        raise Problem(422, "csv_empty", errors=parsed.errors, extra={"imported": 0, "warnings": parsed.warnings})
    if body.replace:
        for row in existing:  # through the ORM, so each removal is audited like any delete
            ctx.db.delete(row)
        ctx.db.flush()  # before the inserts: the new book may reuse the old numbers
    for _, contact in parsed.contacts:
        ctx.db.add(make_row(contact))
    ctx.db.flush()
    return ImportResult(imported=len(parsed.contacts), errors=parsed.errors, warnings=parsed.warnings)


def _company_book(ctx) -> list[Contact]:
    return ctx.db.exec(scoped(Contact, ctx.tenant_id)).all()


def preview_import(ctx, body: ImportRequest):
    """Check a file as POST /api/phonebook/import would, without saving anything (the portal shows this
    before the admin confirms): the rows it would add, every bad row by its line, the skipped duplicates."""
    return preview_of(body, check_import(body, _company_book(ctx), PhonebookContactCreate))


def import_contacts(ctx, body: ImportRequest):
    """Import contacts from csv text; see the module's docstring for the formats and modes."""
    existing = _company_book(ctx)
    return save_import(ctx, body, existing, check_import(body, existing, PhonebookContactCreate),
                       lambda contact: Contact(**contact.model_dump(), tenant_id=ctx.tenant_id))


# -- csv export -------------------------------------------------------------------------------------------


def _safe_cell(value: str) -> str:
    """Guard against csv formula injection (OWASP): a spreadsheet shows `'=...` as text."""
    return "'" + value if _FORMULA.match(value) else value


def export_contacts(ctx):
    """The phonebook as `name;number;blocked` csv (UTF-8, header row), importable again as it is."""
    rows = ctx.db.exec(scoped(Contact, ctx.tenant_id).order_by(Contact.name, Contact.id)).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["name", "number", "blocked"])
    for row in rows:
        # numbers: digits and "+", see the docstring
        writer.writerow([_safe_cell(row.name), row.number, "yes" if row.blocked else "no"])
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="phonebook.csv"', "cache-control": "no-store"},
    )


def _without_generic_list(routes: list) -> list:
    return [route for route in routes if not (route.method == "GET" and route.path == resource.path)]


routes = [
    api("GET", "/api/phonebook", list_contacts, permission="phonebook.read", response=list[PhonebookContactPublic]),
    api("GET", "/api/phonebook/export", export_contacts, permission="phonebook.read"),
    api("POST", "/api/phonebook/import", import_contacts, permission="pbx.manage", body=ImportRequest,
        max_body=3_000_000,  # a 2 MB file, JSON-escaped
        response=ImportResult),
    api("POST", "/api/phonebook/import/preview", preview_import, permission="pbx.manage", body=ImportRequest,
        max_body=3_000_000, response=ImportPreview),
] + _without_generic_list(resource.routes())
