"""A role that asks for MFA over long-term keys, renewed without a new code.

A code typed for AssumeRole is spent on that one call, so each renewal of such a role would ask
the terminal again, while the command owns it. Here the code buys a session instead
(GetSessionToken with the profile's mfa_serial, signed with the source profile's keys; 12 hours
by default), and the role is assumed with that session, which carries the MFA sign-in: every
renewal until the session ends needs no code. This is possible only where the role's source is
long-term keys in a profile (a session cannot be asked for with temporary credentials); every
other source is renewed the way `exec` asks it (envgen.sources.assume).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from envgen.config_files import ConfigUnreadable, read_profiles
from envgen.credentials import Credentials
from envgen.messages import detail
from envgen.sources import terminal, validation
from envgen.sources.request import Issued, Place, RoleOptions

# Settings that send botocore elsewhere than "source_profile's keys, then AssumeRole".
_OTHER_ROADS = frozenset(
    {"credential_source", "web_identity_token_file", "credential_process", "sso_session"}
)
# A session closer to its end than this is not used for one more renewal: a new one is asked.
SESSION_MARGIN = timedelta(minutes=5)


@dataclasses.dataclass(frozen=True)
class MfaRole:
    profile: str
    role_arn: str
    serial: str
    access_key_id: str
    secret_access_key: str = dataclasses.field(repr=False)
    session_name: str | None
    duration_seconds: int | None
    external_id: str | None


def _text(settings: Mapping[str, str], key: str) -> str | None:
    value = settings.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def mfa_role(
    where: Place, options: RoleOptions, environ: Mapping[str, str] = os.environ
) -> MfaRole | None:
    """The profile's role when it asks for MFA over long-term keys in its source profile;
    None for every other source."""
    name = where.profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    if options.role_arn is not None or not name:
        return None
    try:
        profiles = read_profiles(environ)
    except ConfigUnreadable:
        return None
    settings = profiles.get(name, {})
    role_arn, source = _text(settings, "role_arn"), _text(settings, "source_profile")
    serial = options.serial_number or _text(settings, "mfa_serial")
    if role_arn is None or source is None or serial is None or _OTHER_ROADS & set(settings):
        return None
    keys = profiles.get(source, {})
    access_key_id = _text(keys, "aws_access_key_id")
    secret = _text(keys, "aws_secret_access_key")
    if (
        access_key_id is None
        or secret is None
        or "aws_session_token" in keys
        or "role_arn" in keys
        or _OTHER_ROADS & set(keys)
    ):
        return None
    duration = options.duration_seconds
    if duration is None and _text(settings, "duration_seconds") is not None:
        try:
            duration = int(settings["duration_seconds"])
        except ValueError:
            return None
    return MfaRole(
        profile=name,
        role_arn=role_arn,
        serial=serial,
        access_key_id=access_key_id,
        secret_access_key=secret,
        session_name=options.session_name or _text(settings, "role_session_name"),
        duration_seconds=duration,
        external_id=options.external_id or _text(settings, "external_id"),
    )


class MfaSessionRole:
    """Issues the role's credentials, asking for an MFA code only when a session is needed."""

    def __init__(self, where: Place, role: MfaRole, token_code: str | None) -> None:
        self._where = where.with_profile(role.profile)
        self._role = role
        self._code = token_code
        self._session: Credentials | None = None

    @property
    def session_expiration(self) -> datetime | None:
        return self._session.expiration if self._session is not None else None

    def issue(self) -> Issued:
        from envgen.sources import sts_session

        role = self._role
        with sts_session.sts_errors(self._where):
            context = sts_session.open_context(self._where, role.profile)
            now = datetime.now(timezone.utc)
            session = self._session
            if session is None or (
                session.expiration is not None and session.expiration - SESSION_MARGIN <= now
            ):
                # A code given on the command line serves the first session only.
                code = terminal.ask_mfa_code(role.serial, self._code)
                self._code = None
                keys = context.client(
                    aws_access_key_id=role.access_key_id,
                    aws_secret_access_key=role.secret_access_key,
                )
                answer = keys.get_session_token(SerialNumber=role.serial, TokenCode=code)
                session = sts_session.credentials_from_response(answer["Credentials"], None)
                self._session = session
                detail(f"MFA session for {role.serial} until {session.expiration}")
            request: dict[str, Any] = {
                "RoleArn": role.role_arn,
                "RoleSessionName": role.session_name or validation.default_session_name(),
            }
            if role.duration_seconds is not None:
                request["DurationSeconds"] = role.duration_seconds
            if role.external_id is not None:
                request["ExternalId"] = role.external_id
            signed = context.client(
                aws_access_key_id=session.access_key_id,
                aws_secret_access_key=session.secret_access_key,
                aws_session_token=session.session_token,
            )
            answer = signed.assume_role(**request)
            credentials = sts_session.credentials_from_response(
                answer["Credentials"], context.region
            )
        whose = f"{role.role_arn} (profile {role.profile})"
        return Issued(credentials, whose, "role", role.profile)
