"""Every dialect's exact text for chosen inputs, and exactly which values each one refuses.

The real-shell tests beside this file prove these texts in the real shells (or by PowerShell's
and cmd's rules); the tables here pin them down, so a change to a quoting rule shows up as a readable diff.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envgen.credentials import Changes, Credentials
from envgen.dialects import FORMATS, SHELLS, UnsupportedValue
from refusals import UTF8_LOCALE, refuses

EXPIRATION = datetime(2030, 1, 31, 12, 0, tzinfo=timezone.utc)
ADVICE = "; refusing rather than changing the value; --format json carries any value"


def members(family: str) -> list[str]:
    """The registry's shells and formats of one family (one folder under templates/)."""
    return [name for name, output in {**SHELLS, **FORMATS}.items() if output.family == family]


def test_the_registry_holds_every_shell_shellingham_names_and_both_formats() -> None:
    # What detection answers needs no mapping: these are shellingham's own names.
    detected = {"sh", "bash", "dash", "ash", "csh", "tcsh", "ksh", "zsh", "fish", "cmd"}
    detected |= {"powershell", "pwsh", "elvish", "xonsh", "nu"}
    assert detected <= set(SHELLS)
    assert set(FORMATS) == {"json", "dotenv"}


def test_every_family_has_its_quoting_pinned_here() -> None:
    # A shell of a new family shows up here until its exact text is pinned below.
    shell_families = {dialect.family for dialect in SHELLS.values()}
    assert shell_families == set(IDIOMS)
    assert shell_families | {"dotenv"} == set(QUOTED)


# --- one value, every family: input -> the exact line


def one_line(name: str, value: str) -> str:
    dialect = SHELLS.get(name) or FORMATS[name]
    return dialect.render(Changes({"AWS_SESSION_TOKEN": value}, ()), UTF8_LOCALE)


