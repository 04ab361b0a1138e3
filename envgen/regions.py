"""The one rule for region names, wherever a region comes from: --region, AWS_REGION,
AWS_DEFAULT_REGION or a profile's `region`. Every path that signs a request or exports a region
asks here, so `eu-west` and `EU-WEST-1` get the same answer from every command.

botocore itself accepts any DNS label and then signs for it, so a typo reaches STS as an
endpoint that does not exist or a signature AWS refuses; refused here, the message can say which
setting to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from envgen.credentials import DEFAULT_REGION as DEFAULT_REGION_VARIABLE
from envgen.credentials import REGION as REGION_VARIABLE
from envgen.errors import UsageError

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Every AWS region: a two-letter area, a direction (with partition words such as gov or isob
# before it), and a number: eu-west-1, us-gov-west-1, us-isob-east-1, ap-southeast-7.
REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
# What a message may repeat: a plausible attempt at a name, never a pasted secret.
_SHOWABLE = re.compile(r"[A-Za-z0-9_ -]{0,32}")


def checked(value: str | None, origin: str) -> str | None:
    """`value` when it is a region name; `origin` says where it came from, for the message."""
    if value is None:
        return None
    if REGION_NAME.fullmatch(value):
        return value
    shown = f" {value!r}" if _SHOWABLE.fullmatch(value) else ""
    lowered = value.strip().lower()
    if REGION_NAME.fullmatch(lowered):
        advice = f"region names are lower case without spaces: {lowered}"
    else:
        advice = "give one like eu-west-1 (area, direction and number)"
    raise UsageError(f"{origin}{shown} is not a region name; {advice}")


def from_environment(environ: Mapping[str, str] = os.environ) -> str | None:
    """The region already in effect in the environment: AWS_REGION, else AWS_DEFAULT_REGION;
    an empty variable counts as unset. Both are checked: either may be the one a tool reads."""
    found = [
        checked(environ[variable], variable)
        for variable in (REGION_VARIABLE, DEFAULT_REGION_VARIABLE)
        if environ.get(variable)
    ]
    return found[0] if found else None


def botocore_setting(profile: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """botocore's `region` setting: AWS_DEFAULT_REGION when set at all (even empty), else the profile's."""
    if DEFAULT_REGION_VARIABLE in environ:
        return environ[DEFAULT_REGION_VARIABLE]
    region = profile.get("region")
    return region if isinstance(region, str) else None


def in_effect(
    given: str | None,
    profile_name: str | None = None,
    profile: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """The region a command signs for and exports: --region (already checked), else for a
    command that reads a profile botocore's setting, else the environment's; each checked and
    named where it came from. Keys imported as they are read no profile: the environment's."""
    if given:
        return given  # and the output replaces whatever the environment holds
    in_environment = from_environment(environ)
    if profile_name is None:
        return in_environment
    setting = botocore_setting(profile or {}, environ)
    if setting:
        origin = (
            DEFAULT_REGION_VARIABLE
            if DEFAULT_REGION_VARIABLE in environ
            else f"profile {profile_name}'s region"
        )
        return checked(setting, origin)
    return in_environment
