"""The botocore side every STS source shares: the session for a profile, the bounded STS client,
the profile's settings and region, and botocore's errors mapped to one actionable line each.

botocore is imported inside functions only, so rendering and the cached path never pay for it.
Configuration and credential resolution are botocore's own: profiles, `source_profile` chains,
`credential_source`, `mfa_serial`, SSO and credential_process all behave as in the AWS CLI.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from envgen.credentials import Credentials
from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources import bounded_client
from envgen.sources.aws_cli_cache import as_expiration as as_expiration
from envgen.sources.request import Place
from envgen.sources.sts_lines import ADVICE as ADVICE
from envgen.sources.sts_lines import FALLBACK_REGION as FALLBACK_REGION
from envgen.sources.sts_lines import QUOTABLE_CODES as QUOTABLE_CODES
from envgen.sources.sts_lines import (
    bounded_line,
    endpoint_named,
    failed_line,
    not_sts_line,
    refused_line,
    unreachable_line,
)

HOW_TO_PROVIDE_CREDENTIALS = (
    "give base credentials: a profile with keys in ~/.aws/credentials (aws configure), "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or envgen import"
)


def make_client(session: Any, place: Place, region: str | None, **kwargs: Any) -> Any:
    """Every STS client envgen uses is made here (tests attach botocore's Stubber here); the
    session bounds it (bounded_client)."""
    client = session.create_client(
        "sts",
        region_name=region or FALLBACK_REGION,
        endpoint_url=place.endpoint_url,
        **kwargs,
    )
    detail(f"STS endpoint {client.meta.endpoint_url}, region {client.meta.region_name}")
    return client


def bounded_botocore_session(profile: str | None) -> Any:
    """botocore's session for PROFILE, every client of it bounded (bounded_client), after the
    AWS files are checked to be of a readable size."""
    from envgen.config_files import refuse_oversized_files
    from envgen.messages import say

    refuse_oversized_files()

    # botocore logs a warning when a credential refresh fails, and with no handler Python
    # prints it to stderr: the failure is reported once, as envgen's one line.
    logging.getLogger("botocore").addHandler(logging.NullHandler())
    session = bounded_client.bounded_session(profile, warn=say)
    _regional_unless_chosen(session)
    return session


def _regional_unless_chosen(session: Any) -> None:
    """STS's regional endpoints unless the environment or the profile chooses: the default of
    botocore 1.40 and later (before, `legacy` sent some regions to the global endpoint), set
    on the session so every STS client of it, envgen's and those botocore makes for a profile,
    asks the same endpoint with every botocore envgen allows; direct_sts relies on it."""
    from botocore.exceptions import BotoCoreError

    if "AWS_STS_REGIONAL_ENDPOINTS" in os.environ:
        return
    try:
        chosen = "sts_regional_endpoints" in session.get_scoped_config()
    except BotoCoreError:
        return  # an unknown profile or an unreadable file: reported where settings are read
    if not chosen:
        session.set_config_variable("sts_regional_endpoints", "regional")


@dataclasses.dataclass(frozen=True)
class StsContext:
    """One command's botocore session and what every STS source reads from it first: the
    profile's settings (an unknown profile is refused here) and the region in effect."""

    session: Any
    place: Place
    settings: dict[str, Any]
    region: str | None

    @property
    def profile_name(self) -> str:
        return self.session.profile or "default"

    def client(self, **kwargs: Any) -> Any:
        return make_client(self.session, self.place, self.region, **kwargs)

    def unsigned_client(self) -> Any:
        """For a call that carries its own proof (assertion or token): no AWS keys needed or sent."""
        from botocore import UNSIGNED
        from botocore.config import Config

        return self.client(config=Config(signature_version=UNSIGNED))


def open_context(place: Place, profile: str | None) -> StsContext:
    """The session for PROFILE (None: botocore's default), with its settings and region."""
    session = bounded_botocore_session(profile)
    settings = _profile_settings(session, place)
    return StsContext(session, place, settings, _region(session, place, settings))


def describe_profile_chain(session: Any, place: Place) -> str:
    """`profile prod (named on the command line): role ... <- hop: role ... <- default: keys`,
    from names and ARNs alone; the keys themselves are never read here."""
    from envgen.sources.aws_cli_cache import describe_profile_chain as describe

    return describe(session.full_config.get("profiles", {}), session.profile or "default", place)


def chosen_profile(place: Place) -> str | None:
    # A profile named on the command line or in AWS_PROFILE is the one meant, even when keys
    # sit in the environment (botocore would let AWS_ACCESS_KEY_ID win over AWS_PROFILE).
    return place.profile or os.environ.get("AWS_PROFILE") or None


# More names than this in an error line would bury the advice.
MAX_LISTED_PROFILES = 20


def unknown_profile(name: str, place: Place) -> EnvgenError:
    """A profile the files do not define: which files were read, where the name came from,
    and the profiles there are."""
    from envgen.config_files import config_file_path, credentials_file_path, profile_names

    named_by = (
        " (named by AWS_PROFILE)"
        if place.profile is None and os.environ.get("AWS_PROFILE") == name
        else ""
    )
    known = profile_names()
    if known:
        listed = ", ".join(known[:MAX_LISTED_PROFILES])
        if len(known) > MAX_LISTED_PROFILES:
            listed += f" and {len(known) - MAX_LISTED_PROFILES} more"
        choices = f"the profiles there: {listed}"
    else:
        choices = "they define no profiles"

    def shown(path: str) -> str:
        return path if os.path.exists(path) else f"{path} (no such file)"

    return EnvgenError(
        f"profile {name!r}{named_by} is in neither {shown(config_file_path())} nor "
        f"{shown(credentials_file_path())}; {choices}"
    )


def _profile_settings(session: Any, place: Place) -> dict[str, Any]:
    from botocore.exceptions import ProfileNotFound

    try:
        return dict(session.get_scoped_config())
    except ProfileNotFound:
        raise unknown_profile(session.profile, place) from None


def _region(session: Any, place: Place, settings: dict[str, Any]) -> str | None:
    from envgen import regions

    return regions.in_effect(place.region, session.profile or "default", settings)


def credentials_from_response(fields: dict[str, Any], region: str | None) -> Credentials:
    """The `Credentials` of an STS answer (AssumeRole*, GetSessionToken)."""
    return Credentials(
        access_key_id=fields["AccessKeyId"],
        secret_access_key=fields["SecretAccessKey"],
        session_token=fields.get("SessionToken"),
        expiration=as_expiration(fields.get("Expiration")),
        region=region,
    )


@contextlib.contextmanager
def sts_errors(place: Place) -> Iterator[None]:
    """botocore's exceptions as one actionable line each; nothing they carry is echoed blindly."""
    from botocore import exceptions as botocore_errors
    from botocore.parsers import ResponseParserError

    try:
        yield
    except bounded_client.NotRetried as refused:
        error = refused.error
        raise EnvgenError(
            unreachable_line(endpoint_named(error, place), type(error).__name__)
        ) from None
    except (
        bounded_client.NetworkBudgetSpent,
        bounded_client.ResponseTooLarge,
        bounded_client.NotAnStsAnswer,
    ) as bounded:
        raise EnvgenError(bounded_line(bounded)) from None
    except bounded_client.BadEndpointUrl as bad:
        raise EnvgenError(
            f"the STS endpoint URL in effect is not usable: {bad.problem}; check --endpoint-url, "
            "AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL and the profile's endpoint_url"
        ) from None
    except bounded_client.UnsupportedBotocore as old:
        raise EnvgenError(
            f"botocore {old} is not one envgen works with; install the botocore that envgen's "
            "package requires"
        ) from None
    except botocore_errors.ClientError as error:
        operation = getattr(error, "operation_name", "") or "the STS call"
        raise EnvgenError(
            refused_line(
                operation,
                error.response.get("Error", {}),
                error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            )
        ) from None
    except bounded_client.unreachable_errors() as error:
        raise EnvgenError(
            unreachable_line(endpoint_named(error, place), type(error).__name__)
        ) from None
    except ResponseParserError:
        # Its text quotes the body received; the endpoint is what the user can check.
        raise EnvgenError(not_sts_line(endpoint_named(None, place))) from None
    except botocore_errors.NoCredentialsError:
        raise EnvgenError(f"no AWS credentials found; {HOW_TO_PROVIDE_CREDENTIALS}") from None
    except botocore_errors.ProfileNotFound as error:
        raise unknown_profile(str(error.kwargs.get("profile")), place) from None
    except botocore_errors.ConfigParseError as error:
        from envgen.config_files import describe_unreadable

        cause = error.kwargs.get("error")
        where = describe_unreadable(
            str(error.kwargs.get("path")), cause if isinstance(cause, BaseException) else error
        )
        raise EnvgenError(
            f"{where}; fix that line (botocore and the AWS CLI cannot read the file either)"
        ) from None
    except botocore_errors.PartialCredentialsError as error:
        raise EnvgenError(
            f"incomplete credentials from {error.kwargs.get('provider')}: "
            f"{error.kwargs.get('cred_var')} is missing; {HOW_TO_PROVIDE_CREDENTIALS}"
        ) from None
    except (
        botocore_errors.InvalidConfigError,
        botocore_errors.InfiniteLoopConfigError,
        botocore_errors.CredentialRetrievalError,
    ) as error:
        # These name profiles and providers only, never a key.
        raise EnvgenError(f"AWS configuration problem: {error}") from None
    except json.JSONDecodeError:
        # botocore's credential_process provider parses the command's output without a guard;
        # the output may hold secrets, so it is not quoted.
        raise EnvgenError(
            "a credential_process command printed something that is not JSON; run it by hand "
            "and fix it (botocore and the AWS CLI cannot use it either)"
        ) from None
    except botocore_errors.ParamValidationError as error:
        # The report can quote values; name the parameters only.
        names = sorted(set(re.findall(r"parameter (\w+)", str(error.kwargs.get("report", "")))))
        raise UsageError(
            f"STS would refuse the value of {', '.join(names) or 'a parameter'}; check it"
        ) from None
    except botocore_errors.BotoCoreError as error:
        raise EnvgenError(failed_line(type(error).__name__)) from None
