"""One FreeSWITCH event as the bridge's handlers see it: URL-decoded headers and a body.

FreeSWITCH sends `event plain` headers URL-encoded, one per line. Decoding each value on its own (not
the whole text first, as greenswitch does) keeps a value holding an encoded newline or colon intact."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote


_SCANS = 16  # distinct headers looked up by searching the text before it is worth indexing every line


class Event:
    """Headers are kept as they arrived (URL-encoded), and a value is found and decoded the first time a
    handler asks for it. An event of a call carries 100-250 headers and a handler reads a handful (a
    CHANNEL_EXECUTE: the application, its data, the uuid, whether it is a B leg): those few are searched
    for in the text itself, and only an event that is asked for more (a hangup becoming a call record)
    has its lines split into a dict. Splitting and decoding every header of every event was the larger
    part of what ingesting an event cost. `headers` gives them all, decoded (tests, and code that wants
    every header)."""

    __slots__ = ("_text", "_end", "_raw", "_decoded", "_scans", "body", "received_at")

    def __init__(self, headers: Optional[dict[str, str]] = None, body: str = "", received_at: float = 0.0,
                 text: Optional[str] = None, end: int = 0):
        self._text = text  # the event's text, its header lines up to `end`, not yet split (no copy made)
        self._end = end
        self._raw: Optional[dict[str, str]] = None  # the lines split: name -> value still URL-encoded
        self._decoded = dict(headers) if headers is not None else {}  # decoded (or given so); None: absent
        self._scans = 0
        self.body = body
        self.received_at = received_at  # monotonic clock when the bridge read it (latency figures)

    def __repr__(self) -> str:
        return f"Event({self.key!r}, {self.uuid!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Event) and (self.headers, self.body) == (other.headers, other.body)

    def index_headers(self) -> None:
        """For a reader about to ask for dozens of headers (a hangup becoming a call record): split the
        lines now instead of searching the text for each."""
        self._index()

    def _index(self) -> dict[str, str]:
        if self._raw is None:
            self._raw = raw_headers(self._text[: self._end]) if self._text is not None else {}
            self._text = None
        return self._raw

    @property
    def headers(self) -> dict[str, str]:
        if self._text is not None or self._raw:
            decoded = self._decoded
            self._decoded = {name: decoded[name] if decoded.get(name) is not None else _decode(value)
                             for name, value in self._index().items()}
            self._raw = {}
        return self._decoded

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        decoded = self._decoded
        if name in decoded:
            value = decoded[name]
            return default if value is None else value
        text = self._text
        if text is not None and self._scans < _SCANS:
            self._scans += 1
            value = _scan(text, self._end, name)
        elif text is not None or self._raw:
            value = self._index().get(name)
        else:
            return default  # made from decoded headers: what is not there is absent
        if value is not None and "%" in value:
            value = unquote(value)  # each value on its own: an encoded newline or colon stays in it
        decoded[name] = value
        return default if value is None else value

    @property
    def name(self) -> str:
        return self.get("Event-Name", "")

    @property
    def subclass(self) -> str:
        return self.get("Event-Subclass", "")

    @property
    def key(self) -> str:
        """What handlers register for: the subclass of a CUSTOM event ("callplan::email"), else the name."""
        name = self.get("Event-Name", "")
        return (self.get("Event-Subclass", "") or name) if name == "CUSTOM" else name

    def var(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """A channel variable (`variable_<name>` header)."""
        return self.get("variable_" + name, default)

    @property
    def uuid(self) -> str:
        return self.get("Unique-ID", "")

    @property
    def at(self) -> datetime:
        """When FreeSWITCH made the event (Event-Date-Timestamp, microseconds since the epoch)."""
        stamp = self.get("Event-Date-Timestamp")
        if stamp and stamp.isdigit():
            return datetime.fromtimestamp(int(stamp) / 1_000_000, tz=timezone.utc)
        return datetime.now(timezone.utc)


def _decode(value: str) -> str:
    return unquote(value) if "%" in value else value


def _scan(text: str, end: int, name: str) -> Optional[str]:
    """The value of header `name` in the header lines text[:end], as raw_headers would give it (the
    last line of that name; "Name: value", or "Name:value" stripped)."""
    at = text.rfind("\n" + name + ":", 0, end)
    if at >= 0:
        start = at + len(name) + 2
    elif text.startswith(name + ":"):
        start = len(name) + 1
    else:
        return None
    stop = text.find("\n", start, end)
    value = text[start:stop if stop >= 0 else end]
    return value[1:] if value[:1] == " " else value.strip()


def raw_headers(text: str) -> dict[str, str]:
    """Header name -> value as it arrived (not decoded). FreeSWITCH writes "Name: value"; an older or
    hand-made text may omit the space."""
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        name, sep, value = line.partition(": ")
        if not sep:
            name, sep, value = line.partition(":")
            if not sep:
                continue
            value = value.strip()
        headers[name] = value
    return headers


def parse_headers(text: str) -> dict[str, str]:
    """Every header of a text, decoded (each value on its own)."""
    return {name: _decode(value) for name, value in raw_headers(text).items()}


def parse_plain(text: str) -> Event:
    """An `event plain` text: headers, a blank line, and (when Content-Length says so) a body. Header
    values are found and decoded when asked for (Event.get)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    # Only an event with a body has a Content-Length header (switch_event_serialize writes it last, then
    # the blank line and the body). Looking for the blank line costs more than all the rest of this
    # (every line ends in a newline), so it is looked for only then.
    if "\nContent-Length:" not in text and not text.startswith("Content-Length:"):
        return Event(text=text, end=len(text))
    end = text.find("\n\n")
    if end < 0:
        end = len(text)
    body = ""
    length = _scan(text, end, "Content-Length")
    if length and length.isdigit():
        body = text[end + 2: end + 2 + int(length)]
    return Event(body=body, text=text, end=end)


def from_frame(frame_body: str) -> Event:
    """The body of a `text/event-plain` frame as it arrives on the socket."""
    return parse_plain(frame_body)


def fixture_events(path: Path) -> Iterator[tuple[str, str]]:
    """The event texts of a fixture file in ../shared/fixtures: sections start with a `#### <title>` line
    (esl_all_events.txt: the event text follows) or `######## <title>` (esl_events.txt: the frame's
    Content-Length and Content-Type, a blank line, then the event text). Yields (title, event text)."""
    title, lines = None, []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("#### ") or line.startswith("######## "):
            if title is not None:
                yield title, _frame_body("\n".join(lines))
            title, lines = line.lstrip("#").strip(), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        yield title, _frame_body("\n".join(lines))


def _frame_body(section: str) -> str:
    head, _, body = section.partition("\n\n")
    if "Content-Type: text/event-plain" not in head:
        return section.strip("\n")
    return body.strip("\n")
