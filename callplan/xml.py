"""The one XML builder: every document FreeSWITCH gets is made here, with ElementTree, never by string
concatenation, so whatever a user typed is escaped exactly once, by the serializer.

FreeSWITCH reads attribute values through its own variable expander: `${...}` in an `<action data>` is
expanded at run time. Text users typed goes through `literal()` first, so a caller name like
"${system(rm -rf /)}" reaches the channel as text, not as an expansion."""

from __future__ import annotations

import re
from functools import lru_cache
import xml.etree.ElementTree as ET
from itertools import chain

from callplan.text import CONTROL_CLASS

# Dropped from every attribute: what XML 1.0 cannot carry at all (NUL, most C0 controls, U+FFFE/F, lone
# surrogates), and every other control character of callplan.text (CR, LF, tab, C1, U+2028/9, the bidi
# overrides): no value FreeSWITCH reads (a caller-ID name, a number, an application's arguments) has a
# use for them, and a phone shows a bidi override as a name reading backwards.
_NOT_XML = re.compile(f"[{CONTROL_CLASS}\ufffe\uffff]")
# PCRE metacharacters, for regular expressions that must match a number or name literally.
_PCRE_ESCAPES = str.maketrans({c: "\\" + c for c in "\\^$.|?*+()[]{}/-"})


_PREPROCESSOR = re.compile("x-pre-process", re.IGNORECASE)


def clean(text: str) -> str:
    """Text for an attribute: control characters are dropped, and the word FreeSWITCH's line-based
    pre-processor acts on is broken (it drops any line containing it, and our documents are one line)."""
    text = str(text)
    if text.isascii() and text.isprintable():  # the common case, and much cheaper than the regex
        return _PREPROCESSOR.sub("x-pre_process", text) if "-pre-" in text.lower() else text
    return _PREPROCESSOR.sub("x-pre_process", _NOT_XML.sub("", text))


def literal(text: str) -> str:
    """User text inside a FreeSWITCH action: no variable or API expansion ($ and the braces are made
    inert, and no backslash, FreeSWITCH's escape character), no XML-forbidden characters; the serializer
    escapes <, >, & and quotes."""
    return clean(text).replace("$", "").replace("{", "(").replace("}", ")").replace("\\", "/")


def regex_literal(text: str) -> str:
    """A string as a PCRE pattern that matches exactly that string."""
    return clean(text).translate(_PCRE_ESCAPES)


class Exact(str):
    """A pattern made by exact(), carrying the texts it matches: a dialplan's index of numbers
    (web.xml_curl.dialplan.literal_shape) takes them from here instead of reading them back out of the
    pattern, some 3 us an extension over a company's thousands (#20). Used as the str it is everywhere else."""

    alternatives: tuple[str, ...]


def exact(*alternatives: str) -> str:
    """^(a|b|c)$ for literal alternatives."""
    # (one alternative, a user's or a number's own extension, is most of a company's thousands: no generator)
    texts = (clean(alternatives[0]),) if len(alternatives) == 1 else tuple([clean(a) for a in alternatives])
    pattern = Exact("^(" + "|".join(text.translate(_PCRE_ESCAPES) for text in texts) + ")$")
    pattern.alternatives = texts
    return pattern


def exact_after(head: str, *alternatives: str) -> str:
    """^head(a|b|c)$ for a literal head and literal alternatives (an Exact of head+a, head+b, ...)."""
    start = clean(head)
    tail, texts = _alternation(alternatives)
    pattern = Exact("^" + start.translate(_PCRE_ESCAPES) + tail)
    pattern.alternatives = tuple([start + text for text in texts])
    return pattern


