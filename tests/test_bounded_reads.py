"""Inputs read from a file or stdin (import's document, --saml-assertion, --web-identity-token)
are read up to a cap and never block: a FIFO or device is refused, /dev/zero on stdin ends at
the cap. Every valid input still fits. Run as the real executable."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen_process import ACCESS_KEY_ID, SECRET, assert_failed_cleanly, sts_document
from hostile_endpoints import closed_port_url

ROLE = "arn:aws:iam::123456789012:role/Dev"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/corp"
# Generous for start-up on a busy machine; a blocked read would never end at all.
PATIENCE = 20


pytestmark = pytest.mark.posix("FIFOs, /dev/zero and a memory limit set before exec")


def limited_memory() -> None:
    # A reader without a cap would fill memory from /dev/zero at gigabytes a second; this
    # turns that into a prompt failure instead of a machine brought to its knees.
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def run(
    args: list[str], env: dict[str, str], stdin: int | bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [ENVGEN, *args],
        input=stdin if isinstance(stdin, bytes) else None,
        stdin=None if isinstance(stdin, bytes) else stdin,
        capture_output=True,
        env=env,
        timeout=PATIENCE,
        preexec_fn=limited_memory,
    )


@pytest.fixture
def net_env(clean_env: dict[str, str]) -> dict[str, str]:
    # Nothing answers there: a command that got past reading its input says so.
    return dict(clean_env, AWS_ENDPOINT_URL_STS=closed_port_url())


def input_commands(value: str) -> dict[str, list[str]]:
    return {
        "import": ["import", value.removeprefix("file://"), "--format", "json"],
        "saml": ["saml", "--saml-assertion", value, "--format", "json"],
        "web-identity": [
            "web-identity",
            "--role-arn",
            ROLE,
            "--web-identity-token",
            value,
            "--format",
            "json",
        ],
    }


@pytest.mark.parametrize("command", ["import", "saml", "web-identity"])
def test_dev_zero_on_stdin_ends_at_the_cap(net_env, command):
    with open("/dev/zero", "rb") as zeros:
        result = run(input_commands("-")[command], net_env, stdin=zeros.fileno())
    message = assert_failed_cleanly(result)
    assert result.returncode == 2
    assert "standard input: more than" in message


@pytest.mark.parametrize("command", ["import", "saml", "web-identity"])
def test_a_device_path_is_refused(net_env, command):
    result = run(input_commands("file:///dev/zero")[command], net_env)
    assert "/dev/zero: is a device, not a regular file" in assert_failed_cleanly(result)
    assert result.returncode == 2


@pytest.mark.parametrize("command", ["import", "saml", "web-identity"])
def test_a_fifo_is_refused_rather_than_waited_on(net_env, tmp_path, command):
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    # Nobody ever writes to it: opening it for reading in the usual way waits for ever.
    result = run(input_commands(f"file://{fifo}")[command], net_env)
    assert f"{fifo}: is a FIFO, not a regular file" in assert_failed_cleanly(result)


def test_dev_stdin_as_a_path_points_to_the_dash(net_env):
    with open("/dev/zero", "rb") as zeros:
        result = run(["import", "/dev/stdin"], net_env, stdin=zeros.fileno())
    assert "or - to read stdin" in assert_failed_cleanly(result)


def saml_assertion_of_length(characters: int) -> str:
    """A well-formed SAMLResponse whose base64 is exactly CHARACTERS long (a multiple of 4)."""
    head = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion>'
        "<saml:AttributeStatement><saml:Attribute "
        'Name="https://aws.amazon.com/SAML/Attributes/Role">'
        f"<saml:AttributeValue>{ROLE},{PROVIDER}</saml:AttributeValue>"
        "</saml:Attribute></saml:AttributeStatement></saml:Assertion><!--"
    )
    tail = "--></samlp:Response>"
    padding = characters // 4 * 3 - len(head) - len(tail)
    encoded = base64.b64encode((head + "x" * padding + tail).encode()).decode()
    assert len(encoded) == characters
    return encoded


def wrapped(text: str, width: int) -> str:
    return "".join(text[i : i + width] + "\r\n" for i in range(0, len(text), width))


def test_the_longest_assertion_sts_takes_fits_even_wrapped(net_env, tmp_path):
    path = tmp_path / "assertion.b64"
    # 100,000 characters, STS's own limit, in lines of 16 with CR LF ends: 150,000 bytes.
    path.write_text(wrapped(saml_assertion_of_length(100_000), 16), newline="")
    result = run(["saml", "--saml-assertion", f"file://{path}", "--format", "json"], net_env)
    # Read, decoded, parsed, and sent: only the closed port stopped it.
    assert "cannot reach STS" in assert_failed_cleanly(result)


def test_an_assertion_file_beyond_the_cap_is_refused(net_env, tmp_path):
    path = tmp_path / "assertion.b64"
    path.write_text(wrapped(saml_assertion_of_length(300_000), 64))
    result = run(["saml", "--saml-assertion", f"file://{path}"], net_env)
    assert "more than 256 KiB" in assert_failed_cleanly(result)


def test_the_longest_token_sts_takes_fits(net_env, tmp_path):
    path = tmp_path / "token"
    path.write_text("e" * 20_000 + "\n")
    result = run(
        ["web-identity", "--role-arn", ROLE, "--web-identity-token", f"file://{path}"], net_env
    )
    assert "cannot reach STS" in assert_failed_cleanly(result)
    path.write_text("e" * 70_000)
    result = run(
        ["web-identity", "--role-arn", ROLE, "--web-identity-token", f"file://{path}"], net_env
    )
    assert "more than 64 KiB" in assert_failed_cleanly(result)


def test_a_large_but_valid_document_is_imported(clean_env, tmp_path):
    # Room for what real documents carry beside the keys (policies, tags, long tokens).
    document = json.loads(sts_document())
    document["Padding"] = "p" * 500_000
    path = tmp_path / "creds.json"
    path.write_text(json.dumps(document))
    result = run(["import", str(path), "--format", "json"], clean_env)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["AccessKeyId"] == ACCESS_KEY_ID


# --- what the JSON may hold ------------------------------------------------------------------


def credential_process(version: str) -> bytes:
    return (
        f'{{"Version": {version}, "AccessKeyId": "{ACCESS_KEY_ID}", "SecretAccessKey": "{SECRET}"}}'
    ).encode()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (credential_process("9" * 5000), "a number of more than 100 digits"),
        (
            b'{"Credentials": {"AccessKeyId": "'
            + ACCESS_KEY_ID.encode()
            + b'", "N": -'
            + b"1" * 5000
            + b"}}",
            "a number of more than 100 digits",
        ),
        (credential_process("true"), "Version is not supported"),
        (credential_process("1.0"), "Version is not supported"),
        (credential_process("2"), "Version 2 is not supported"),
        (credential_process("1" + "0" * 50), "Version is not supported"),
    ],
    ids=["5000 digits", "5000 digits inside", "true", "1.0", "2", "50 digits"],
)
def test_numbers_the_format_does_not_allow_are_usage_errors(clean_env, document, expected):
    result = run(["import", "-", "--format", "json"], clean_env, stdin=document)
    assert expected in assert_failed_cleanly(result)
    assert result.returncode == 2


def test_version_one_is_still_accepted(clean_env):
    result = run(["import", "-", "--format", "json"], clean_env, stdin=credential_process("1"))
    assert result.returncode == 0, result.stderr.decode()


def test_empty_stdin_is_invalid_json_not_a_wait(clean_env):
    result = subprocess.run(
        [ENVGEN, "import", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=clean_env,
        timeout=PATIENCE,
    )
    assert "not valid JSON" in assert_failed_cleanly(result)


def test_home_is_untouched_when_input_is_refused(net_env):
    home = Path(net_env["HOME"])
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    with open("/dev/zero", "rb") as zeros:
        run(["import", "-", "--persist", "--shell", "bash"], net_env, stdin=zeros.fileno())
    run(["import", "/dev/zero", "--save-profile", "saved"], net_env)
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before


# --- token files botocore reads for a profile or the environment ------------------------------


def token_profile(env: dict[str, str], token_file: str) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(exist_ok=True)
    config.write_text(f"[profile ci]\nrole_arn = {ROLE}\nweb_identity_token_file = {token_file}\n")


@pytest.mark.parametrize(
    ("token_file", "expected"),
    [("/dev/zero", "is a device"), ("{fifo}", "is a FIFO"), ("{missing}", "no such file")],
)
def test_a_profiles_token_file_that_is_no_file_is_one_line(net_env, tmp_path, token_file, expected):
    fifo, missing = tmp_path / "fifo", tmp_path / "missing"
    os.mkfifo(fifo)
    token_profile(net_env, token_file.format(fifo=fifo, missing=missing))
    for args in (["assume", "ci", "--format", "json"], ["whoami", "--profile", "ci"]):
        message = assert_failed_cleanly(run(args, net_env))
        assert "web_identity_token_file" in message and expected in message


def test_the_environments_token_file_that_is_no_file_is_one_line(net_env):
    env = dict(net_env, AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE="/dev/zero")
    message = assert_failed_cleanly(run(["whoami"], env))
    assert "AWS_WEB_IDENTITY_TOKEN_FILE: /dev/zero is a device" in message
