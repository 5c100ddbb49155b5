"""What went wrong, in the words of problem+json (RFC 9457): a code, a status, and the fields at fault as
JSON pointers. Raised by the domain and by the HTTP edge alike; the edge turns it into a response
(web/api/problems.py), the bridge logs it."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from web.i18n import t


class Problem(Exception):
    """Raise anywhere inside a request to answer with a problem document.

    `code` names the problem (and its catalogue text, "problem.<code>"); `errors` lists field errors as
    {"pointer": "/field/0", "code": ..., "message": ...}.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        pointer: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors or [])
        if pointer is not None and not self.errors:
            self.errors.append({"pointer": pointer, "code": code, "message": detail or ""})
        self.headers = headers or {}
        self.params = params or {}
        self.extra = extra or {}  # more members of the problem document, e.g. "used_by"

    def document(self, lang: str) -> dict:
        doc = {
            "type": f"about:blank#{self.code}",
            "title": t(lang, f"problem.{self.code}", **self.params),
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            doc["detail"] = self.detail
        if self.errors:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc



def pointer(loc: tuple | list) -> str:
    """A pydantic error location as a JSON pointer (RFC 6901)."""
    parts = []
    for part in loc:
        if isinstance(part, str) and part.startswith(("function-", "literal[")):
            continue  # validator names pydantic puts in the path, not fields
        parts.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts) if parts else ""


def _message(error: dict) -> str:
    message = error.get("msg", "is not valid")
    # pydantic prefixes messages of raised ValueErrors with "Value error, ".
    return message.removeprefix("Value error, ")


def document_pointer(data: Any, loc: tuple) -> str:
    """A pydantic error location as a JSON pointer into `data`. A union told apart by `type` (call-plan
    steps, fallback destinations) puts that tag into the location ("/steps/0/queue/queue"); it is no
    field, so it is dropped by walking the data alongside (once per object: a user step's tag and its
    `user` field have the same name)."""
    parts: list = []
    current, tag_dropped = data, False
    for part in loc:
        if isinstance(current, dict) and not tag_dropped and current.get("type") == part:
            tag_dropped = True
            continue
        if isinstance(part, str) and part.startswith(("function-", "literal[")):
            continue
        parts.append(part)
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        else:
            current = None
        tag_dropped = False
    return pointer(parts)


def from_validation_error(exc: ValidationError, prefix: tuple = (), data: Any = None) -> Problem:
    """422 naming every field at fault; with the `data` that was validated, union tags are left out of
    the pointers. An unknown field is told in the router's words."""
    errors = []
    for error in exc.errors(include_url=False):
        loc = prefix + tuple(error["loc"])
        unknown = error["type"] == "extra_forbidden"
        errors.append({
            "pointer": document_pointer(data, loc) if data is not None else pointer(loc),
            "code": "unknown_field" if unknown else error["type"],
            "message": "is not a field of this object" if unknown else _message(error),
        })
    return Problem(422, "invalid", errors=errors)


def field_problem(status: int, code: str, field_pointer: str, message: str) -> Problem:
    return Problem(status, code, message, errors=[{"pointer": field_pointer, "code": code, "message": message}])