QUOTED = {
    "posix": [
        ("plain", "export AWS_SESSION_TOKEN='plain';\n"),
        ("it's", "export AWS_SESSION_TOKEN='it'\\''s';\n"),
        ("back\\slash\\", "export AWS_SESSION_TOKEN='back\\slash\\';\n"),
        ("$(x) `y` !z %P%", "export AWS_SESSION_TOKEN='$(x) `y` !z %P%';\n"),
        ("two\nlines\r", "export AWS_SESSION_TOKEN='two\nlines\r';\n"),
        (
            "\u2019curly\u2018 \U0001f600",
            "export AWS_SESSION_TOKEN='\u2019curly\u2018 \U0001f600';\n",
        ),
        ("-e", "export AWS_SESSION_TOKEN='-e';\n"),
    ],
    "fish": [
        ("plain", "set -gx -- AWS_SESSION_TOKEN 'plain';\n"),
        ("it's", "set -gx -- AWS_SESSION_TOKEN 'it\\'s';\n"),
        ("back\\slash\\", "set -gx -- AWS_SESSION_TOKEN 'back\\\\slash\\\\';\n"),
        ("\\'", "set -gx -- AWS_SESSION_TOKEN '\\\\\\'';\n"),
        ("$(x) `y` !z %P%", "set -gx -- AWS_SESSION_TOKEN '$(x) `y` !z %P%';\n"),
        ("two\nlines\r", "set -gx -- AWS_SESSION_TOKEN 'two\nlines\r';\n"),
        ("-e", "set -gx -- AWS_SESSION_TOKEN '-e';\n"),
    ],
    "csh": [
        ("plain", "setenv AWS_SESSION_TOKEN 'plain';\n"),
        ("it's", "setenv AWS_SESSION_TOKEN 'it'\\''s';\n"),
        # Outside the quotes `\\` is one backslash, with or without backslash_quote.
        ("back\\slash\\", "setenv AWS_SESSION_TOKEN 'back'\\\\'slash'\\\\'';\n"),
        # History substitution reaches inside single quotes.
        ("!! x!y", "setenv AWS_SESSION_TOKEN '\\!\\! x\\!y';\n"),
        ("$(x) `y` %P% {a,b} *", "setenv AWS_SESSION_TOKEN '$(x) `y` %P% {a,b} *';\n"),
        (
            "\u2019curly\u2018 \U0001f600",
            "setenv AWS_SESSION_TOKEN '\u2019curly\u2018 \U0001f600';\n",
        ),
    ],
    "elvish": [
        ("plain", "set-env AWS_SESSION_TOKEN 'plain'\n"),
        ("it's", "set-env AWS_SESSION_TOKEN 'it''s'\n"),
        ("back\\slash\\", "set-env AWS_SESSION_TOKEN 'back\\slash\\'\n"),
        ("$x (put y) two\nlines\r", "set-env AWS_SESSION_TOKEN '$x (put y) two\nlines\r'\n"),
    ],
    "xonsh": [
        ("plain", "$AWS_SESSION_TOKEN = 'plain'\n"),
        ("it's", '$AWS_SESSION_TOKEN = "it\'s"\n'),
        ("'\"", "$AWS_SESSION_TOKEN = '\\'\"'\n"),
        ("back\\slash\\", "$AWS_SESSION_TOKEN = 'back\\\\slash\\\\'\n"),
        ("@(x) $(y) $Z", "$AWS_SESSION_TOKEN = '@(x) $(y) $Z'\n"),
        ("two\nlines\r", "$AWS_SESSION_TOKEN = 'two\\nlines\\r'\n"),
        ("\u2019 \U0001f600", "$AWS_SESSION_TOKEN = '\\u2019 \\U0001f600'\n"),
    ],
    "nu": [
        ("plain", '{\n  "AWS_SESSION_TOKEN": "plain"\n}\n'),
        ('it\'s "q"', '{\n  "AWS_SESSION_TOKEN": "it\'s \\"q\\""\n}\n'),
        ("back\\slash\\", '{\n  "AWS_SESSION_TOKEN": "back\\\\slash\\\\"\n}\n'),
        ("two\nlines\r", '{\n  "AWS_SESSION_TOKEN": "two\\nlines\\r"\n}\n'),
        ("\U0001f600", '{\n  "AWS_SESSION_TOKEN": "\\ud83d\\ude00"\n}\n'),
    ],
    "powershell": [
        ("plain", "$env:AWS_SESSION_TOKEN = 'plain'\n"),
        ("it's", "$env:AWS_SESSION_TOKEN = 'it''s'\n"),
        ("back\\slash\\ $(x) `y`", "$env:AWS_SESSION_TOKEN = 'back\\slash\\ $(x) `y`'\n"),
        # The four other single quotes never reach a literal, where they would end it.
        (
            "a\u2018b\u2019c\u201ad\u201be",
            "$env:AWS_SESSION_TOKEN = 'a' + [char]0x2018 + 'b' + [char]0x2019 + 'c'"
            " + [char]0x201A + 'd' + [char]0x201B + 'e'\n",
        ),
        # One statement per line, for Invoke-Expression.
        ("two\nlines", "$env:AWS_SESSION_TOKEN = 'two' + [char]0x000A + 'lines'\n"),
        # A leading string makes `+` concatenate rather than add [char] codes.
        ("\r\t", "$env:AWS_SESSION_TOKEN = '' + [char]0x000D + [char]0x0009\n"),
        ("caf\u00e9", "$env:AWS_SESSION_TOKEN = 'caf' + [char]0x00E9\n"),
        ("\U0001f600", "$env:AWS_SESSION_TOKEN = '' + [char]0xD83D + [char]0xDE00\n"),
    ],
    "cmd": [
        ("plain", 'SET "AWS_SESSION_TOKEN=plain"\n'),
        ("a b-_.:,@~+/=", 'SET "AWS_SESSION_TOKEN=a b-_.:,@~+/="\n'),
        (" spaced ", 'SET "AWS_SESSION_TOKEN= spaced "\n'),
    ],
    "dotenv": [
        ("plain", "AWS_SESSION_TOKEN='plain'\n"),
        ('a "b" #c $d', "AWS_SESSION_TOKEN='a \"b\" #c $d'\n"),
        ("\u2019 \U0001f600", "AWS_SESSION_TOKEN='\u2019 \U0001f600'\n"),
    ],
}


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        pytest.param(name, value, text, id=f"{name}-{value[:12]!r}")
        for family, cases in QUOTED.items()
        for name in members(family)
        for value, text in cases
    ],
)
def test_a_value_becomes_exactly_this_text(name: str, value: str, text: str) -> None:
    assert one_line(name, value) == text


