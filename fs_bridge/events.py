"""One FreeSWITCH event as the bridge's handlers see it: URL-decoded headers and a body.

FreeSWITCH sends `event plain` headers URL-encoded, one per line. Decoding each value on its own (not
the whole text first, as greenswitch does) keeps a value holding an encoded newline or colon intact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote


@dataclass
class Event:
    headers: dict[str, str]
    body: str = ""
    received_at: float = field(default=0.0)  # monotonic clock when the bridge read it (latency figures)

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")

    @property
    def subclass(self) -> str:
        return self.headers.get("Event-Subclass", "")

    @property
    def key(self) -> str:
        """What handlers register for: the subclass of a CUSTOM event ("callplan::email"), else the name."""
        return self.subclass if self.name == "CUSTOM" and self.subclass else self.name

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name, default)

    def var(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """A channel variable (`variable_<name>` header)."""
        return self.headers.get(f"variable_{name}", default)

    @property
    def uuid(self) -> str:
        return self.headers.get("Unique-ID", "")

    @property
    def at(self) -> datetime:
        """When FreeSWITCH made the event (Event-Date-Timestamp, microseconds since the epoch)."""
        stamp = self.headers.get("Event-Date-Timestamp")
        if stamp and stamp.isdigit():
            return datetime.fromtimestamp(int(stamp) / 1_000_000, tz=timezone.utc)
        return datetime.now(timezone.utc)


def parse_headers(text: str) -> dict[str, str]:
    # The hot path of ingestion (an event of a call carries 100-200 headers, a few dozen of them
    # escaped). Values without an escape are taken as they are; the escaped ones are decoded in one
    # unquote() call over all of them joined by NUL (a NUL never arrives raw on the socket), which costs
    # half of decoding them one by one. A value that itself decodes to a NUL (%00) makes the split
    # come out wrong, and then each is decoded on its own.
    headers: dict[str, str] = {}
    escaped_names: list[str] = []
    escaped_values: list[str] = []
    for line in text.split("\n"):
        name, sep, value = line.partition(": ")
        if not sep:
            name, sep, value = line.partition(":")
            if not sep:
                continue
            value = value.strip()
        headers[name] = value  # keeps FreeSWITCH's order; escaped values are replaced below
        if "%" in value:
            escaped_names.append(name)
            escaped_values.append(value)
    if escaped_values:
        decoded = unquote("\x00".join(escaped_values)).split("\x00")
        if len(decoded) != len(escaped_values):
            decoded = [unquote(value) for value in escaped_values]
        headers.update(zip(escaped_names, decoded))
    return headers


def parse_plain(text: str) -> Event:
    """An `event plain` text: headers, a blank line, and (when Content-Length says so) a body."""
    head, _, rest = text.replace("\r\n", "\n").partition("\n\n")
    headers = parse_headers(head)
    body = ""
    length = headers.get("Content-Length")
    if length and length.isdigit():
        body = rest[: int(length)]
    return Event(headers, body)


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
