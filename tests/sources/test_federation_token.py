"""The federated user's name GetFederationToken is asked for: what STS accepts, whoever runs it."""

from __future__ import annotations

import re

import pytest

from envgen.sources import federation_token


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("alice", "envgen-alice"),
        ("chris.kings-lynne@healthengine.com.au", "envgen-chris.kings-lynne@healthe"),
        ("DOMAIN\\bob smith", "envgen-DOMAIN-bob-smith"),
        ("", "envgen"),
    ],
)
def test_the_federated_user_name_fits_what_sts_accepts(monkeypatch, login, expected):
    monkeypatch.setattr("getpass.getuser", lambda: login)
    name = federation_token.federated_user_name()
    assert name == expected
    assert re.fullmatch(r"[\w+=,.@-]{2,32}", name)
