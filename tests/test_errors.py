"""How a message becomes text for the terminal: errors.printable, the one escaping rule."""

from __future__ import annotations

import pytest

from envgen.errors import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, kept as it is: é ü 東京 ✓", "plain text, kept as it is: é ü 東京 ✓"),
        ("three   spaces stay", "three   spaces stay"),
        ("ESC \x1b[31m red", "ESC \\x1b[31m red"),
        ("bell \x07 NUL \x00 DEL \x7f", "bell \\x07 NUL \\x00 DEL \\x7f"),
        ("line\nbreak\rand\ttab", "line\\nbreak\\rand\\ttab"),
        ("C1: CSI \u009b and NEL \u0085", "C1: CSI \\x9b and NEL \\x85"),
        ("bidi \u202a\u202b\u202c\u202d\u202e", "bidi \\u202a\\u202b\\u202c\\u202d\\u202e"),
        ("isolates \u2066\u2067\u2068\u2069", "isolates \\u2066\\u2067\\u2068\\u2069"),
        ("marks \u200e\u200f\u061c", "marks \\u200e\\u200f\\u061c"),
        ("zero width \u200b\ufeff", "zero width \\u200b\\ufeff"),
        ("separators \u2028\u2029", "separators \\u2028\\u2029"),
        ("tag \U000e0041", "tag \\U000e0041"),
        ("surrogate \udcff", "surrogate \\udcff"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(shown) == shown
