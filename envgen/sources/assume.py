"""AssumeRole / GetSessionToken for `envgen assume` and `envgen exec`: the command line checked
first, then one trip to STS (or none, when the shared cache still holds the role)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from envgen import regions
from envgen.credentials import MANAGED_VARIABLES, Credentials
from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources import validation
from envgen.sources.role_request import Issued, Place, RoleOptions


def one_profile(positional: str | None, option: str | None) -> str | None:
    """The profile named as PROFILE or with --profile (the AWS CLI's habit); both may be given
    only when they agree."""
    if positional is not None and option is not None and positional != option:
        raise UsageError(
            f"PROFILE {positional!r} and --profile {option!r} name different profiles; "
            "give one of them"
        )
    named = option if option is not None else positional
    if named is not None and not named.strip():
        raise UsageError("the profile name is empty; give a profile of your AWS config files")
    return named


def place(profile: str | None, region: str | None, endpoint_url: str | None) -> Place:
    return Place(
        profile, regions.checked(region, "--region"), validation.endpoint_url(endpoint_url)
    )


def role_options(
    role_arn: str | None = None,
    session_name: str | None = None,
    duration_seconds: int | None = None,
    external_id: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
) -> RoleOptions:
    return RoleOptions(
        role_arn=validation.role_arn(role_arn),
        session_name=validation.session_name(session_name),
        duration_seconds=validation.duration(duration_seconds),
        external_id=validation.external_id(external_id),
        serial_number=validation.serial_number(serial_number),
        token_code=validation.token_code(token_code),
    )


def issue(where: Place, options: RoleOptions) -> Issued:
    """Credentials for `assume` and `exec`: a profile's role still fresh in the shared cache
    is answered without loading botocore; an SSO profile goes to IAM Identity Center;
    anything else goes to STS."""
    from envgen import cache
    from envgen.sources import sso

    from_identity_center = sso.issue(where, options)
    if from_identity_center is not None:
        return from_identity_center
    cached = cache.cached_assumption(where, options)
    if cached is not None:
        detail(f"cache hit: {cached.whose}, from {cache.CACHE_DIR}; no STS call")
        return cached
    detail(
        "no cache entry envgen can serve by itself; botocore takes over (it reads the cache too)"
    )
    from envgen.sources import sts

    return sts.assume(where, options)


def child_environment(
    credentials: Credentials, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment with every managed variable replaced, none left stale."""
    environment = dict(os.environ if base is None else base)
    for name in MANAGED_VARIABLES:
        environment.pop(name, None)
    environment.update(credentials.environment())
    return environment


def run(command: Sequence[str], environment: dict[str, str]) -> int:
    """Run COMMAND with the credentials; on POSIX envgen becomes it, so signals and the exit
    status are the command's own."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if os.name == "posix":
            os.execvpe(command[0], list(command), environment)
        return subprocess.run(list(command), env=environment, check=False).returncode
    except FileNotFoundError:
        raise EnvgenError(f"{command[0]}: command not found", exit_code=127) from None
    except PermissionError:
        raise EnvgenError(f"{command[0]}: permission denied", exit_code=126) from None
    except OSError as error:
        raise EnvgenError(
            f"{command[0]}: cannot run it ({error.strerror})", exit_code=126
        ) from None
