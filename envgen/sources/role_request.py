"""What a request to STS is made of, and what it gives back: plain values, so the cached
path can use them without loading the module that talks to STS."""

from __future__ import annotations

import dataclasses

from envgen.credentials import Credentials


@dataclasses.dataclass(frozen=True)
class Place:
    """Which configuration to start from and where STS is."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclasses.dataclass(frozen=True)
class RoleOptions:
    role_arn: str | None = None
    session_name: str | None = None
    duration_seconds: int | None = None
    external_id: str | None = None
    serial_number: str | None = None
    token_code: str | None = dataclasses.field(default=None, repr=False)

    def profile_overrides(self) -> dict[str, str | int]:
        """What the command line lays over a role profile, under the profile's own key names."""
        laid_over = (
            ("role_session_name", self.session_name),
            ("duration_seconds", self.duration_seconds),
            ("external_id", self.external_id),
            ("mfa_serial", self.serial_number),
        )
        return {key: value for key, value in laid_over if value is not None}


@dataclasses.dataclass(frozen=True)
class Issued:
    credentials: Credentials
    whose: str
