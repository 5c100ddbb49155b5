"""callplan.text: the one definition of what no line of text a phone shows may hold (#11 item 6)."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from callplan.text import CONTROL_CLASS, plain_block, plain_text, without_controls

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_the_class_is_the_unicode_categories_it_stands_for():
    """Cc (C0, DEL, C1), Cs (surrogates), Zl, Zp and the bidi overrides and isolates, nothing else."""
    import re

    pattern = re.compile(f"[{CONTROL_CLASS}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI
        assert bool(pattern.match(char)) == expected, f"U+{code:04X}"


@pytest.mark.parametrize("char", ["\r", "\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", *sorted(BIDI)])
def test_a_line_refuses_every_control_character_a_block_keeps_line_feeds_and_tabs(char):
    with pytest.raises(ValueError):
        plain_text(f"An{char}na")
    if char in "\n\t":
        assert plain_block(f"An{char}na") == f"An{char}na"
    else:
        with pytest.raises(ValueError):
            plain_block(f"An{char}na")
    assert without_controls(f"An{char}na") == "Anna"


def test_ordinary_text_passes_unchanged():
    for text in ("Anna de Vries", "Zoë O'Brien", "中文 العربية", "😀 👨‍👩‍👧", "R&D <sales>", "\u200dzwj", ""):
        assert plain_text(text) == text == plain_block(text)
