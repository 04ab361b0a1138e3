"""The SAML role picker on a real terminal (a pty that is the controlling terminal of envgen's
session; the picker reads /dev/tty), against a real STS endpoint over HTTP."""

from __future__ import annotations

import json
import sys

import pytest

from envgen_process import assert_failed_cleanly, run_envgen
from sts_server import StsServer, converse_on_terminal, provider_arn, role_arn, saml_assertion

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="controlling terminals are set up the Linux way"
)

PROMPT = b"envgen: role to assume [1-2]: "
TWO_ROLES = [
    (role_arn("Admin"), provider_arn("corp")),
    (role_arn("ReadOnly"), provider_arn("corp")),
]


def test_an_invalid_choice_is_asked_again(sts_env, sts: StsServer):
    assertion = saml_assertion(TWO_ROLES)
    result, shown = converse_on_terminal(
        ["saml", "--saml-assertion", assertion, "--format", "json"],
        sts_env,
        [
            (PROMPT, b"3\n"),
            (PROMPT, b"two\n"),
            (PROMPT, b"\n"),
            (PROMPT, "²\n".encode()),
            (PROMPT, b"2\n"),
        ],
    )
    assert result.returncode == 0, result.stderr.decode()
    assert shown.count(PROMPT) == 5
    assert shown.count(b"envgen: type a number from 1 to 2") == 4
    document = json.loads(result.stdout)
    assert sts.log.counts() == {"AssumeRoleWithSAML": 1}
    who = run_envgen(
        ["whoami", "--json"],
        dict(
            sts_env,
            AWS_ACCESS_KEY_ID=document["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=document["SecretAccessKey"],
            AWS_SESSION_TOKEN=document["SessionToken"],
        ),
    )
    assert ":assumed-role/ReadOnly/" in json.loads(who.stdout)["Arn"]


def test_the_picker_gives_up_after_five_wrong_answers(sts_env, sts: StsServer):
    assertion = saml_assertion(TWO_ROLES)
    result, shown = converse_on_terminal(
        ["saml", "--saml-assertion", assertion], sts_env, [(PROMPT, b"0\n")] * 5
    )
    message = assert_failed_cleanly(result)
    assert message.startswith("no role was picked on the terminal; ")
    assert role_arn("Admin") in message and "--role-arn" in message
    assert shown.count(PROMPT) == 5
    assert sts.log.counts() == {}


def test_end_of_input_at_the_picker_stops_at_once(sts_env, sts: StsServer):
    assertion = saml_assertion(TWO_ROLES)
    result, shown = converse_on_terminal(
        ["saml", "--saml-assertion", assertion], sts_env, [(PROMPT, b"\x04")]
    )
    assert "no role was picked" in assert_failed_cleanly(result)
    assert shown.count(PROMPT) == 1
    assert sts.log.counts() == {}
