"""STS errors no local server produces, stubbed with botocore's Stubber at the one module that
talks to STS: each must end as one line naming the code and what to do, with nothing on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from envgen import cli
from envgen.sources import sts_session
from envgen.sources.direct_path import THROUGH_BOTOCORE_VARIABLE

ROLE = "arn:aws:iam::123456789012:role/Deploy"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSTUBSECRET"
SECRET_IN_MESSAGE = "SuperSecretSamlOrTokenValue"


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for name in list(os.environ):
        if name.startswith(("AWS_", "ENVGEN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7STUBKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    # The stubs sit in botocore's client: the request must not take the direct road.
    monkeypatch.setenv(THROUGH_BOTOCORE_VARIABLE, "1")
    return tmp_path


def stub_error(monkeypatch, operation: str, code: str, message: str, status: int = 400):  # type: ignore[no-untyped-def]
    from botocore.stub import Stubber

    real = sts_session.make_client
    stubbers = []

    def stubbed(*args, **kwargs):  # type: ignore[no-untyped-def]
        client = real(*args, **kwargs)
        stubber = Stubber(client)
        stubber.add_client_error(
            operation,
            service_error_code=code,
            service_message=message,
            http_status_code=status,
        )
        stubber.activate()
        stubbers.append(stubber)
        return client

    monkeypatch.setattr(sts_session, "make_client", stubbed)
    return stubbers


def fail(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    out, err = capsys.readouterr()
    assert exited.value.code not in (0, None)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("envgen: error: "), err
    assert SECRET not in err and SECRET_IN_MESSAGE not in err
    return err


ROLE_CASES = [
    (
        "AccessDenied",
        403,
        f"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        f"sts:AssumeRole on resource: {ROLE}",
        ["trust policy", "user/alice", "whoami"],
    ),
    (
        "ExpiredToken",
        400,
        "The security token included in the request is expired",
        ["expired", "fresh"],
    ),
    ("Throttling", 400, "Rate exceeded", ["throttling", "wait"]),
    (
        "RegionDisabled",
        403,
        "STS is not activated in this region for account:123456789012",
        ["--region", "activate"],
    ),
    (
        "ValidationError",
        400,
        f"Value '{SECRET_IN_MESSAGE}' at 'x' failed to satisfy constraint",
        ["duration"],
    ),
]


@pytest.mark.parametrize(("code", "status", "message", "advice"), ROLE_CASES)
def test_assume_role_errors(aws_home, monkeypatch, capsys, code, status, message, advice):
    stubbers = stub_error(monkeypatch, "assume_role", code, message, status)
    err = fail(["assume", "--role-arn", ROLE, "--format", "json"], capsys)
    assert f"AssumeRole: {code}" in err
    for words in advice:
        assert words in err
    assert len(stubbers) == 1
    stubbers[0].assert_no_pending_responses()
    # A refused call leaves nothing in the shared cache.
    assert not list((aws_home / ".aws" / "cli" / "cache").glob("*.json"))


def test_session_token_error(aws_home, monkeypatch, capsys):
    stub_error(
        monkeypatch,
        "get_session_token",
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    err = fail(["assume"], capsys)
    assert "GetSessionToken: InvalidClientTokenId" in err and "not valid" in err


def test_web_identity_invalid_token(aws_home, monkeypatch, capsys):
    stub_error(
        monkeypatch,
        "assume_role_with_web_identity",
        "InvalidIdentityToken",
        f"Couldn't retrieve verification key from your identity provider {SECRET_IN_MESSAGE}",
    )
    err = fail(
        ["web-identity", "--role-arn", ROLE, "--web-identity-token", "eyJhbGciOi.x.y"], capsys
    )
    assert "AssumeRoleWithWebIdentity: InvalidIdentityToken" in err
    assert "OIDC" in err


def test_saml_rejected_claim(aws_home, monkeypatch, capsys):
    import base64

    document = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion>'
        '<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
        f"<saml:AttributeValue>{ROLE},arn:aws:iam::123456789012:saml-provider/corp"
        "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
        "</saml:Assertion></samlp:Response>"
    )
    stub_error(
        monkeypatch,
        "assume_role_with_saml",
        "ExpiredTokenException",
        "Token must be redeemed within 5 minutes of issuance",
    )
    err = fail(["saml", "--saml-assertion", base64.b64encode(document.encode()).decode()], capsys)
    assert "AssumeRoleWithSAML: ExpiredTokenException" in err and "fresh" in err


def test_whoami_with_expired_credentials(aws_home, monkeypatch, capsys):
    stub_error(
        monkeypatch,
        "get_caller_identity",
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    err = fail(["whoami", "--json"], capsys)
    assert "GetCallerIdentity: ExpiredToken" in err


def test_no_base_credentials(aws_home, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    err = fail(["assume", "--role-arn", ROLE], capsys)
    assert "no AWS credentials found" in err
    assert "aws configure" in err and "AWS_ACCESS_KEY_ID" in err


def test_broken_profile_configuration(aws_home, monkeypatch, capsys):
    (aws_home / "config").write_text(
        f"[profile loop]\nrole_arn = {ROLE}\nsource_profile = loop2\n"
        f"[profile loop2]\nrole_arn = {ROLE}\nsource_profile = loop\n"
    )
    err = fail(["assume", "loop"], capsys)
    assert "AWS configuration problem" in err and "loop" in err


def test_control_characters_in_a_quoted_message_are_escaped(aws_home, monkeypatch, capsys):
    stub_error(
        monkeypatch,
        "assume_role",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/\x1b[2J\x1b]0;x\x07alice\u202e\u009b31m "
        "is not authorized",
        403,
    )
    err = fail(["assume", "--role-arn", ROLE, "--format", "json"], capsys)
    assert "user/\\x1b[2J\\x1b]0;x\\x07alice\\u202e\\x9b31m is not authorized" in err
    assert all(character.isprintable() for character in err.rstrip("\n"))
