"""`envgen exec PROFILE --serve -- CMD`: the command gets no keys, only the address of a
credentials endpoint envgen serves on 127.0.0.1 and the token it must show; the AWS SDKs and
the AWS CLI poll it and refresh from it by themselves, and envgen renews the credentials behind
it from the same source before they expire, until the command ends.

- endpoint.py: the HTTP endpoint;
- renewal.py: the thread that renews the credentials;
- aws_files.py: the command's copies of the AWS files, without the default profile's
  credentials, which would win over the endpoint.

A role that asks for MFA over long-term keys is renewed through an MFA session
(envgen.sources.mfa_session), every other source as `exec` asks it (envgen.sources.assume).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from envgen import child
from envgen.credentials import DEFAULT_REGION, MANAGED_VARIABLES, REGION, format_expiration
from envgen.errors import UsageError
from envgen.messages import inform
from envgen.serve import aws_files
from envgen.serve.endpoint import CredentialsEndpoint
from envgen.serve.renewal import Renewal
from envgen.sources import mfa_session
from envgen.sources.request import Issued, Place, RoleOptions

FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
AUTHORIZATION_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"

# Variables that would send the command's SDK elsewhere than to the endpoint: botocore takes a
# relative URI over the full one and a token file over the token, web identity from the
# environment and the legacy AWS_CREDENTIAL_FILE before the container.
SUPERSEDING_VARIABLES: tuple[str, ...] = (
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_FILE",
)


def served_environment(
    url: str,
    token: str,
    region: str | None,
    files: Mapping[str, str],
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The caller's environment without keys or anything that would win over the endpoint,
    with the endpoint, its token, the region and the private AWS files."""
    environment = dict(os.environ if base is None else base)
    for name in (*MANAGED_VARIABLES, *SUPERSEDING_VARIABLES):
        environment.pop(name, None)
    if region is not None:
        environment[REGION] = region
        environment[DEFAULT_REGION] = region
    environment.update(files)
    environment[FULL_URI] = url
    environment[AUTHORIZATION_TOKEN] = token
    return environment


def issuers(where: Place, options: RoleOptions) -> tuple[Issued, Callable[[], Issued]]:
    """The first credentials, and how to renew them: a role that asks for MFA over long-term
    keys through an MFA session (one code for many renewals); every other source as `exec`
    asks it, an MFA code given on the command line being spent on the first call."""
    from envgen.sources import assume

    role = mfa_session.mfa_role(where, options)
    if role is not None:
        session_role = mfa_session.MfaSessionRole(where, role, options.token_code)
        first = session_role.issue()
        ends = session_role.session_expiration
        if ends is not None:
            inform(
                f"the MFA code opened a session until {format_expiration(ends)}: renewing "
                f"{role.role_arn} needs no code until then"
            )
        return first, session_role.issue
    renewal_options = options.without_token_code()
    return assume.issue(where, options), lambda: assume.issue(where, renewal_options)


def run(command: Sequence[str], where: Place, options: RoleOptions, window: int) -> int:
    """Serve credentials from WHERE and OPTIONS, renewed WINDOW seconds before each expiry, to
    COMMAND while it runs; its exit status."""
    issued, renew = issuers(where, options)
    credentials = issued.credentials
    if credentials.expiration is None or credentials.session_token is None:
        raise UsageError(
            f"{issued.whose or 'these credentials'} are not temporary credentials with an "
            "expiry, which the endpoint needs; run without --serve"
        )
    credentials.refuse_if_expired()
    expires = credentials.expiration
    renewal = Renewal(renew, credentials, window)
    endpoint = CredentialsEndpoint(renewal.current)
    try:
        with aws_files.private_copies() as files:
            environment = served_environment(
                endpoint.url, endpoint.token, credentials.region, files
            )

            def start_beside() -> None:
                endpoint.start()
                renewal.start()
                inform(
                    f"serving {issued.whose or 'the credentials'} to the command on "
                    f"127.0.0.1:{endpoint.port} until it ends; they expire at "
                    f"{format_expiration(expires)}, renewed {window} s before"
                )

            return child.run_alongside(command, environment, start_beside)
    finally:
        renewal.stop()
        endpoint.stop()
