"""PowerShell output, not runnable here: parsed by tree-sitter, evaluated by its rules."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell
from hypothesis import given, settings

from conftest import ENVGEN
from envgen.credentials import Changes, Credentials
from envgen.dialects import SHELLS, UnsupportedValue
from envgen.records import RECORD_VARIABLES, Origin, key_digest
from hostile_values import HOSTILE_IDS, HOSTILE_VALUES, environment_after_import, value_text
from powershell_eval import PowerShellError, evaluate, split_lines, statement_lines
from refusals import UTF8_LOCALE

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))

EXPIRATION = datetime(2099, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
STALE = {
    "AWS_SESSION_TOKEN": "stale-token",
    "AWS_REGION": "stale-region",
    "AWS_DEFAULT_REGION": "stale-region",
    "UNRELATED": "kept",
}


def syntax_problems(source: str) -> list[str]:
    """Every ERROR and MISSING node tree-sitter finds, walked iteratively (trees get deep)."""
    tree = PARSER.parse(source.encode("utf-8"))
    problems = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            problems.append(f"{node.type} at {node.start_point}: {node.text[:60]!r}")
        stack.extend(node.children)
    return problems


def assert_one_statement_per_line(output: str) -> None:
    """What `| Invoke-Expression` needs: each line parses alone, as exactly one statement."""
    for line in statement_lines(output):
        assert syntax_problems(line) == [], line[:200]
        root = PARSER.parse(line.encode("utf-8")).root_node
        statements = [
            child for list_node in root.named_children for child in list_node.named_children
        ]
        assert [node.type for node in root.named_children] == ["statement_list"], line[:200]
        assert [node.type for node in statements] == ["pipeline"], line[:200]


def render(name: str, secret: str, token: str | None, region: str | None = None) -> str:
    credentials = Credentials("AKIDEXAMPLE", secret, token, EXPIRATION, region)
    return SHELLS[name].render(Changes.from_credentials(credentials), UTF8_LOCALE)


def expected_environment(secret: str, token: str | None) -> dict[str, str]:
    return environment_after_import({"UNRELATED": "kept"}, secret, token)


def check_output(secret: str, token: str | None, name: str = "powershell") -> None:
    output = render(name, secret, token)
    assert output.isascii(), "non-ASCII text would be re-decoded by [Console]::OutputEncoding"
    assert syntax_problems(output) == []
    assert_one_statement_per_line(output)
    assert evaluate(output, STALE) == expected_environment(secret, token)


@pytest.mark.parametrize("value", [value for _, value in HOSTILE_VALUES], ids=HOSTILE_IDS)
@pytest.mark.parametrize("name", ["powershell", "pwsh"])
def test_hostile_values_evaluate_back_exactly(name: str, value: str) -> None:
    check_output(value, value[::-1], name)


def test_long_term_keys_remove_a_stale_token_and_region() -> None:
    check_output("secret", None)


@settings(max_examples=300, deadline=None)
@given(value_text(max_size=80), value_text(max_size=80))
def test_generated_values_evaluate_back_exactly(secret: str, token: str) -> None:
    check_output(secret, token)


def test_real_envgen_output_evaluates_back_exactly(tmp_path: Path) -> None:
    secret = "".join(value for _, value in HOSTILE_VALUES if len(value) < 100)
    token = "\u2019'\u2018\n\r\t$(x)`\U0001f600" * 300
    document = tmp_path / "credentials.json"
    document.write_text(
        json.dumps(
            {
                "AccessKeyId": "AKIDEXAMPLE",
                "SecretAccessKey": secret,
                "SessionToken": token,
                "Expiration": "2099-12-31T23:59:59Z",
            }
        ),
        encoding="utf-8",
    )
    for name in ("powershell", "pwsh"):
        completed = subprocess.run(
            [ENVGEN, "import", str(document), "--shell", name], capture_output=True, check=True
        )
        output = completed.stdout.decode("ascii")
        assert syntax_problems(output) == []
        assert_one_statement_per_line(output)
        applied = evaluate(output, STALE)
        records = {name: applied.pop(name) for name in RECORD_VARIABLES}
        assert applied == expected_environment(secret, token)
        assert records["ENVGEN_EXPIRATION"] == "4102444799"  # 2099-12-31T23:59:59Z
        assert Origin.from_text(records["ENVGEN_SOURCE"] or "") == Origin(
            "imported", key_digest("AKIDEXAMPLE")
        )


@pytest.mark.parametrize("where", ["secret", "token"])
def test_nul_is_refused_naming_the_character_and_shell(where: str) -> None:
    secret, token = ("a\0b", "token") if where == "secret" else ("secret", "a\0b")
    with pytest.raises(UnsupportedValue) as refusal:
        render("pwsh", secret, token)
    variable = "AWS_SECRET_ACCESS_KEY" if where == "secret" else "AWS_SESSION_TOKEN"
    assert refusal.value.message.startswith(f"{variable} contains a NUL byte (U+0000), which pwsh")


# The evaluator itself, against what PowerShell is documented and coded to do: if it could not
# fail on these, it could not catch a quoting slip in envgen either.


@pytest.mark.parametrize(
    ("script", "value"),
    [
        ("$env:X = 'plain'", "plain"),
        ("$env:X = 'it''s'", "it's"),
        ("$env:X = '$(x) `n \\ \"'", '$(x) `n \\ "'),
        # Any two of the five quote characters in a row are one literal: the second.
        ("$env:X = 'a\u2019\u2019b'", "a\u2019b"),
        ("$env:X = 'a\u2019'b'", "a'b"),
        ("$env:X = 'a'\u201bb'", "a\u201bb"),
        ("$env:X = \u2018curly opens too\u201a", "curly opens too"),
        ("$env:X = 'a' + [char]0x000A + 'b'", "a\nb"),
        ("$env:X = '' + [char]0xD83D + [char]0xDE00", "\U0001f600"),
        ("$env:X = [char]65 + [char]66", "131"),
        ("$env:X = [char]0x41", "A"),
    ],
)
def test_evaluator_follows_powershell_string_rules(script: str, value: str) -> None:
    assert evaluate(script) == {"X": value}


@pytest.mark.parametrize(
    "script",
    [
        "$env:X = 'a\u2019b'",  # the string ends at U+2019 and `b'` opens another
        "$env:X = 'line one",  # Invoke-Expression sees this line alone
        '$env:X = "$HOME"',
        "$env:X = 'a'; Remove-Item C:\\",
        "$env:X = 'a' # comment",
        "$env:X = [char]65 + 'B'",
        "Invoke-WebRequest x",
    ],
)
def test_evaluator_rejects_what_would_fail_or_do_more(script: str) -> None:
    with pytest.raises(PowerShellError):
        evaluate(script)


def test_evaluator_splits_lines_as_powershell_reads_them() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    with pytest.raises(PowerShellError):
        evaluate("$env:X = 'a\rb'")


def doubling_only_the_ascii_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.mark.parametrize("quote_char", ["\u2018", "\u2019", "\u201a", "\u201b"])
def test_a_quoting_that_doubles_only_the_ascii_quote_is_caught(quote_char: str) -> None:
    value = f"x{quote_char}; Remove-Item Env:PATH; '"
    script = f"$env:X = {doubling_only_the_ascii_quote(value)}"
    try:
        result = evaluate(script)
    except PowerShellError:
        return
    assert result.get("X") != value


def test_a_newline_inside_a_literal_is_caught() -> None:
    script = "$env:X = " + doubling_only_the_ascii_quote("two\nlines")
    assert syntax_problems(script) == []  # one script file would accept it...
    with pytest.raises(PowerShellError):  # ...but not Invoke-Expression, line by line
        evaluate(script)
    with pytest.raises(AssertionError):
        assert_one_statement_per_line(script)