def test_csh_builds_a_long_value_from_short_lines() -> None:
    # BSD csh stops at a backquoted line of 4091 bytes; every line here stays under 1000.
    value = "x" * 900 + "'" + "y" * 600
    assert one_line("csh", value) == (
        "set envgen_value = '" + "x" * 900 + "';\n"
        "set envgen_value = \"$envgen_value\"''\\''" + "y" * 600 + "';\n"
        'setenv AWS_SESSION_TOKEN "$envgen_value";\n'
        "unset envgen_value;\n"
    )


# --- whole outputs: the templates around the quoted values

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJal'r\\X!", "to$ken", EXPIRATION, None)

WHOLE = {
    "bash": """\
export AWS_ACCESS_KEY_ID='AKIDEXAMPLE';
export AWS_SECRET_ACCESS_KEY='wJal'\\''r\\X!';
export AWS_SESSION_TOKEN='to$ken';
export AWS_CREDENTIAL_EXPIRATION='2030-01-31T12:00:00Z';
export AWS_SESSION_EXPIRATION='2030-01-31T12:00:00Z';
unset AWS_REGION;
unset AWS_DEFAULT_REGION;
unset AWS_PROFILE;
unset AWS_DEFAULT_PROFILE;
unset AWS_SECURITY_TOKEN;
unset ENVGEN_EXPIRATION;
unset ENVGEN_CHECK_AT;
unset ENVGEN_SOURCE;
""",
    "fish": """\
set -gx -- AWS_ACCESS_KEY_ID 'AKIDEXAMPLE';
set -gx -- AWS_SECRET_ACCESS_KEY 'wJal\\'r\\\\X!';
set -gx -- AWS_SESSION_TOKEN 'to$ken';
set -gx -- AWS_CREDENTIAL_EXPIRATION '2030-01-31T12:00:00Z';
set -gx -- AWS_SESSION_EXPIRATION '2030-01-31T12:00:00Z';
if set -q -g -- AWS_REGION; set -e -g -- AWS_REGION; end;
if set -q -U -- AWS_REGION; set -e -U -- AWS_REGION; end;
if set -q -g -- AWS_DEFAULT_REGION; set -e -g -- AWS_DEFAULT_REGION; end;
if set -q -U -- AWS_DEFAULT_REGION; set -e -U -- AWS_DEFAULT_REGION; end;
if set -q -g -- AWS_PROFILE; set -e -g -- AWS_PROFILE; end;
if set -q -U -- AWS_PROFILE; set -e -U -- AWS_PROFILE; end;
if set -q -g -- AWS_DEFAULT_PROFILE; set -e -g -- AWS_DEFAULT_PROFILE; end;
if set -q -U -- AWS_DEFAULT_PROFILE; set -e -U -- AWS_DEFAULT_PROFILE; end;
if set -q -g -- AWS_SECURITY_TOKEN; set -e -g -- AWS_SECURITY_TOKEN; end;
if set -q -U -- AWS_SECURITY_TOKEN; set -e -U -- AWS_SECURITY_TOKEN; end;
if set -q -g -- ENVGEN_EXPIRATION; set -e -g -- ENVGEN_EXPIRATION; end;
if set -q -U -- ENVGEN_EXPIRATION; set -e -U -- ENVGEN_EXPIRATION; end;
if set -q -g -- ENVGEN_CHECK_AT; set -e -g -- ENVGEN_CHECK_AT; end;
if set -q -U -- ENVGEN_CHECK_AT; set -e -U -- ENVGEN_CHECK_AT; end;
if set -q -g -- ENVGEN_SOURCE; set -e -g -- ENVGEN_SOURCE; end;
if set -q -U -- ENVGEN_SOURCE; set -e -U -- ENVGEN_SOURCE; end;
""",
    "tcsh": """\
setenv AWS_ACCESS_KEY_ID 'AKIDEXAMPLE';
setenv AWS_SECRET_ACCESS_KEY 'wJal'\\''r'\\\\'X\\!';
setenv AWS_SESSION_TOKEN 'to$ken';
setenv AWS_CREDENTIAL_EXPIRATION '2030-01-31T12:00:00Z';
setenv AWS_SESSION_EXPIRATION '2030-01-31T12:00:00Z';
unsetenv AWS_REGION;
unsetenv AWS_DEFAULT_REGION;
unsetenv AWS_PROFILE;
unsetenv AWS_DEFAULT_PROFILE;
unsetenv AWS_SECURITY_TOKEN;
unsetenv ENVGEN_EXPIRATION;
unsetenv ENVGEN_CHECK_AT;
unsetenv ENVGEN_SOURCE;
""",
    "powershell": """\
$env:AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE'
$env:AWS_SECRET_ACCESS_KEY = 'wJal''r\\X!'
$env:AWS_SESSION_TOKEN = 'to$ken'
$env:AWS_CREDENTIAL_EXPIRATION = '2030-01-31T12:00:00Z'
$env:AWS_SESSION_EXPIRATION = '2030-01-31T12:00:00Z'
Remove-Item -Path Env:AWS_REGION -ErrorAction SilentlyContinue
Remove-Item -Path Env:AWS_DEFAULT_REGION -ErrorAction SilentlyContinue
Remove-Item -Path Env:AWS_PROFILE -ErrorAction SilentlyContinue
Remove-Item -Path Env:AWS_DEFAULT_PROFILE -ErrorAction SilentlyContinue
Remove-Item -Path Env:AWS_SECURITY_TOKEN -ErrorAction SilentlyContinue
Remove-Item -Path Env:ENVGEN_EXPIRATION -ErrorAction SilentlyContinue
Remove-Item -Path Env:ENVGEN_CHECK_AT -ErrorAction SilentlyContinue
Remove-Item -Path Env:ENVGEN_SOURCE -ErrorAction SilentlyContinue
""",
    "elvish": """\
set-env AWS_ACCESS_KEY_ID 'AKIDEXAMPLE'
set-env AWS_SECRET_ACCESS_KEY 'wJal''r\\X!'
set-env AWS_SESSION_TOKEN 'to$ken'
set-env AWS_CREDENTIAL_EXPIRATION '2030-01-31T12:00:00Z'
set-env AWS_SESSION_EXPIRATION '2030-01-31T12:00:00Z'
unset-env AWS_REGION
unset-env AWS_DEFAULT_REGION
unset-env AWS_PROFILE
unset-env AWS_DEFAULT_PROFILE
unset-env AWS_SECURITY_TOKEN
unset-env ENVGEN_EXPIRATION
unset-env ENVGEN_CHECK_AT
unset-env ENVGEN_SOURCE
""",
    "xonsh": """\
$AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE'
$AWS_SECRET_ACCESS_KEY = "wJal'r\\\\X!"
$AWS_SESSION_TOKEN = 'to$ken'
$AWS_CREDENTIAL_EXPIRATION = '2030-01-31T12:00:00Z'
$AWS_SESSION_EXPIRATION = '2030-01-31T12:00:00Z'
${...}.pop('AWS_REGION', None)
${...}.pop('AWS_DEFAULT_REGION', None)
${...}.pop('AWS_PROFILE', None)
${...}.pop('AWS_DEFAULT_PROFILE', None)
${...}.pop('AWS_SECURITY_TOKEN', None)
${...}.pop('ENVGEN_EXPIRATION', None)
${...}.pop('ENVGEN_CHECK_AT', None)
${...}.pop('ENVGEN_SOURCE', None)
""",
    "nu": """\
{
  "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
  "AWS_SECRET_ACCESS_KEY": "wJal'r\\\\X!",
  "AWS_SESSION_TOKEN": "to$ken",
  "AWS_CREDENTIAL_EXPIRATION": "2030-01-31T12:00:00Z",
  "AWS_SESSION_EXPIRATION": "2030-01-31T12:00:00Z",
  "AWS_REGION": null,
  "AWS_DEFAULT_REGION": null,
  "AWS_PROFILE": null,
  "AWS_DEFAULT_PROFILE": null,
  "AWS_SECURITY_TOKEN": null,
  "ENVGEN_EXPIRATION": null,
  "ENVGEN_CHECK_AT": null,
  "ENVGEN_SOURCE": null
}
""",
    "json": """\
{
  "Version": 1,
  "AccessKeyId": "AKIDEXAMPLE",
  "SecretAccessKey": "wJal'r\\\\X!",
  "SessionToken": "to$ken",
  "Expiration": "2030-01-31T12:00:00Z"
}
""",
}

