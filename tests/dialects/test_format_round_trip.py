"""`--format json` read back by json.loads and `--format dotenv` by python-dotenv, exactly."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings

from conftest import ENVGEN
from envgen.credentials import Changes, Credentials
from envgen.dialects import FORMATS, UnsupportedValue
from hostile_values import HOSTILE_IDS, HOSTILE_VALUES, value_text
from refusals import UTF8_LOCALE, refuses

EXPIRATION = datetime(2099, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def changes(secret: str, token: str | None, region: str | None = None) -> Changes:
    return Changes.from_credentials(Credentials("AKIDEXAMPLE", secret, token, EXPIRATION, region))


# --- json: the credential_process document, Version 1


def check_json(secret: str, token: str | None) -> None:
    document = json.loads(FORMATS["json"].render(changes(secret, token), UTF8_LOCALE))
    expected = {
        "Version": 1,
        "AccessKeyId": "AKIDEXAMPLE",
        "SecretAccessKey": secret,
        "Expiration": "2099-12-31T23:59:59Z",
    }
    if token is not None:
        expected["SessionToken"] = token
    assert document == expected


@pytest.mark.parametrize("value", [value for _, value in HOSTILE_VALUES], ids=HOSTILE_IDS)
def test_json_carries_every_hostile_value(value: str) -> None:
    check_json(value, value[::-1])


@settings(max_examples=300, deadline=None)
@given(value_text(max_size=80), value_text(max_size=80))
def test_json_carries_generated_values(secret: str, token: str) -> None:
    check_json(secret, token)


def test_json_leaves_out_a_token_it_does_not_have() -> None:
    check_json("secret", None)


def test_json_refuses_nul() -> None:
    with pytest.raises(UnsupportedValue, match=r"^AWS_SESSION_TOKEN contains a NUL byte"):
        FORMATS["json"].render(changes("secret", "a\0b"), UTF8_LOCALE)


def test_real_envgen_json_is_the_document(tmp_path: Path) -> None:
    secret = "".join(value for _, value in HOSTILE_VALUES if len(value) < 100)
    source = tmp_path / "credentials.json"
    source.write_text(
        json.dumps(
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLE",
                    "SecretAccessKey": secret,
                    "SessionToken": "t\u2019k",
                    "Expiration": "2099-12-31T23:59:59+00:00",
                }
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [ENVGEN, "import", str(source), "--format", "json"], capture_output=True, check=True
    )
    assert json.loads(completed.stdout) == {
        "Version": 1,
        "AccessKeyId": "ASIAEXAMPLE",
        "SecretAccessKey": secret,
        "SessionToken": "t\u2019k",
        "Expiration": "2099-12-31T23:59:59Z",
    }


# --- dotenv: a .env file python-dotenv reads back exactly, or a refusal


def check_dotenv(secret: str, region: str | None = None) -> None:
    if refuses("dotenv", secret):
        with pytest.raises(UnsupportedValue) as refusal:
            FORMATS["dotenv"].render(changes(secret, "token"), UTF8_LOCALE)
        assert refusal.value.message.startswith("AWS_SECRET_ACCESS_KEY contains ")
        return
    text = FORMATS["dotenv"].render(changes(secret, "token", region), UTF8_LOCALE)
    expected = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": "token",
        "AWS_CREDENTIAL_EXPIRATION": "2099-12-31T23:59:59Z",
        "AWS_SESSION_EXPIRATION": "2099-12-31T23:59:59Z",
    }
    if region:
        expected.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    assert dict(dotenv_values(stream=io.StringIO(text))) == expected


@pytest.mark.parametrize("value", [value for _, value in HOSTILE_VALUES], ids=HOSTILE_IDS)
def test_dotenv_carries_or_refuses_every_hostile_value(value: str) -> None:
    check_dotenv(value)


@settings(max_examples=300, deadline=None)
@given(value_text(max_size=80))
def test_dotenv_carries_or_refuses_generated_values(value: str) -> None:
    check_dotenv(value)


def test_dotenv_carries_a_region() -> None:
    check_dotenv("secret", "eu-west-1")


def test_dotenv_is_read_back_from_a_real_file(tmp_path: Path) -> None:
    source = tmp_path / "credentials.json"
    secret = 'a "quoted" #not-a-comment $HOME `x` \u2019\U0001f600  '
    source.write_text(
        json.dumps(
            {
                "AccessKeyId": "AKIDEXAMPLE",
                "SecretAccessKey": secret,
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [ENVGEN, "import", str(source), "--format", "dotenv"], capture_output=True, check=True
    )
    env_file = tmp_path / ".env"
    env_file.write_bytes(completed.stdout)
    assert dict(dotenv_values(env_file)) == {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": secret,
    }


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("it's", '"\'" (U+0027)'),
        ("back\\slash", "'\\\\' (U+005C)"),
        ("two\nlines", "a newline (U+000A)"),
        ("cr\rhere", "a carriage return (U+000D)"),
        ("tab\there", "a tab (U+0009)"),
        ("del\x7f", "a control character (U+007F)"),
        ("nul\0", "a NUL byte (U+0000)"),
    ],
)
def test_dotenv_refusals_name_the_character(value: str, described: str) -> None:
    with pytest.raises(UnsupportedValue) as refusal:
        FORMATS["dotenv"].render(changes(value, "token"), UTF8_LOCALE)
    assert refusal.value.message.startswith(
        f"AWS_SECRET_ACCESS_KEY contains {described}, which dotenv cannot carry exactly"
    )


def test_dotenv_refuses_interpolation() -> None:
    with pytest.raises(UnsupportedValue) as refusal:
        FORMATS["dotenv"].render(changes("a${HOME}b", "token"), UTF8_LOCALE)
    assert refusal.value.message.startswith(
        "AWS_SECRET_ACCESS_KEY contains '${', which python-dotenv expands even in single quotes"
    )
    # A lone `$` or `{` is no interpolation and stays.
    check_dotenv("$HOME {x} $ {")
