"""Where envgen sends credentials, and what it prints of what comes back: a malformed endpoint
URL from any setting is one line (never an internal error), plain http:// to anything but
loopback is warned about, and error text from STS reaches the terminal with its control
characters escaped. Run as the real executable against servers on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from hostile_endpoints import ACCESS_DENIED, NETWORK_COMMANDS, HostileEndpoint, answer, answering
from sts_server import (
    StsServer,
    role_arn,
    with_long_term_keys,
)

ROLE = role_arn("Dev")


@pytest.fixture
def keys_env(clean_env: dict[str, str]) -> dict[str, str]:
    env = with_long_term_keys(clean_env)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        env.pop(proxy, None)
    return env


def files_under(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


MALFORMED = [
    "http://[::1",
    "ftp://x",
    "http://host:99999",
    "http://:80",
    "https://sts x",
    "http://user:secret@127.0.0.1:9",
    "http://127.0.0.1:0",
]
# An empty AWS_ENDPOINT_URL_STS or endpoint_url is no setting at all, for botocore as for the
# AWS CLI; only the flag can be given empty.
CASES = [(url, where) for url in MALFORMED for where in ("flag", "environment", "profile")]


@pytest.mark.parametrize(("url", "where"), [*CASES, ("", "flag")])
def test_a_malformed_endpoint_url_is_one_line_and_changes_nothing(keys_env, url, where):
    env = dict(keys_env)
    args = ["assume", "--role-arn", ROLE, "--save-profile", "saved"]
    if where == "flag":
        args += ["--endpoint-url", url]
    elif where == "environment":
        env["AWS_ENDPOINT_URL_STS"] = url
    else:
        config = Path(env["AWS_CONFIG_FILE"])
        config.write_text(config.read_text() + f"endpoint_url = {url}\n")
    home = Path(env["HOME"])
    before = files_under(home)
    result = invoke_envgen(args, env)
    message = assert_failed_cleanly(result, "secret")
    assert result.returncode in (1, 2)
    assert "endpoint" in message.lower()
    assert files_under(home) == before


def plain_http_warnings(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode().splitlines() if "plain http" in line]


@pytest.mark.parametrize(
    "endpoint", ["http://sts.example.com", "http://10.20.30.40:8080", "http://[2001:db8::1]:80"]
)
def test_plain_http_to_another_host_is_warned_about_once(keys_env, endpoint):
    # The loopback server stands in for the network as an HTTP proxy: every request goes to it,
    # whatever host the URL names. It fails twice (503), so the request is sent twice.
    page = answer("503 Service Unavailable", b"", "text/html")
    with HostileEndpoint(answering(page)) as proxy:
        env = dict(keys_env, HTTP_PROXY=proxy.url, AWS_ENDPOINT_URL_STS=endpoint)
        for name in ("assume", "whoami", "web-identity"):
            result = invoke_envgen(NETWORK_COMMANDS[name], env)
            assert result.returncode == 1 and result.stdout == b""
            warnings = plain_http_warnings(result.stderr)
            assert len(warnings) == 1, result.stderr.decode()
            host = endpoint.split("//")[1]
            assert f"http://{host} is plain http" in warnings[0]
            assert "unencrypted" in warnings[0]
        assert proxy.requests == 6


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://localhost:{port}",
        "http://127.0.0.1:{port}",
        "http://127.8.9.10:{port}",
        "http://[::1]:{port}",
    ],
)
def test_plain_http_on_loopback_is_not_warned_about(keys_env, endpoint):
    with HostileEndpoint(answering(ACCESS_DENIED)) as proxy:
        env = dict(
            keys_env,
            HTTP_PROXY=proxy.url,
            AWS_ENDPOINT_URL_STS=endpoint.format(port=proxy.url.rsplit(":", 1)[1]),
        )
        result = invoke_envgen(NETWORK_COMMANDS["assume"], env)
        assert proxy.requests == 1
    assert "AccessDenied" in assert_failed_cleanly(result)


def sts_error(code: str, message: str) -> bytes:
    return answer(
        "403 Forbidden",
        (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>"
        ).encode(),
    )


# What XML lets a server send: C1 controls (U+009B is CSI, the terminal's escape sequence
# opener on its own) and bidirectional overrides. C0 controls cannot appear in XML 1.0.
HOSTILE_TEXTS = {
    "csi": ("AccessDenied", "Not authorized \u009b2J\u009b31m to assume", "\\x9b2J\\x9b31m"),
    "bidi override": ("AccessDenied", "role/\u202etoor\u202c here", "role/\\u202etoor\\u202c"),
    "bidi isolate": ("AccessDenied", "x\u2067y\u2069 \u200fz", "x\\u2067y\\u2069 \\u200fz"),
    "in the code": ("Bad\u202eCode\u009b", "whatever", "Bad\\u202eCode\\x9b"),
    "line separator": ("AccessDenied", "first\u2028second", "first second"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TEXTS))
def test_control_characters_from_sts_are_shown_escaped(keys_env, case):
    code, text, shown = HOSTILE_TEXTS[case]
    with HostileEndpoint(answering(sts_error(code, text))) as server:
        env = dict(keys_env, AWS_ENDPOINT_URL_STS=server.url)
        results = [invoke_envgen(NETWORK_COMMANDS[name], env) for name in ("assume", "whoami")]
    for result in results:
        message = assert_failed_cleanly(result)
        assert shown in message
        raw = result.stderr.decode()
        for character in raw:
            assert character.isprintable() or character == "\n", repr(character)


def test_a_path_with_an_escape_sequence_is_shown_escaped(keys_env, tmp_path):
    path = tmp_path / "\x1b[2J\x1b]0;owned\x07.json"
    message = assert_failed_cleanly(invoke_envgen(["import", str(path)], keys_env))
    assert "\\x1b[2J\\x1b]0;owned\\x07.json: no such file" in message
    assert "\x1b" not in message and "\x07" not in message


def test_endpoint_url_reaches_a_profiles_web_identity_role(keys_env, sts: StsServer, tmp_path):
    # botocore makes this STS client itself; the command line's endpoint must still be the one
    # the token goes to.
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl\n")
    Path(keys_env["AWS_CONFIG_FILE"]).write_text(
        f"[profile ci]\nrole_arn = {ROLE}\nweb_identity_token_file = {token}\n"
    )
    result = invoke_envgen(
        ["assume", "ci", "--endpoint-url", sts.url, "--format", "json"], keys_env
    )
    assert result.returncode == 0, result.stderr.decode()
    assert sts.log.counts() == {"AssumeRoleWithWebIdentity": 1}