# cmd and dotenv refuse the quote, backslash and `!` above: plainer keys with a region.
PLAIN_WITH_REGION = Credentials("AKIDEXAMPLE", "wJalr/XUt+n=", None, None, "eu-west-1")

WHOLE_PLAIN = {
    "cmd": """\
SET "AWS_ACCESS_KEY_ID=AKIDEXAMPLE"
SET "AWS_SECRET_ACCESS_KEY=wJalr/XUt+n="
SET "AWS_REGION=eu-west-1"
SET "AWS_DEFAULT_REGION=eu-west-1"
SET "AWS_SESSION_TOKEN="
SET "AWS_CREDENTIAL_EXPIRATION="
SET "AWS_SESSION_EXPIRATION="
SET "AWS_PROFILE="
SET "AWS_DEFAULT_PROFILE="
SET "AWS_SECURITY_TOKEN="
SET "ENVGEN_EXPIRATION="
SET "ENVGEN_CHECK_AT="
SET "ENVGEN_SOURCE="
""",
    # A .env file cannot unset: it lists only what to set.
    "dotenv": """\
AWS_ACCESS_KEY_ID='AKIDEXAMPLE'
AWS_SECRET_ACCESS_KEY='wJalr/XUt+n='
AWS_REGION='eu-west-1'
AWS_DEFAULT_REGION='eu-west-1'
""",
    "json": """\
{
  "Version": 1,
  "AccessKeyId": "AKIDEXAMPLE",
  "SecretAccessKey": "wJalr/XUt+n="
}
""",
}


