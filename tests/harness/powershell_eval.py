"""Evaluate envgen's PowerShell output by PowerShell's own rules, where PowerShell cannot run.

Written from PowerShell's tokenizer (tokenizer.cs, `ScanStringLiteral`, and CharTraits'
`IsSingleQuote`) and its documented operator rules, and kept apart from envgen's quoting, so a
slip in that quoting shows up here as a wrong value or an error:

- A verbatim string starts at any of the five single-quote characters `'` U+2018 U+2019 U+201A
  U+201B and ends at the next one, unless another of the five follows at once: then the pair
  stands for one literal character, the second of the two.
- `piped | Invoke-Expression` runs each line of the piped text as its own script, so a string
  left open at the end of its line is an error, not a string that goes on.
- `+` is left-associative. With a string on its left it concatenates the right operand's text;
  with a [char] or a number on its left it adds numbers ([char]65 + [char]66 is 131).
- `[char]0xNNNN` (or decimal) is one UTF-16 code unit; .NET strings are UTF-16, so a character
  beyond the BMP is a pair of them.
- `$env:NAME = value` sets the variable (to the value's text; an empty string removes it);
  `Remove-Item [-Path] Env:NAME -ErrorAction SilentlyContinue` removes it.

Anything else (double-quoted strings, `;`, `#`, subexpressions, pipelines, other commands) is
refused with PowerShellError: envgen's output has no business containing it.
"""

from __future__ import annotations

import re

SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e')

_CHAR_CAST = re.compile(r"\[(?:system\.)?char\]", re.IGNORECASE)
_INTEGER = re.compile(r"0x[0-9A-Fa-f]+|[0-9]+")
_ENV_TARGET = re.compile(r"\$env:([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


class PowerShellError(Exception):
    """The line would fail in PowerShell, or uses something this evaluator does not model."""


class _Text:
    """A .NET string: a sequence of UTF-16 code units."""

    def __init__(self, units: list[int]) -> None:
        self.units = units

    @classmethod
    def of(cls, text: str) -> _Text:
        raw = text.encode("utf-16-le", "surrogatepass")
        return cls([int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)])

    def python(self) -> str:
        raw = b"".join(unit.to_bytes(2, "little") for unit in self.units)
        return raw.decode("utf-16-le", "surrogatepass")


class _Char(int):
    """A [char]: one UTF-16 code unit."""


def split_lines(text: str) -> list[str]:
    # PowerShell reads a native command's output line by line as .NET's ReadLine
    # does: CR, LF and CRLF all end a line.
    return re.split(r"\r\n|\r|\n", text)


class _Line:
    def __init__(self, text: str, number: int) -> None:
        self.text = text
        self.number = number
        self.pos = 0

    def fail(self, message: str) -> PowerShellError:
        return PowerShellError(f"line {self.number}, column {self.pos + 1}: {message}")

    def skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_blanks()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, token: str) -> None:
        self.skip_blanks()
        if not self.text.startswith(token, self.pos):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def verbatim_string(self) -> _Text:
        """A single-quoted string; the opening quote is at self.pos."""
        self.pos += 1
        units: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.fail("the string is not terminated on its line")
            char = self.text[self.pos]
            self.pos += 1
            if char in SINGLE_QUOTES:
                if self.peek() not in SINGLE_QUOTES:
                    break
                char = self.text[self.pos]
                self.pos += 1
            units.append(char)
        return _Text.of("".join(units))

    def operand(self) -> _Text | _Char:
        self.skip_blanks()
        char = self.peek()
        if char in SINGLE_QUOTES:
            return self.verbatim_string()
        if char in DOUBLE_QUOTES:
            raise self.fail("a double-quoted string expands $ and ` inside it")
        cast = _CHAR_CAST.match(self.text, self.pos)
        if cast:
            self.pos = cast.end()
            self.skip_blanks()
            number = _INTEGER.match(self.text, self.pos)
            if not number:
                raise self.fail("[char] is not followed by a number")
            self.pos = number.end()
            value = int(number.group(), 0)
            if value > 0xFFFF:
                raise self.fail(f"{number.group()} does not fit in a [char]")
            return _Char(value)
        raise self.fail(f"unexpected {char!r}" if char else "an operand is missing")

    def expression(self) -> _Text | int:
        value: _Text | int = self.operand()
        while not self.at_end():
            self.expect("+")
            right = self.operand()
            if isinstance(value, _Text):
                right_text = _Text([int(right)]) if isinstance(right, _Char) else right
                value = _Text(value.units + right_text.units)
            elif isinstance(right, _Char):
                value = int(value) + int(right)
            else:
                raise self.fail("adding a string to a [char] or a number is arithmetic")
        return value


def _assign(line: _Line, environment: dict[str, str]) -> None:
    target = _ENV_TARGET.match(line.text, line.pos)
    assert target
    line.pos = target.end()
    line.expect("=")
    value = line.expression()
    if isinstance(value, _Text):
        text = value.python()
    elif isinstance(value, _Char):
        text = _Text([int(value)]).python()
    else:
        text = str(value)
    if text:
        environment[target.group(1)] = text
    else:
        environment.pop(target.group(1), None)


def _remove_item(line: _Line, environment: dict[str, str]) -> None:
    words = line.text.split()
    if any(char in line.text for char in "'\"`$;#|&(){}") or words[0].lower() != "remove-item":
        raise line.fail("not a plain Remove-Item command")
    arguments = words[1:]
    path = None
    silent = False
    index = 0
    while index < len(arguments):
        word = arguments[index].lower()
        if word in ("-path", "-literalpath") and index + 1 < len(arguments):
            path = arguments[index + 1]
            index += 2
        elif word == "-erroraction" and index + 1 < len(arguments):
            silent = arguments[index + 1].lower() in ("silentlycontinue", "ignore")
            index += 2
        elif not word.startswith("-") and path is None:
            path = arguments[index]
            index += 1
        else:
            raise line.fail(f"Remove-Item argument {arguments[index]!r} is not modelled")
    match = re.fullmatch(r"env:([A-Za-z_][A-Za-z0-9_]*)", path or "", re.IGNORECASE)
    if not match:
        raise line.fail(f"Remove-Item path {path!r} is not an Env: variable")
    if match.group(1) not in environment and not silent:
        raise line.fail(f"Env:{match.group(1)} does not exist")
    environment.pop(match.group(1), None)


def evaluate(script: str, environment: dict[str, str] | None = None) -> dict[str, str]:
    """The environment after `script | Invoke-Expression`, starting from `environment`."""
    result = dict(environment or {})
    for number, text in enumerate(split_lines(script), start=1):
        line = _Line(text, number)
        if line.at_end():
            continue
        if _ENV_TARGET.match(text, line.pos):
            _assign(line, result)
        elif text[line.pos :].lower().startswith("remove-item"):
            _remove_item(line, result)
        else:
            raise line.fail("neither an $env: assignment nor Remove-Item")
    return result


def statement_lines(script: str) -> list[str]:
    return [line for line in split_lines(script) if line.strip()]
