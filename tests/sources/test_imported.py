"""`envgen import`: every accepted document shape, the key flags, and every way input can be wrong."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import ENVGEN, require_program
from envgen.errors import UsageError
from envgen.records import Origin, key_digest
from envgen.sources.imported import from_flags, from_source, parse_document
from envgen_in_process import invoke_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    FUTURE,
    KEY_FLAGS,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
    run_at_a_terminal,
    sts_document,
)

FUTURE_TIME = datetime(2099, 1, 31, 12, tzinfo=timezone.utc)


# --- document shapes -------------------------------------------------------------------------

SAML_DOCUMENT = {
    "Credentials": {
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": "2099-01-31T12:00:00+00:00",
    },
    "AssumedRoleUser": {"AssumedRoleId": "AROA:user@example.com", "Arn": "arn:aws:sts::1:x"},
    "Subject": "user@example.com",
    "SubjectType": "persistent",
    "Issuer": "https://idp.example.com/",
    "Audience": "https://signin.aws.amazon.com/saml",
    "NameQualifier": "abc=",
}
SESSION_TOKEN_DOCUMENT = {
    "Credentials": {
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": "2099-01-31T12:00:00Z",
    }
}
BARE_CREDENTIALS = SESSION_TOKEN_DOCUMENT["Credentials"]
CREDENTIAL_PROCESS = {"Version": 1, **BARE_CREDENTIALS}


@pytest.mark.parametrize(
    "document",
    [
        json.loads(sts_document()),
        SAML_DOCUMENT,
        SESSION_TOKEN_DOCUMENT,
        BARE_CREDENTIALS,
        CREDENTIAL_PROCESS,
    ],
    ids=["assume-role", "assume-role-with-saml", "get-session-token", "bare", "credential_process"],
)
def test_every_accepted_shape_gives_the_same_credentials(document: dict[str, object]) -> None:
    credentials = parse_document(json.dumps(document), "creds.json", region="eu-west-1")
    assert credentials.access_key_id == ACCESS_KEY_ID
    assert credentials.secret_access_key == SECRET
    assert credentials.session_token == TOKEN
    assert credentials.expiration == FUTURE_TIME
    assert credentials.region == "eu-west-1"


def test_a_credential_process_document_with_long_term_keys() -> None:
    text = json.dumps({"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": SECRET})
    credentials = parse_document(text, "creds.json")
    assert credentials.session_token is None
    assert credentials.expiration is None
    assert credentials.region is None


def test_an_expiry_as_botocores_cache_writes_it_is_read_as_utc() -> None:
    document = {**BARE_CREDENTIALS, "Expiration": "2099-01-01T00:00:00UTC"}
    credentials = parse_document(json.dumps(document), "creds.json")
    assert credentials.expiration == datetime(2099, 1, 1, tzinfo=timezone.utc)


def test_a_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_bytes(b"\xef\xbb\xbf" + sts_document().encode())
    assert from_source(str(path)).credentials.secret_access_key == SECRET


def test_flags_build_the_same_credentials() -> None:
    credentials = from_flags(ACCESS_KEY_ID, SECRET, TOKEN, FUTURE, "us-east-2").credentials
    assert (credentials.access_key_id, credentials.secret_access_key) == (ACCESS_KEY_ID, SECRET)
    assert credentials.session_token == TOKEN
    assert credentials.expiration == FUTURE_TIME
    assert credentials.region == "us-east-2"


# --- wrong input: one line, says what to do, never a secret ---------------------------------

# (file content, words the message must hold)
BAD_DOCUMENTS = {
    "truncated JSON": (
        f'{{"Credentials": {{"AccessKeyId": "{ACCESS_KEY_ID}", "SecretAccessKey": "{SECRET}", ',
        ["not valid JSON", "line 1", "give"],
    ),
    "a secret with a raw newline": (
        f'{{"AccessKeyId": "A", "SecretAccessKey": "{SECRET}\n{TOKEN}"}}',
        ["not valid JSON", "give"],
    ),
    "empty file": ("", ["not valid JSON", "give"]),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, ["nested too deeply", "give"]),
    "a list": (json.dumps([BARE_CREDENTIALS]), ["no AccessKeyId", "give"]),
    "a string": (json.dumps(SECRET), ["no AccessKeyId", "give"]),
    "no secret key": (
        json.dumps({"Credentials": {"AccessKeyId": ACCESS_KEY_ID, "SessionToken": TOKEN}}),
        ["SecretAccessKey is missing", "give"],
    ),
    "no access key id": (
        json.dumps({"Credentials": {"SecretAccessKey": SECRET, "SessionToken": TOKEN}}),
        ["AccessKeyId is missing", "give"],
    ),
    "empty Credentials": (json.dumps({"Credentials": {}}), ["AccessKeyId is missing"]),
    "a number for the token": (
        json.dumps({**BARE_CREDENTIALS, "SessionToken": 12345}),
        ["SessionToken must be a string", "int"],
    ),
    "a list for the secret": (
        json.dumps({**BARE_CREDENTIALS, "SecretAccessKey": [SECRET]}),
        ["SecretAccessKey must be a string", "list"],
    ),
    "the secret in the expiry": (
        json.dumps({**BARE_CREDENTIALS, "Expiration": SECRET}),
        ["not an ISO 8601 time", "2030-01-31T12:00:00Z"],
    ),
    "an unknown credential_process version": (
        json.dumps({**CREDENTIAL_PROCESS, "Version": 2}),
        ["Version 2", "Version 1"],
    ),
    "a version that is not a number": (
        json.dumps({**CREDENTIAL_PROCESS, "Version": SECRET}),
        ["Version", "Version 1"],
    ),
    "an empty secret": (
        json.dumps({**BARE_CREDENTIALS, "SecretAccessKey": ""}),
        ["SecretAccessKey"],
    ),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS, ids=list(BAD_DOCUMENTS))
def test_a_bad_file_is_one_clean_line_without_the_secret(
    case: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    text, words = BAD_DOCUMENTS[case]
    path = tmp_path / "creds.json"
    path.write_text(text)
    message = assert_failed_cleanly(
        invoke_envgen(["import", str(path), "--shell", "bash"], clean_env)
    )
    assert str(path) in message
    for word in words:
        assert word in message


def test_bad_standard_input_is_one_clean_line(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(
        ["import", "-", "--shell", "bash"], clean_env, stdin=sts_document()[:-40]
    )
    message = assert_failed_cleanly(result)
    assert message.startswith("standard input: not valid JSON")


def test_undecodable_standard_input_is_one_clean_line(clean_env: dict[str, str]) -> None:
    raw = sts_document().encode().replace(b"SECRETKEY", b"SECRET\xff\xfeKEY")
    message = assert_failed_cleanly(invoke_envgen(["import", "-"], clean_env, stdin=raw))
    assert message == "standard input: not UTF-8 text; give a JSON document"


def test_an_undecodable_file_is_one_clean_line(tmp_path: Path, clean_env: dict[str, str]) -> None:
    path = tmp_path / "creds.json"
    path.write_bytes(sts_document().encode().replace(b"SECRETKEY", b"SECRET\xffKEY"))
    message = assert_failed_cleanly(invoke_envgen(["import", str(path)], clean_env))
    assert "not UTF-8" in message


def test_a_missing_file_says_what_to_give(tmp_path: Path, clean_env: dict[str, str]) -> None:
    missing = tmp_path / "nowhere.json"
    result = invoke_envgen(["import", str(missing)], clean_env)
    assert assert_failed_cleanly(result) == (
        f"{missing}: no such file; give a JSON file, or - to read stdin"
    )
    assert result.returncode == 2


def test_a_directory_says_what_to_give(tmp_path: Path, clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["import", str(tmp_path)], clean_env)
    assert assert_failed_cleanly(result) == (
        f"{tmp_path}: is a directory; give a JSON file, or - to read stdin"
    )


def test_an_unreadable_path_says_why(tmp_path: Path, clean_env: dict[str, str]) -> None:
    # A file used as a directory fails the same way for every user, root included.
    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    message = assert_failed_cleanly(invoke_envgen(["import", f"{path}/inner.json"], clean_env))
    assert message == f"{path}/inner.json: cannot read it (Not a directory)"


def test_already_expired_credentials_name_their_expiry(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(sts_document(Expiration="2001-02-03T04:05:06+00:00"))
    message = assert_failed_cleanly(
        invoke_envgen(["import", str(path), "--shell", "bash"], clean_env)
    )
    assert message == (
        "these credentials expired at 2001-02-03T04:05:06Z; get new ones (sign in again, or "
        "assume or import fresh ones)"
    )


def test_expired_flags_name_their_expiry(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(
        [
            "import",
            *KEY_FLAGS,
            "--expiration",
            "2001-02-03T06:05:06+02:00",
        ],
        clean_env,
    )
    assert "expired at 2001-02-03T04:05:06Z" in assert_failed_cleanly(result)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--access-key-id", ACCESS_KEY_ID], "--secret-access-key is missing"),
        (["--secret-access-key", SECRET], "--access-key-id is missing"),
        (["--session-token", TOKEN], "--access-key-id is missing"),
        (["creds.json", "--secret-access-key", SECRET], "not both"),
        ([], "give a JSON file, - for stdin, or --access-key-id and --secret-access-key"),
        (
            [
                "--access-key-id",
                ACCESS_KEY_ID,
                "--secret-access-key",
                SECRET,
                "--expiration",
                "next tuesday",
            ],
            "not an ISO 8601 time",
        ),
    ],
    ids=["no secret", "no key id", "token alone", "file and flags", "nothing", "bad expiry"],
)
def test_flag_mistakes_are_usage_errors(
    args: list[str], expected: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(["import", *args], clean_env)
    assert expected in assert_failed_cleanly(result)
    assert result.returncode == 2


def test_unit_level_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        parse_document("{", "x")
    with pytest.raises(UsageError):
        from_flags(None, SECRET, None, None, None)


# --- what a successful import prints --------------------------------------------------------


def import_lines(args: list[str], env: dict[str, str], stdin: str | None = None) -> list[str]:
    result = invoke_envgen(["import", *args, "--shell", "bash"], env, stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().splitlines()


def test_standard_input_and_a_file_give_the_same_output(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    from_file = import_lines([str(path)], clean_env)
    assert import_lines(["-"], clean_env, stdin=sts_document()) == from_file
    assert f"export AWS_SECRET_ACCESS_KEY='{SECRET}';" in from_file
    assert f"export AWS_CREDENTIAL_EXPIRATION='{FUTURE}';" in from_file
    assert f"export AWS_SESSION_EXPIRATION='{FUTURE}';" in from_file


def test_long_term_keys_unset_every_stale_variable(clean_env: dict[str, str]) -> None:
    lines = import_lines(
        ["--access-key-id", "AKIAEXAMPLE", "--secret-access-key", SECRET], clean_env
    )
    assert lines == [
        "export AWS_ACCESS_KEY_ID='AKIAEXAMPLE';",
        f"export AWS_SECRET_ACCESS_KEY='{SECRET}';",
        f"export ENVGEN_SOURCE='{Origin('imported', key_digest('AKIAEXAMPLE')).text()}';",
        "unset AWS_SESSION_TOKEN;",
        "unset AWS_CREDENTIAL_EXPIRATION;",
        "unset AWS_SESSION_EXPIRATION;",
        "unset AWS_REGION;",
        "unset AWS_DEFAULT_REGION;",
        "unset AWS_PROFILE;",
        "unset AWS_DEFAULT_PROFILE;",
        "unset AWS_SECURITY_TOKEN;",
        # No expiry known: nothing for the prompt hook to check.
        "unset ENVGEN_EXPIRATION;",
        "unset ENVGEN_CHECK_AT;",
    ]


@pytest.mark.parametrize(
    ("shell", "idiom", "show"),
    [
        ("bash", 'eval "$({command})"', 'printf "[%s]" "${{{name}-unset}}"'),
        (
            "fish",
            "{command} | source",
            'if set -q {name}; printf "[%s]" ${name}; else; printf "[unset]"; end',
        ),
    ],
)
def test_stale_variables_are_gone_after_applying_long_term_keys(
    shell: str, idiom: str, show: str, clean_env: dict[str, str]
) -> None:
    program = require_program(shell)
    stale = {
        "AWS_SESSION_TOKEN": "old-token",
        "AWS_CREDENTIAL_EXPIRATION": "2000-01-01T00:00:00Z",
        "AWS_SESSION_EXPIRATION": "2000-01-01T00:00:00Z",
        "AWS_ACCESS_KEY_ID": "ASIAOLD",
    }
    command = (
        f"envgen import --access-key-id AKIANEW --secret-access-key new-secret --shell {shell}"
    )
    names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", *list(stale)[:3]]
    script = "\n".join([idiom.format(command=command), *(show.format(name=n) for n in names)])
    result = subprocess.run(
        [program, "-c", script], env={**clean_env, **stale}, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == "[AKIANEW][new-secret][unset][unset][unset]"


@pytest.mark.parametrize(
    ("flags", "environment", "region"),
    [
        (["--region", "ap-south-1"], {}, "ap-south-1"),
        ([], {"AWS_REGION": "eu-north-1"}, "eu-north-1"),
        ([], {"AWS_DEFAULT_REGION": "sa-east-1"}, "sa-east-1"),
        ([], {"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "sa-east-1"}, "eu-north-1"),
        (["--region", "ap-south-1"], {"AWS_REGION": "eu-north-1"}, "ap-south-1"),
    ],
    ids=["flag", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_REGION first", "flag wins"],
)
def test_the_region_is_set_under_both_names(
    flags: list[str],
    environment: dict[str, str],
    region: str,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    lines = import_lines([str(path), *flags], {**clean_env, **environment})
    # The region comes last of the AWS variables, before envgen's three records.
    assert lines[-8:-6] == [
        f"export AWS_REGION='{region}';",
        f"export AWS_DEFAULT_REGION='{region}';",
    ]
    # Only what could choose another identity is unset.
    assert [line for line in lines if line.startswith("unset")] == [
        "unset AWS_PROFILE;",
        "unset AWS_DEFAULT_PROFILE;",
        "unset AWS_SECURITY_TOKEN;",
    ]


def test_without_a_region_both_region_variables_are_unset(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    assert import_lines([str(path)], clean_env)[-5:-3] == [
        "unset AWS_REGION;",
        "unset AWS_DEFAULT_REGION;",
    ]


def test_region_flag_works_with_key_flags(clean_env: dict[str, str]) -> None:
    lines = import_lines(
        [
            *KEY_FLAGS,
            "--expiration",
            FUTURE,
            "--region",
            "us-west-2",
        ],
        clean_env,
    )
    assert lines == [
        f"export AWS_ACCESS_KEY_ID='{ACCESS_KEY_ID}';",
        f"export AWS_SECRET_ACCESS_KEY='{SECRET}';",
        f"export AWS_SESSION_TOKEN='{TOKEN}';",
        f"export AWS_CREDENTIAL_EXPIRATION='{FUTURE}';",
        f"export AWS_SESSION_EXPIRATION='{FUTURE}';",
        "export AWS_REGION='us-west-2';",
        "export AWS_DEFAULT_REGION='us-west-2';",
        f"export ENVGEN_SOURCE='{Origin('imported', key_digest(ACCESS_KEY_ID)).text()}';",
        "export ENVGEN_EXPIRATION='4073544000';",  # FUTURE
        "export ENVGEN_CHECK_AT='4073543700';",  # five minutes before
        "unset AWS_PROFILE;",
        "unset AWS_DEFAULT_PROFILE;",
        "unset AWS_SECURITY_TOKEN;",
    ]


# --- secrets kept off the command line ------------------------------------------------------


def issued_keys(result: subprocess.CompletedProcess[bytes]) -> tuple[str, str | None]:
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return document["SecretAccessKey"], document.get("SessionToken")


def test_secret_flags_read_a_file_or_stdin(tmp_path: Path, clean_env: dict[str, str]) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    from_files = invoke_envgen(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            f"file://{secret_file}",
            "--session-token",
            f"file://{token_file}",
            "--format",
            "json",
        ],
        clean_env,
    )
    assert issued_keys(from_files) == (SECRET, TOKEN)
    secret_from_stdin = invoke_envgen(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            "-",
            f"--session-token=file://{token_file}",
            "--format",
            "json",
        ],
        clean_env,
        stdin=SECRET + "\n",
    )
    assert issued_keys(secret_from_stdin) == (SECRET, TOKEN)
    token_from_stdin = invoke_envgen(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            f"file://{secret_file}",
            "--session-token",
            "-",
            "--format",
            "json",
        ],
        clean_env,
        stdin=TOKEN,
    )
    assert issued_keys(token_from_stdin) == (SECRET, TOKEN)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--secret-access-key", "-", "--session-token", "-"],
            "--secret-access-key and --session-token cannot both read stdin; "
            "give one of them as file://PATH",
        ),
        (
            ["--secret-access-key", "file:///nowhere/secret"],
            "--secret-access-key: /nowhere/secret: no such file",
        ),
        (["--secret-access-key", "-"], "--secret-access-key: standard input is empty"),
        # No terminal to ask on (the test runs envgen in a session of its own).
        (
            [],
            "--secret-access-key is missing and there is no terminal to ask on; give it as "
            "VALUE, file://PATH or - for stdin",
        ),
    ],
)
def test_secret_flag_sources_fail_in_one_line(
    args: list[str], expected: str, clean_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [ENVGEN, "import", "--access-key-id", ACCESS_KEY_ID, *args, "--shell", "bash"],
        capture_output=True,
        env=clean_env,
        timeout=60,
        start_new_session=True,
        input=b"",
    )
    assert assert_failed_cleanly(result) == expected
    assert result.returncode == 2


def test_a_left_out_secret_is_asked_on_the_terminal_without_echo(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    bash = require_program("bash")
    seen = tmp_path / "seen"
    # The documented idiom at an interactive terminal: stdout is a pipe, the question goes
    # to the terminal, the answer is not shown there.
    script = (
        f'out=$(envgen import --access-key-id {ACCESS_KEY_ID} --shell bash) && eval "$out"; '
        f'printf %s "$AWS_SECRET_ACCESS_KEY" > {seen}'
    )
    status, shown = run_at_a_terminal(
        [bash, "--norc", "--noprofile", "-c", script],
        clean_env,
        answers=[(f"secret access key for {ACCESS_KEY_ID}: ".encode(), SECRET.encode())],
    )
    assert status == 0, shown
    assert f"envgen: secret access key for {ACCESS_KEY_ID}: " in shown
    assert SECRET not in shown
    assert seen.read_text() == SECRET
    assert "export" not in shown


def test_help_warns_that_a_literal_secret_is_seen_by_others(clean_env: dict[str, str]) -> None:
    text = " ".join(invoke_envgen(["import", "--help"], clean_env).stdout.decode().split())
    for option in ("--secret-access-key VALUE", "--session-token VALUE"):
        described = text.split(option, 1)[1].split(" --", 1)[0]
        assert "file://PATH" in described and "- for stdin" in described
        assert "visible to other local users" in described
        assert "shell history" in described