@pytest.mark.parametrize("name", list(WHOLE))
def test_whole_output(name: str) -> None:
    dialect = SHELLS.get(name) or FORMATS[name]
    assert dialect.render(Changes.from_credentials(CREDENTIALS), UTF8_LOCALE) == WHOLE[name]


@pytest.mark.parametrize("name", list(WHOLE_PLAIN))
def test_whole_output_of_long_term_keys_with_a_region(name: str) -> None:
    dialect = SHELLS.get(name) or FORMATS[name]
    assert (
        dialect.render(Changes.from_credentials(PLAIN_WITH_REGION), UTF8_LOCALE)
        == WHOLE_PLAIN[name]
    )


# Lines `clear` prints per managed variable: fish erases the global and the universal one.
CLEAR_LINES = {"fish": 26, "nu": 15}


@pytest.mark.parametrize("name", list(SHELLS))
def test_clear_unsets_every_managed_variable(name: str) -> None:
    text = SHELLS[name].render(Changes.clearing(), UTF8_LOCALE)
    # nushell's record takes a line for each brace.
    assert len(text.splitlines()) == CLEAR_LINES.get(name, 13)
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "ENVGEN_EXPIRATION",
        "ENVGEN_CHECK_AT",
        "ENVGEN_SOURCE",
    ):
        assert variable in text


# The documented idiom of each family, for `envgen import creds.json`.
IDIOMS = {
    "posix": 'eval "$(envgen import creds.json)"',
    "fish": "envgen import creds.json | source",
    "csh": 'eval "`envgen import creds.json`"',
    "powershell": "envgen import creds.json | Invoke-Expression",
    "cmd": "FOR /F \"delims=\" %i IN ('envgen import creds.json') DO @%i",
    "elvish": "eval (envgen import creds.json | slurp)",
    "xonsh": "execx($(envgen import creds.json))",
    "nu": "envgen import creds.json | from json | load-env",
}


@pytest.mark.parametrize("name", list(SHELLS))
def test_apply_hint_is_the_documented_idiom(name: str) -> None:
    assert SHELLS[name].apply_hint("envgen import creds.json") == IDIOMS[SHELLS[name].family]


# --- refusals: exactly these, with messages naming the character and the target


def refusal_message(name: str, value: str) -> str:
    dialect = SHELLS.get(name) or FORMATS[name]
    with pytest.raises(UnsupportedValue) as refusal:
        dialect.render(
            Changes.from_credentials(Credentials("AKIDEXAMPLE", "secret", value)), UTF8_LOCALE
        )
    return refusal.value.message