@lru_cache(maxsize=256)
def _alternation(alternatives: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """"(a|b|c)$" and the texts it matches: the same few for every user of a company (exact_after)."""
    texts = tuple(clean(a) for a in alternatives)
    return "(" + "|".join(text.translate(_PCRE_ESCAPES) for text in texts) + ")$", texts


def after_patterns(head: str, groups: tuple) -> list[str]:
    """[exact_after(head, *group) for group in groups] + [prefix(head)]: the same patterns, the head
    cleaned and escaped once (the base dialplan makes three of them for each of a company's users, #20)."""
    start = clean(head)
    escaped = "^" + start.translate(_PCRE_ESCAPES)
    found = []
    for group in groups:
        tail, texts = _alternation(group)
        pattern = Exact(escaped + tail)
        pattern.alternatives = tuple([start + text for text in texts])
        found.append(pattern)
    pattern = Prefix(escaped + ".*$")
    pattern.text = start
    found.append(pattern)
    return found


class Prefix(str):
    """A pattern made by prefix(), carrying the text it starts with (as Exact carries its texts)."""

    text: str


def prefix(text: str) -> str:
    """^text.*$: whatever starts with a literal text."""
    start = clean(text)
    pattern = Prefix("^" + start.translate(_PCRE_ESCAPES) + ".*$")
    pattern.text = start
    return pattern


class Document:
    """<document type="freeswitch/xml"><section name=...>...</section></document>"""

    def __init__(self, section: str, description: str | None = None):
        self.root = ET.Element("document", {"type": "freeswitch/xml"})
        attributes = {"name": section}
        if description:
            attributes["description"] = clean(description)
        self.section = ET.SubElement(self.root, "section", attributes)

    def child(self, parent: ET.Element, tag: str, **attributes) -> ET.Element:
        return ET.SubElement(parent, tag, {key: clean(value) for key, value in attributes.items() if value is not None})

    def to_string(self) -> str:
        return serialize(self.root)


# What ElementTree's serializer escapes in an attribute value, the same way (tests compare the two).
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"})


def serialize(element: ET.Element) -> str:
    """The tree as text, byte for byte what ET.tostring(element, encoding="unicode") gives for our
    documents (attributes only, no text, no namespaces), several times faster: ElementTree's pure-Python
    serializer first walks the whole tree for namespaces, which a dialplan of 10,000 steps feels. Every
    value still passes through one escaping table; nothing is concatenated unescaped."""
    parts: list[str] = []
    _write(element, parts)
    return "".join(parts)


_NEEDS_ESCAPE = re.compile('[&<>"\n\r\t]')


def _escape(value: str) -> str:
    return value.translate(_ATTRIBUTE_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _write(element: ET.Element, parts: list[str]) -> None:
    append = parts.append
    append("<" + element.tag + "".join([f' {name}="{_escape(value)}"' for name, value in element.attrib.items()]))
    if len(element):
        append(">")
        for child in element:
            _write(child, parts)
        append(f"</{element.tag}>")
    else:
        append(" />")


def _plain(text: str) -> bool:
    """Does clean() and _escape() leave `text` as it is? Printable ASCII without &, <, > or ", not holding
    the pre-processor's word. Checked with str methods (each a C loop) rather than a regular expression,
    several times faster; on many values joined by spaces at once (no value can hide a character at a
    join, and the word holds no space), so a whole extension is checked in one go."""
    return (text.isascii() and text.isprintable() and '"' not in text and "&" not in text and "<" not in text
            and ">" not in text and "-pre-" not in text.lower())


def attribute_text(value) -> str:
    """A value as it stands between the quotes of an attribute: cleaned and escaped like every other."""
    if value.__class__ is str and _plain(value):
        return value
    return _escape(clean(value))


def _start(tag: str, attributes: tuple, empty: bool) -> str:
    written = "".join([f' {name}="{attribute_text(value)}"' for name, value in attributes if value is not None])
    return f"<{tag}{written}{' />' if empty else '>'}"


def _action(tag: str, application, data) -> str:
    """One <action> or <anti-action>: _start(tag, (("application", ...), ("data", ...)), True)."""
    return _start(tag, (("application", application), ("data", data)), True)


def _all_plain(values: list) -> bool:
    """Are these all strings that attribute_text() leaves as they are (checked together)?"""
    try:
        return _plain(" ".join(values))
    except TypeError:  # a value that is not a string (None, a number, a value decided per fetch)
        return False


def _plain_segment(name: str, expression: str, actions) -> str:
    """_segment()'s common case, its values known to be plain."""
    return "".join([f'<extension name="{name}"><condition field="destination_number" expression="{expression}">',
                    *[f'<action application="{application}" data="{data}" />' for application, data in actions],
                    "</condition></extension>"])


def _segment(name, expression, actions) -> str:
    """<extension name><condition field="destination_number" expression>actions</condition></extension>:
    what _start() writes for each element, in one piece when every value is plain (the common case)."""
    if actions and _all_plain([name, expression, *[value for action in actions for value in action]]):
        return _plain_segment(name, expression, actions)
    if not actions:
        return _start("extension", (("name", name),), False) + _start(
            "condition", (("field", "destination_number"), ("expression", expression)), True) + "</extension>"
    return "".join([_start("extension", (("name", name),), False),
                    _start("condition", (("field", "destination_number"), ("expression", expression)), False),
                    *[_action("action", application, data) for application, data in actions],
                    "</condition></extension>"])


_CONTROLS = bytes(range(32)) + b"\x7f"  # the ASCII that isprintable() refuses
_LOWER = bytes(range(256)).lower()  # bytes.translate table: ASCII letters to lower case


def _all_plain_long(text: str) -> bool:
    """_plain() for a long text (a whole document's values): the same answer, with C loops that cost a
    fraction of str.isprintable() per character."""
    if not text.isascii() or '"' in text or "&" in text or "<" in text or ">" in text:
        return False
    encoded = text.encode("ascii")
    lowered = encoded.translate(_LOWER, _CONTROLS)  # in one pass: control characters dropped, the rest lowered
    return len(lowered) == len(encoded) and b"-pre-" not in lowered


# Extensions checked and written together: enough that the per-extension cost goes, few enough that the
# texts checked stay in the processor's cache (measured: 64 beat a whole document of 1,000 at once)
_CHUNK = 64


def _plain_body(extensions: list) -> str | None:
    """Every extension as _segment() writes it in its common case, in one piece: when every extension
    has actions and every value of the document is a string _plain() leaves as it is, checked at once on
    all of them (per extension, the checking cost more than the writing); None when not."""
    if not extensions:
        return None
    names, expressions, action_lists = zip(*extensions)
    if not all(action_lists):
        return None
    try:
        values = " ".join(chain(names, expressions, chain.from_iterable(chain.from_iterable(action_lists))))
    except TypeError:  # a value that is not a string (None, a number, a value decided per fetch)
        return None
    if not _all_plain_long(values):
        return None
    return "".join([f'<extension name="{name}"><condition field="destination_number" expression="{expression}">'
                    + "".join([f'<action application="{application}" data="{data}" />' for application, data in actions])
                    + "</condition></extension>" for name, expression, actions in extensions])


def dialplan(context: str, extensions, description: str | None = None) -> str:
    """A dialplan document streamed straight from (name, expression, actions) triples: the same text
    Document + serialize() gives (a test compares them), without building a tree first, because a plan
    of thousands of steps is mostly small <action> elements and the tree is the largest cost. Every value
    goes through clean() and the one escaping table, exactly as in the tree builder."""
    extensions = list(extensions)
    parts = [_start("document", (("type", "freeswitch/xml"),), False),
             _start("section", (("name", "dialplan"), ("description", description)), False),
             _start("context", (("name", context),), not extensions)]
    for start in range(0, len(extensions), _CHUNK):
        chunk = extensions[start:start + _CHUNK]
        body = _plain_body(chunk)
        if body is not None:
            parts.append(body)
        else:
            parts += [_segment(name, expression, actions) for name, expression, actions in chunk]
    parts.append("</context></section></document>" if extensions else "</section></document>")
    return "".join(parts)


def plain_extensions(extensions: list) -> list:
    """extension_pieces()'s common case for many (name, conditions) at once: for each, its one piece
    when it is a single destination_number condition with actions, no anti-actions and only plain
    values, else None (extension_pieces() writes it). Checked _CHUNK at a time, as dialplan() checks
    its extensions: the check per extension cost a company's thousands of extensions more than the
    writing (#20). A chunk that is not plain as a whole is checked extension by extension, as before."""
    found: list = []
    for start in range(0, len(extensions), _CHUNK):
        chunk = extensions[start:start + _CHUNK]
        firsts = [conditions[0] if len(conditions) == 1 else None for _, conditions in chunk]
        if all(first is not None and len(first) == 4 and first[0] == "destination_number" and first[2] and not first[3]
               for first in firsts):
            try:
                values = " ".join(chain([name for name, _ in chunk], [first[1] for first in firsts],
                                        chain.from_iterable(chain.from_iterable(first[2] for first in firsts))))
            except TypeError:  # a value that is not a string (None, a number, a value decided per fetch)
                values = None
            if values is not None and _all_plain_long(values):
                found += [_plain_segment(name, first[1], first[2]) for (name, _), first in zip(chunk, firsts)]
                continue
        for (name, _), first in zip(chunk, firsts):
            plain = first is not None and len(first) == 4 and first[0] == "destination_number" and first[2] and \
                not first[3] and _all_plain([name, first[1], *[value for action in first[2] for value in action]])
            found.append(_plain_segment(name, first[1], first[2]) if plain else None)
    return found


def extension_pieces(name: str, conditions) -> list:
    """One <extension>, streamed as `dialplan()` streams them, from (field, expression, actions,
    anti_actions[, break]) conditions. An action's data that is not a string (a value decided when the document
    is served, such as a ring group's ring_group.Rotation) is left in the list as it is, between the text
    up to `data="` and the text after it: the server renders it with attribute_text(). Adjacent text is
    joined, so a list of one string is an extension with nothing left open."""
    if len(conditions) == 1:
        field, expression, actions, anti_actions = conditions[0]
        if field == "destination_number" and actions and not anti_actions and \
                _all_plain([name, expression, *[value for action in actions for value in action]]):
            return [_plain_segment(name, expression, actions)]  # the common case, in one piece (checked once)
    pieces: list = [_start("extension", (("name", name),), not conditions)]
    for field, expression, actions, anti_actions, *options in conditions:
        # a fifth item is the condition's `break` (e.g. "never": the extension goes on whether it held)
        empty = not actions and not anti_actions
        attributes = (("field", field), ("expression", expression)) + ((("break", options[0]),) if options else ())
        pieces.append(_start("condition", attributes, empty))
        for tag, items in (("action", actions), ("anti-action", anti_actions)):
            for application, data in items:
                if data is None or isinstance(data, str):
                    pieces.append(_action(tag, application, data))
                else:
                    pieces += [f'<{tag} application="{attribute_text(application)}" data="', data, '" />']
        if not empty:
            pieces.append("</condition>")
    if conditions:
        pieces.append("</extension>")
    joined: list = []
    for piece in pieces:
        if isinstance(piece, str) and joined and isinstance(joined[-1], str):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def context_head(context: str, description: str | None = None) -> tuple[str, str]:
    """The text before and after a context's extensions (a context with at least one)."""
    return (_start("document", (("type", "freeswitch/xml"),), False)
            + _start("section", (("name", "dialplan"), ("description", description or None)), False)
            + _start("context", (("name", context),), False)), "</context></section></document>"


def context_document(context: str, extensions, description: str | None = None) -> str:
    """A dialplan document of one context from (name, conditions) extensions whose data are all strings:
    the text the Document tree builder gives (tests compare), streamed."""
    extensions = list(extensions)
    if not extensions:
        return dialplan(context, (), description or None)
    head, tail = context_head(context, description)
    body = []
    for name, conditions in extensions:
        pieces = extension_pieces(name, conditions)
        assert len(pieces) == 1, f"extension {name} has a value left open"
        body.append(pieces[0])
    return head + "".join(body) + tail


def not_found() -> str:
    """The answer that makes FreeSWITCH fall back to its static XML (fixtures README)."""
    document = Document("result")
    document.child(document.section, "result", status="not found")
    return document.to_string()
