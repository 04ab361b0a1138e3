"""envgen.sources.saml: reading a SAML assertion (the roles it grants, its session duration, the
XML it refuses), and AssumeRoleWithSAML through the real executable against a real STS endpoint
over HTTP."""

from __future__ import annotations

import base64
import time

import pytest

from envgen.errors import UsageError
from envgen.sources import saml, validation
from envgen.sources.terminal import NoTerminal
from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly, run_envgen
from sts_commands import (
    identity,
    issued,
    lifetime,
    on_linux,
    with_keys,
)
from sts_server import StsServer, provider_arn, role_arn, run_envgen_on_terminal, saml_assertion

ADMIN = "arn:aws:iam::123456789012:role/Admin"
READ = "arn:aws:iam::123456789012:role/path/to/ReadOnly"
CORP = "arn:aws:iam::123456789012:saml-provider/corp"
OTHER = "arn:aws:iam::210987654321:saml-provider/other-idp"


def assertion(*values: str, duration: str | None = None, prefix: str = "saml") -> bytes:
    ns = "urn:oasis:names:tc:SAML:2.0:assertion"
    role_values = "".join(
        f"<{prefix}:AttributeValue> {value} </{prefix}:AttributeValue>" for value in values
    )
    duration_xml = (
        f'<{prefix}:Attribute Name="{saml.SESSION_DURATION_ATTRIBUTE}">'
        f"<{prefix}:AttributeValue>{duration}</{prefix}:AttributeValue></{prefix}:Attribute>"
        if duration is not None
        else ""
    )
    return (
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:{prefix}="{ns}"><{prefix}:Assertion><{prefix}:AttributeStatement>'
        f'<{prefix}:Attribute Name="{saml.ROLE_ATTRIBUTE}">{role_values}</{prefix}:Attribute>'
        f'<{prefix}:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
        f"<{prefix}:AttributeValue>{READ}</{prefix}:AttributeValue></{prefix}:Attribute>"
        f"{duration_xml}</{prefix}:AttributeStatement></{prefix}:Assertion></samlp:Response>"
    ).encode()


def test_pairs_in_either_order_and_any_namespace_prefix():
    grant = saml.parse_assertion(assertion(f"{ADMIN},{CORP}", f"{OTHER}, {READ}", prefix="a"))
    assert grant.roles == (saml.RolePair(ADMIN, CORP), saml.RolePair(READ, OTHER))
    assert grant.session_duration is None


def test_session_duration_and_duplicates():
    grant = saml.parse_assertion(assertion(f"{ADMIN},{CORP}", f"{CORP},{ADMIN}", duration="3600"))
    assert grant.roles == (saml.RolePair(ADMIN, CORP),)
    assert grant.session_duration == 3600


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (assertion(f"{ADMIN}"), "role ARN,SAML provider ARN"),
        (assertion(f"{ADMIN},{READ}"), "role ARN,SAML provider ARN"),
        (assertion(f"{ADMIN},{CORP},{OTHER}"), "role ARN,SAML provider ARN"),
        (assertion(), "grants no AWS role"),
        (assertion(f"{ADMIN},{CORP}", duration="an hour"), "SessionDuration"),
        (b"<samlp:Response>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
    ],
)
def test_refused_assertions(document, words):
    with pytest.raises(UsageError, match=words):
        saml.parse_assertion(document)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%s;" % (str(n - 1).encode() if n > 1 else b"")) * 10)
        for n in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'
)
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_dtds_and_entities_are_refused_unexpanded(document):
    with pytest.raises(UsageError, match="DTD"):
        saml.parse_assertion(document)


def test_billion_laughs_is_refused_before_any_expansion():
    # Expanding it would take gigabytes and minutes; refusing the DTD takes no time at all.
    started = time.monotonic()
    with pytest.raises(UsageError, match="DTD"):
        saml.parse_assertion(BILLION_LAUGHS)
    assert time.monotonic() - started < 1


def test_choose_role():
    grant = saml.Grant((saml.RolePair(ADMIN, CORP), saml.RolePair(READ, OTHER)), None)
    assert saml.choose_role(grant, READ, None) == saml.RolePair(READ, OTHER)
    assert saml.choose_role(grant, None, CORP) == saml.RolePair(ADMIN, CORP)
    assert saml.choose_role(grant, None, None, ask=lambda question, choices: 1).role_arn == READ

    def nobody(question, choices):  # type: ignore[no-untyped-def]
        raise NoTerminal

    with pytest.raises(UsageError) as several:
        saml.choose_role(grant, None, None, ask=nobody)
    assert ADMIN in str(several.value) and READ in str(several.value)
    with pytest.raises(UsageError, match="does not grant"):
        saml.choose_role(grant, READ, CORP)
    single = saml.Grant((saml.RolePair(ADMIN, CORP),), None)
    assert saml.choose_role(single, None, None, ask=nobody) == saml.RolePair(ADMIN, CORP)