@pytest.mark.parametrize("name", [*SHELLS, *FORMATS])
def test_nul_is_refused_everywhere(name: str) -> None:
    assert refusal_message(name, "to\0ken") == (
        f"AWS_SESSION_TOKEN contains a NUL byte (U+0000), which {name} cannot carry exactly"
        + ("; refusing rather than changing the value" if name == "json" else ADVICE)
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        *(
            (name, "two\nlines", f"a newline (U+000A), which {name} cannot")
            for name in members("csh")
        ),
        *(
            (name, "cr\r", f"a carriage return (U+000D), which {name} cannot")
            for name in members("csh")
        ),
        ("cmd", 'a"b', "'\"' (U+0022), which cmd cannot"),
        ("cmd", "%PATH%", "'%' (U+0025), which cmd cannot"),
        ("cmd", "bang!", "'!' (U+0021), which cmd cannot"),
        ("cmd", "^", "'^' (U+005E), which cmd cannot"),
        ("cmd", "a&b", "'&' (U+0026), which cmd cannot"),
        ("cmd", "a|b", "'|' (U+007C), which cmd cannot"),
        ("cmd", "<", "'<' (U+003C), which cmd cannot"),
        ("cmd", ">", "'>' (U+003E), which cmd cannot"),
        ("cmd", "tab\t", "a tab (U+0009), which cmd cannot"),
        ("cmd", "caf\u00e9", "'\u00e9' (U+00E9), which cmd cannot"),
        ("dotenv", "it's", '"\'" (U+0027), which dotenv cannot'),
        ("dotenv", "a\\b", "'\\\\' (U+005C), which dotenv cannot"),
        ("dotenv", "two\nlines", "a newline (U+000A), which dotenv cannot"),
    ],
)
def test_refusal_names_the_character_and_the_target(name: str, value: str, message: str) -> None:
    assert refusal_message(name, value) == (
        f"AWS_SESSION_TOKEN contains {message} carry exactly{ADVICE}"
    )


def test_bsd_csh_refuses_a_value_longer_than_its_words() -> None:
    assert one_line("csh", "\u00e9" * 4093 + "C").endswith("unset envgen_value;\n")
    assert refusal_message("csh", "\u00e9" * 4094) == (
        "AWS_SESSION_TOKEN is 8188 bytes long, and BSD csh holds at most 8187 bytes in a word; "
        "refusing rather than cutting it (if your csh is tcsh, use --shell tcsh); "
        "--format json carries any value"
    )
    assert one_line("tcsh", "\u00e9" * 5000).endswith("unset envgen_value;\n")


def test_cmd_refuses_a_line_longer_than_8191_characters() -> None:
    room = 8191 - len('SET "AWS_SESSION_TOKEN="')
    assert len(one_line("cmd", "T" * room)) == 8191 + 1
    assert refusal_message("cmd", "T" * (room + 1)) == (
        "AWS_SESSION_TOKEN would need a 8192-character line, longer than cmd's 8191; "
        "refusing rather than truncating it; --format json carries any value"
    )


def test_dotenv_refuses_interpolation() -> None:
    assert refusal_message("dotenv", "a${B}c") == (
        "AWS_SESSION_TOKEN contains '${', which python-dotenv expands even in single quotes"
        + ADVICE
    )


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted([*SHELLS, *FORMATS])),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
)
def test_a_value_is_refused_exactly_when_the_target_may_refuse_it(name: str, value: str) -> None:
    dialect = SHELLS.get(name) or FORMATS[name]
    changes = Changes.from_credentials(Credentials("AKIDEXAMPLE", "secret", value))
    if refuses(name, value):
        with pytest.raises(UnsupportedValue, match=f"which {name} cannot carry exactly"):
            dialect.render(changes, UTF8_LOCALE)
    else:
        assert dialect.render(changes, UTF8_LOCALE)


@pytest.mark.parametrize("name", ["bash", "fish", "powershell", "nu", "json"])
def test_a_lone_surrogate_is_refused(name: str) -> None:
    # A credentials value refuses one itself; a dialect still refuses any it is handed.
    dialect = SHELLS.get(name) or FORMATS[name]
    handed = Credentials("AKIDEXAMPLE", "secret", "token")
    object.__setattr__(handed, "session_token", "a\ud800b")
    with pytest.raises(UnsupportedValue) as refusal:
        dialect.render(Changes.from_credentials(handed), UTF8_LOCALE)
    message = refusal.value.message
    assert message.startswith("AWS_SESSION_TOKEN contains ")
    assert f"(U+D800), which {name} cannot carry exactly" in message
