"""cmd output, where cmd cannot run: every line checked against the rule, every refusal checked.

The rule: `SET "NAME=value"` lines, which cmd reads as everything between the first and the last
quote, split at the first `=`. Through `FOR /F ... DO @%i` each line arrives after `%` expansion
and `& | < > " ^` handling, while in a .cmd file `%` would expand and with delayed expansion `!`
would, so a value holding any of `" % ! ^ & | < >` is refused, as are control characters, and
non-ASCII ones too (FOR /F decodes envgen's output in the console code page). The base64
alphabet, space and `-_.:,@~` are never refused. A line holds at most 8191 characters.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ENVGEN
from envgen.credentials import Changes, Credentials
from envgen.dialects import SHELLS, UnsupportedValue
from hostile_values import HOSTILE_IDS, HOSTILE_VALUES, environment_after_import, value_text
from refusals import CMD_LINE_LIMIT, NEVER_CARRIED, UTF8_LOCALE, refused_characters, refuses

CMD = SHELLS["cmd"]
# The printable characters cmd refuses, each named in its refusal.
SPECIAL = refused_characters("cmd").replace(NEVER_CARRIED, "")
ALWAYS_CARRIED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= -_.:,@~"
EXPIRATION = datetime(2099, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
LINE = re.compile(r'SET "(?P<name>(?:AWS|ENVGEN)_[A-Z_]+)=(?P<value>[^"]*)"')


def apply_set_lines(output: str, environment: dict[str, str]) -> dict[str, str]:
    """Check every line against the rule and apply it as cmd's SET does."""
    result = dict(environment)
    assert output.endswith("\n") and "\r" not in output
    for line in output.splitlines():
        assert len(line) <= CMD_LINE_LIMIT, f"a {len(line)}-character line"
        match = LINE.fullmatch(line)
        assert match, f'not a SET "NAME=value" line: {line[:100]!r}'
        value = match["value"]
        assert not any(refuses("cmd", char) for char in value), line[:100]
        if value:
            result[match["name"]] = value
        else:
            result.pop(match["name"], None)
    return result


def render(secret: str, token: str | None = "token") -> str:
    credentials = Credentials("AKIDEXAMPLE", secret, token, EXPIRATION)
    return CMD.render(Changes.from_credentials(credentials), UTF8_LOCALE)


def expected_environment(secret: str, token: str | None = "token") -> dict[str, str]:
    return environment_after_import({"PATH": "C:\\Windows"}, secret, token)


STALE = {"PATH": "C:\\Windows", "AWS_SESSION_TOKEN": "stale", "AWS_REGION": "stale-region"}


def check(secret: str) -> None:
    """A value cmd can carry comes back exactly; any other is refused, naming the character."""
    refused = [char for char in secret if refuses("cmd", char)]
    if refused:
        with pytest.raises(UnsupportedValue) as refusal:
            render(secret)
        assert "AWS_SECRET_ACCESS_KEY contains " in refusal.value.message
        assert "which cmd cannot carry exactly" in refusal.value.message
        assert f"(U+{ord(refused[0]):04X})" in refusal.value.message
    elif refuses("cmd", secret, "AWS_SECRET_ACCESS_KEY"):
        with pytest.raises(UnsupportedValue, match="longer than cmd's 8191"):
            render(secret)
    else:
        assert apply_set_lines(render(secret), STALE) == expected_environment(secret)


@pytest.mark.parametrize("value", [value for _, value in HOSTILE_VALUES], ids=HOSTILE_IDS)
def test_hostile_values_are_carried_exactly_or_refused(value: str) -> None:
    check(value)


@settings(max_examples=300, deadline=None)
@given(value_text(max_size=60))
def test_generated_values_are_carried_exactly_or_refused(value: str) -> None:
    check(value)


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from(ALWAYS_CARRIED), min_size=1, max_size=200))
def test_base64_space_and_punctuation_are_never_refused(value: str) -> None:
    assert apply_set_lines(render(value), STALE) == expected_environment(value)


def test_every_always_carried_character_at_once() -> None:
    assert apply_set_lines(render(ALWAYS_CARRIED), STALE) == expected_environment(ALWAYS_CARRIED)


@pytest.mark.parametrize(
    ("char", "described"),
    [
        *((char, f"{char!r} (U+{ord(char):04X})") for char in SPECIAL),
        ("\n", "a newline (U+000A)"),
        ("\r", "a carriage return (U+000D)"),
        ("\t", "a tab (U+0009)"),
        ("\x1b", "a control character (U+001B)"),
        ("\x7f", "a control character (U+007F)"),
        ("\0", "a NUL byte (U+0000)"),
        ("\u00e9", "'\u00e9' (U+00E9)"),
        ("\U0001f600", "'\U0001f600' (U+1F600)"),
    ],
)
def test_each_refused_character_is_named(char: str, described: str) -> None:
    with pytest.raises(UnsupportedValue) as refusal:
        render(f"abc{char}def")
    assert refusal.value.message.startswith(
        f"AWS_SECRET_ACCESS_KEY contains {described}, which cmd cannot carry exactly"
    )


def test_lines_up_to_the_limit_are_written_and_longer_ones_refused() -> None:
    room = CMD_LINE_LIMIT - len('SET "AWS_SESSION_TOKEN="')
    longest = "T" * room
    output = CMD.render(
        Changes.from_credentials(Credentials("AKIDEXAMPLE", "secret", longest, EXPIRATION)),
        UTF8_LOCALE,
    )
    assert max(len(line) for line in output.splitlines()) == CMD_LINE_LIMIT
    assert apply_set_lines(output, {})["AWS_SESSION_TOKEN"] == longest
    with pytest.raises(UnsupportedValue) as refusal:
        CMD.render(
            Changes.from_credentials(
                Credentials("AKIDEXAMPLE", "secret", longest + "T", EXPIRATION)
            ),
            UTF8_LOCALE,
        )
    assert refusal.value.message.startswith(
        "AWS_SESSION_TOKEN would need a 8192-character line, longer than cmd's 8191"
    )


def test_clear_sets_every_managed_variable_empty() -> None:
    output = CMD.render(Changes.clearing(), UTF8_LOCALE)
    assert apply_set_lines(output, dict(STALE, AWS_ACCESS_KEY_ID="old")) == {"PATH": "C:\\Windows"}


def test_real_envgen_refuses_with_empty_stdout_and_one_line(tmp_path: Path) -> None:
    document = tmp_path / "credentials.json"
    document.write_text(
        json.dumps(
            {
                "AccessKeyId": "AKIDEXAMPLE",
                "SecretAccessKey": "fine",
                "SessionToken": "to%PATH%ken",
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [ENVGEN, "import", str(document), "--shell", "cmd"], capture_output=True, text=True
    )
    assert completed.returncode != 0
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert "AWS_SESSION_TOKEN contains '%' (U+0025), which cmd cannot carry" in completed.stderr

    document.write_text(
        json.dumps(
            {
                "AccessKeyId": "AKIDEXAMPLE",
                "SecretAccessKey": ALWAYS_CARRIED,
                "SessionToken": "t/k+n=",
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [ENVGEN, "import", str(document), "--shell", "cmd"], capture_output=True, check=True
    )
    applied = apply_set_lines(completed.stdout.decode("ascii"), {})
    assert applied["AWS_SECRET_ACCESS_KEY"] == ALWAYS_CARRIED
    assert applied["AWS_SESSION_TOKEN"] == "t/k+n="