def test_duration_capped_by_session_duration():
    uncapped = saml.Grant((saml.RolePair(ADMIN, CORP),), None)
    capped = saml.Grant((saml.RolePair(ADMIN, CORP),), 1000)
    assert saml.capped_duration(None, uncapped) == (1800, False)
    assert saml.capped_duration(7200, uncapped) == (7200, False)
    assert saml.capped_duration(None, capped) == (1000, True)
    assert saml.capped_duration(900, capped) == (900, False)


def test_base64_is_checked_strictly():
    text = base64.b64encode(assertion(f"{ADMIN},{CORP}")).decode()
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert validation.saml_assertion_bytes(wrapped) == assertion(f"{ADMIN},{CORP}")
    for broken in (text[:-3] + "!" + text[-2:], text[:-1], "%%%"):
        with pytest.raises(UsageError, match="base64"):
            validation.saml_assertion_bytes(broken)
    with pytest.raises(UsageError, match="more than STS accepts"):
        validation.saml_assertion_bytes("A" * 100_004)


def test_saml_with_one_role_needs_no_flags(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))])
    document = issued(
        invoke_envgen(["saml", "--saml-assertion", assertion, "--format", "json"], sts_env)
    )
    assert sts.log.counts() == {"AssumeRoleWithSAML": 1}
    assert identity(with_keys(sts_env, document))["Arn"] == (
        "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com"
    )
    assert 1800 - 120 < lifetime(document) <= 1800


def test_saml_with_two_roles_and_role_arn_infers_the_principal(sts_env, sts: StsServer, tmp_path):
    # Pairs in both orders, as identity providers write them either way.
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (provider_arn("other"), role_arn("ReadOnly")),
        ]
    )
    saved = tmp_path / "saml.b64"
    saved.write_text(assertion + "\n")
    document = issued(
        invoke_envgen(
            [
                "saml",
                "--saml-assertion",
                f"file://{saved}",
                "--role-arn",
                role_arn("ReadOnly"),
                "--format",
                "json",
            ],
            sts_env,
        )
    )
    # The test server refuses a RoleArn/PrincipalArn that is not a pair of the assertion.
    assert sts.log.counts() == {"AssumeRoleWithSAML": 1}
    assert ":assumed-role/ReadOnly/" in identity(with_keys(sts_env, document))["Arn"]


def test_saml_with_two_roles_and_no_choice_lists_both(sts_env, sts: StsServer):
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (role_arn("ReadOnly"), provider_arn("corp")),
        ]
    )
    message = assert_failed_cleanly(
        invoke_envgen(["saml", "--saml-assertion", "-"], sts_env, stdin=assertion)
    )
    assert role_arn("Admin") in message and role_arn("ReadOnly") in message
    assert "--role-arn" in message
    assert sts.log.counts() == {}


def test_saml_duration_is_capped_by_session_duration(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))], session_duration=1000)
    result = invoke_envgen(
        ["saml", "--saml-assertion", assertion, "--duration-seconds", "7200", "--format", "json"],
        sts_env,
    )
    assert 1000 - 120 < lifetime(issued(result)) <= 1000
    assert b"1000 s" in result.stderr


def test_saml_role_the_assertion_does_not_grant_is_refused_before_sts(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))])
    message = assert_failed_cleanly(
        invoke_envgen(
            ["saml", "--saml-assertion", assertion, "--role-arn", role_arn("Root")], sts_env
        )
    )
    assert role_arn("Root") in message and role_arn("Admin") in message
    assert sts.log.counts() == {}


def test_billion_laughs_assertion_is_refused(sts_env, sts: StsServer):
    import base64

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
            for n in range(1, 10)
        )
        + ']><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol9;'
        "</samlp:Response>"
    )
    result = run_envgen(
        ["saml", "--saml-assertion", base64.b64encode(laughs.encode()).decode()],
        sts_env,
        timeout=10,
    )
    assert "DTD" in assert_failed_cleanly(result)
    assert sts.log.counts() == {}


@on_linux
def test_saml_role_is_picked_on_the_terminal(sts_env, sts: StsServer):
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (role_arn("ReadOnly"), provider_arn("corp")),
        ]
    )
    result, shown = run_envgen_on_terminal(
        ["saml", "--saml-assertion", assertion, "--format", "json"], sts_env, b"2", until=b"]: "
    )
    assert b"1) " + role_arn("Admin").encode() in shown
    assert b"2) " + role_arn("ReadOnly").encode() in shown
    document = issued(result)
    assert b"ReadOnly" not in result.stdout
    assert ":assumed-role/ReadOnly/" in identity(with_keys(sts_env, document))["Arn"]
