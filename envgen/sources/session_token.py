"""GetSessionToken: the base credentials botocore finds, traded for temporary ones (with the
MFA code when the profile names an mfa_serial); credentials already temporary are exported as
they are."""

from __future__ import annotations

import os
from typing import Any

from envgen.credentials import CREDENTIAL_EXPIRATION, Credentials, parse_expiration
from envgen.sources import credential_chain, terminal, validation
from envgen.sources.request import PASSED_THROUGH, Issued, RoleOptions
from envgen.sources.sts_session import StsContext, credentials_from_response


def get_session_token(context: StsContext, role_options: RoleOptions) -> Issued:
    credential_chain.install(context, terminal.prompter_for(role_options.token_code))
    base = credential_chain.base_credentials(context)
    frozen = base.get_frozen_credentials()
    profile = context.session.profile
    source = "the environment" if base.method == "env" else f"profile {context.profile_name}"
    if frozen.token:
        # Already temporary: exported as they are; their expiry is known only from the
        # environment variable that came with them.
        expiration = None
        if base.method == "env" and os.environ.get(CREDENTIAL_EXPIRATION):
            expiration = parse_expiration(os.environ[CREDENTIAL_EXPIRATION])
        credentials = Credentials(
            frozen.access_key, frozen.secret_key, frozen.token, expiration, context.region
        )
        return Issued(
            credentials, f"{source} (already temporary)", "session-token", profile, PASSED_THROUGH
        )

    # Long-term keys never leave as they are: trade them for a session token.
    serial = role_options.serial_number or context.settings.get("mfa_serial")
    request: dict[str, Any] = {
        "DurationSeconds": role_options.duration_seconds or validation.DEFAULT_DURATION_SECONDS
    }
    if serial:
        request["SerialNumber"] = serial
        request["TokenCode"] = terminal.ask_mfa_code(serial, role_options.token_code)
    client = context.client(
        aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key
    )
    response = client.get_session_token(**request)
    credentials = credentials_from_response(response["Credentials"], context.region)
    return Issued(credentials, f"{source} (session token)", "session-token", profile, base.method)
