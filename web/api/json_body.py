"""A request's JSON body as data every later step can hold: parsed once, and refused with a problem
naming the place (a JSON pointer) when it holds what no model, database or serializer should meet.

- nesting deeper than MAX_DEPTH: Python's parser, pydantic and the serializers recurse, and a body of
  100,000 "[" would end in a RecursionError (a 500). A call plan ten levels deep (the validator's limit)
  is about 35 levels of JSON, so 64 leaves room for drafts the validator then explains;
- an integer no column of ours holds: ids and counts are INTEGER columns, 32 bits on PostgreSQL
  (an id of 2^31 there fails inside the query, one of 2^63 cannot even be bound on SQLite);
- a NUL or a lone surrogate in any text or key: PostgreSQL refuses NUL in text, and neither encodes as
  UTF-8; no field has a use for them;
- NaN and Infinity, which JSON does not have (Python's parser takes them)."""

from __future__ import annotations

import json
import re
from typing import Any

from web.domain.problems import Problem, pointer

MAX_DEPTH = 64
MAX_ERRORS = 20
INT32 = 2**31
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def parse(raw: bytes) -> Any:
    """The body as data; Problem 400 when it is no JSON, 422 naming the first places it cannot be."""
    try:
        data = json.loads(raw or b"{}", parse_constant=_not_json)
    except RecursionError:
        raise _too_deep(_deep_pointer(raw.decode("utf-8", "replace")))
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "malformed_json", pointer="")
    errors = problems(data)
    if errors:
        raise Problem(422, "invalid", errors=errors)
    return data


def _too_deep(where: str) -> Problem:
    return Problem(422, "invalid", errors=[_too_deep_error(where)])


def _too_deep_error(where: str) -> dict:
    return {"pointer": where, "code": "too_deep", "message": f"is nested deeper than {MAX_DEPTH} levels"}


def problems(data: Any) -> list[dict]:
    """Everything `data` holds that it may not, as field errors (at most MAX_ERRORS)."""
    found: list[dict] = []
    stack = [(data, (), 1)]
    while stack and len(found) < MAX_ERRORS:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                found.append(_too_deep_error(pointer(path)))
                continue
            for key, item in value.items():
                if _BAD_TEXT.search(key):
                    # the pointer itself must be encodable: the character is shown as U+FFFD
                    key = _BAD_TEXT.sub("\ufffd", key)
                    found.append({"pointer": pointer(path + (key,)), "code": "bad_character",
                                  "message": "a key may not hold NUL or a lone surrogate"})
                stack.append((item, path + (key,), depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                found.append(_too_deep_error(pointer(path)))
                continue
            stack.extend((item, path + (index,), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            if _BAD_TEXT.search(value):
                found.append({"pointer": pointer(path), "code": "bad_character",
                              "message": "may not hold NUL or a lone surrogate"})
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -INT32 <= value < INT32:
                found.append({"pointer": pointer(path), "code": "out_of_range",
                              "message": f"must be between {-INT32} and {INT32 - 1}"})
    return sorted(found, key=lambda error: error["pointer"])


def _deep_pointer(text: str) -> str:
    """Where `text` opens its (MAX_DEPTH + 1)th nested container, read without parsing it (the parser
    itself gave up): strings are skipped, keys and indexes followed. "" when it cannot tell."""
    path: list = []
    expecting_key = False
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if expecting_key and path:
                try:
                    path[-1] = json.loads(text[index:end + 1])
                except ValueError:
                    return ""
                expecting_key = False
            index = end + 1
            continue
        if char in "[{":
            if len(path) == MAX_DEPTH:
                return pointer(path)
            path.append(0 if char == "[" else "")
            expecting_key = char == "{"
        elif char in "]}":
            if not path:
                return ""
            path.pop()
        elif char == "," and path:
            if isinstance(path[-1], int):
                path[-1] += 1
            else:
                expecting_key = True
        index += 1
    return ""
