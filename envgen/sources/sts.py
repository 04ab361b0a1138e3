"""The one module that talks to STS, and the only one that imports botocore (inside functions,
so rendering and `import` never pay for it).

Configuration and credential resolution are botocore's own: profiles, `source_profile` chains,
`credential_source`, `mfa_serial`, SSO and credential_process all behave as in the AWS CLI.
Assumed-role credentials go to the AWS CLI's cache directory (through envgen.cache's
CredentialCache, which reads and writes it as botocore's JSONFileCache does, but warily)
under botocore's own cache keys, so envgen and the AWS CLI serve each other's entries.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from envgen.cache import CredentialCache
from envgen.credentials import (
    CREDENTIAL_EXPIRATION,
    Credentials,
    parse_expiration,
)
from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources import bounded_client, terminal, validation
from envgen.sources.role_request import Issued, Place, RoleOptions

# STS needs some region to sign for; us-east-1 is where its global endpoint lives.
FALLBACK_REGION = "us-east-1"

HOW_TO_PROVIDE_CREDENTIALS = (
    "give base credentials: a profile with keys in ~/.aws/credentials (aws configure), "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or envgen import"
)

# What to do about each error code STS answers with.
ADVICE = {
    "AccessDenied": "your identity may not assume this role: check the role ARN, its trust "
    "policy (principal, external id, MFA condition) and who you are (envgen whoami)",
    "ExpiredToken": "the base credentials have expired; get fresh ones (envgen clear, then "
    "sign in or assume again)",
    "ExpiredTokenException": "the token has expired; get a fresh one and run again",
    "InvalidClientTokenId": "the base access key is not valid (deleted, or for another "
    "partition); check the profile's keys or the AWS_* variables",
    "UnrecognizedClientException": "the base access key is not valid; check the profile's keys "
    "or the AWS_* variables",
    "SignatureDoesNotMatch": "the base secret access key does not match its key id; check it",
    "RegionDisabled": "STS is not activated in this region for the account; activate it in "
    "IAM account settings, or pass --region with an active region",
    "Throttling": "STS is throttling requests; wait a moment and run again",
    "ThrottlingException": "STS is throttling requests; wait a moment and run again",
    "RequestLimitExceeded": "STS is throttling requests; wait a moment and run again",
    "InvalidIdentityToken": "STS rejected the web identity token: check that its issuer is an "
    "IAM OIDC identity provider of the account and the audience matches",
    "IDPRejectedClaim": "the identity provider rejected the claim; check the token or assertion "
    "and the role's trust policy",
    "IDPCommunicationError": "STS could not reach the identity provider; run again shortly",
    "InvalidAuthorizationMessageException": "the request was malformed; run again with "
    "ENVGEN_DEBUG=1 and report it",
    "MalformedPolicyDocument": "the session policy is not valid JSON policy",
    "PackedPolicyTooLarge": "the session policy and tags are too large; shorten them",
    "ValidationError": "STS refused a parameter; check the role ARN, session name, duration "
    "(the role's maximum session duration may be lower) and MFA device",
    "AccessDeniedException": "access denied; check your identity (envgen whoami) and the role",
}
# Codes whose AWS message names only ARNs and actions, never a submitted value: worth quoting.
QUOTABLE_CODES = frozenset({"AccessDenied", "RegionDisabled", "AccessDeniedException"})


def cache_directory() -> Path:
    """The AWS CLI's cache for assumed-role credentials, the one the cached path reads."""
    from envgen.cache import CACHE_DIR

    return Path(os.path.expanduser(CACHE_DIR))


class RememberingCache:
    """The shared cache, remembering the last entry it served or stored.

    botocore's provider hides the expiry of the credentials it returns; the cache entry it
    just read or wrote holds it, under the same key the AWS CLI uses.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.last: dict[str, Any] | None = None

    def __contains__(self, key: str) -> bool:
        found = key in self._inner
        if not found:
            detail(f"cache miss: no entry {key}.json in {cache_directory()}")
        return found

    def __getitem__(self, key: str) -> Any:
        value = self._inner[key]
        detail(f"cache entry {key}.json found (botocore uses it while it stays fresh)")
        self.last = value
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._inner[key] = value
        detail(f"STS answered; stored as cache entry {key}.json")
        self.last = value

    def expiry_for(self, access_key_id: str) -> datetime | None:
        fields = (self.last or {}).get("Credentials") or {}
        if fields.get("AccessKeyId") != access_key_id:
            return None
        return _as_datetime(fields.get("Expiration"))


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str) and value:
        # The cache holds "2030-01-31T12:00:00UTC"; the STS wire format ends in Z.
        return parse_expiration(value.removesuffix("UTC"))
    return None


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


def _session(profile: str | None) -> Any:
    from envgen.config_files import refuse_oversized_files
    from envgen.messages import say

    refuse_oversized_files()

    # botocore logs a warning when a credential refresh fails, and with no handler Python
    # prints it to stderr: the failure is reported once, as envgen's one line.
    logging.getLogger("botocore").addHandler(logging.NullHandler())
    return bounded_client.bounded_session(profile, warn=say)


def describe_profile_chain(session: Any, place: Place) -> str:
    """`profile prod (named on the command line): role ... <- hop: role ... <- default: keys`,
    from names and ARNs alone; the keys themselves are never read here."""
    profiles = session.full_config.get("profiles", {})
    name = session.profile or "default"
    if place.profile:
        origin = "named on the command line"
    elif os.environ.get("AWS_PROFILE"):
        origin = "from AWS_PROFILE"
    else:
        origin = "the default"
    links: list[str] = []
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        settings = profiles.get(name, {})
        if "role_arn" in settings:
            what = f"role {settings['role_arn']}"
        elif "aws_access_key_id" in settings:
            what = "keys in the credentials file"
        else:
            what = "no keys of its own (the environment or other providers)"
        links.append(f"{name}: {what}")
        if "credential_source" in settings:
            links.append(f"credential_source {settings['credential_source']}")
        following = settings.get("source_profile")
        if not following or following == name:
            break
        name = following
    return f"profile {links[0]} ({origin})" + "".join(f" <- {link}" for link in links[1:])


def _chosen_profile(place: Place) -> str | None:
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


def _region(session: Any, place: Place) -> str | None:
    from envgen import regions

    settings = _profile_settings(session, place)
    return regions.in_effect(place.region, session.profile or "default", settings)


def _checked_environment_provider() -> Any:
    """botocore's provider of keys in the environment, refusing keys that say they have expired
    with a way out, where botocore would raise a bare RuntimeError."""
    from botocore.credentials import EnvProvider

    from envgen.sources import identity

    class CheckedEnvProvider(EnvProvider):  # type: ignore[misc]
        def load(self) -> Any:
            identity.refuse_expired_environment()
            return super().load()

    return CheckedEnvProvider()


def _check_token_files(session: Any) -> None:
    """botocore reads a web identity token file whole and blocks on a FIFO: the files it may
    read for this command (AWS_WEB_IDENTITY_TOKEN_FILE, web_identity_token_file along the
    profile's source_profile chain) must be regular files of a token's size first."""
    from envgen.sources.text_input import check_readable_file

    found = []
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        found.append(("AWS_WEB_IDENTITY_TOKEN_FILE", os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"]))
    profiles = session.full_config.get("profiles", {})
    name, seen = session.profile or "default", set()
    while isinstance(name, str) and name not in seen:
        seen.add(name)
        settings = profiles.get(name, {})
        if isinstance(settings.get("web_identity_token_file"), str):
            found.append(
                (f"profile {name}: web_identity_token_file", settings["web_identity_token_file"])
            )
        name = settings.get("source_profile")
    limit = validation.READ_LIMITS["--web-identity-token"]
    for label, path in found:
        check_readable_file(Path(os.path.expanduser(path)), limit, label)


def _install_resolver(
    session: Any,
    place: Place,
    region: str | None,
    cache: RememberingCache,
    prompter: Callable[[str], str],
    profile_overrides: dict[str, Any],
) -> Any:
    """botocore's default credential chain, with its assume-role provider given the shared cache,
    the terminal prompter, bounded clients, and the command line's overrides of the profile."""
    from botocore import credentials as botocore_credentials

    _check_token_files(session)
    session.sts_endpoint_url = place.endpoint_url

    resolver = botocore_credentials.create_credential_resolver(
        session, cache=cache, region_name=region
    )
    environment = _checked_environment_provider()
    methods = [provider.METHOD for provider in resolver.providers]
    if environment.METHOD in methods:
        # Absent when a profile is named: botocore then ignores keys in the environment.
        resolver.providers[methods.index(environment.METHOD)] = environment
    profile_name = session.profile or "default"

    def load_config() -> dict[str, Any]:
        config = session.full_config
        if not profile_overrides:
            return config
        config = copy.deepcopy(config)
        config.setdefault("profiles", {}).setdefault(profile_name, {}).update(profile_overrides)
        return config

    def client_creator(service_name: str, **kwargs: Any) -> Any:
        kwargs.pop("region_name", None)
        return make_client(session, place, region, **kwargs)

    assume_role = botocore_credentials.AssumeRoleProvider(
        load_config=load_config,
        client_creator=client_creator,
        cache=cache,
        profile_name=profile_name,
        prompter=prompter,
        credential_sourcer=botocore_credentials.CanonicalNameCredentialSourcer(
            [
                environment,
                resolver.get_provider("container-role"),
                resolver.get_provider("iam-role"),
            ]
        ),
        profile_provider_builder=botocore_credentials.ProfileProviderBuilder(
            session, cache=cache, region_name=region
        ),
    )
    methods = [provider.METHOD for provider in resolver.providers]
    resolver.providers[methods.index(assume_role.METHOD)] = assume_role
    session.register_component("credential_provider", resolver)
    return assume_role


def _base_credentials(session: Any) -> Any:
    found = session.get_credentials()
    if found is None:
        raise EnvgenError(f"no AWS credentials found; {HOW_TO_PROVIDE_CREDENTIALS}")
    # botocore's name for the provider that answered: env, shared-credentials-file, ...
    detail(f"base credentials from botocore's {getattr(found, 'method', 'unknown')!r} provider")
    return found


def _from_response(fields: dict[str, Any], region: str | None) -> Credentials:
    return Credentials(
        access_key_id=fields["AccessKeyId"],
        secret_access_key=fields["SecretAccessKey"],
        session_token=fields.get("SessionToken"),
        expiration=_as_datetime(fields.get("Expiration")),
        region=region,
    )


def assume(place: Place, options: RoleOptions) -> Issued:
    """AssumeRole for --role-arn or the profile's role_arn; else GetSessionToken, or the
    credentials themselves when they are already temporary."""
    with sts_errors(place):
        session = _session(_chosen_profile(place))
        settings = _profile_settings(session, place)
        region = _region(session, place)
        profile_name = session.profile or "default"
        detail(describe_profile_chain(session, place))
        profile_role = (
            settings.get("role_arn") if "web_identity_token_file" not in settings else None
        )
        cache = RememberingCache(CredentialCache(cache_directory()))
        prompter = terminal.prompter_for(options.token_code)
        if (
            options.role_arn is None
            and profile_role is None
            and (options.session_name is not None or options.external_id is not None)
        ):
            raise UsageError(
                f"profile {profile_name!r} names no role_arn; give --role-arn for "
                "--role-session-name and --external-id"
            )

        if options.role_arn is None and profile_role is not None:
            # The profile's own keys, overridden only by what the command line says, go to
            # botocore as a profile: its cache key is then the AWS CLI's for the same settings.
            overrides = options.profile_overrides()
            provider = _install_resolver(session, place, region, cache, prompter, overrides)
            # The profile's role itself, even when keys in the environment would come first
            # in the credential chain.
            frozen = provider.load().get_frozen_credentials()
            credentials = Credentials(
                access_key_id=frozen.access_key,
                secret_access_key=frozen.secret_key,
                session_token=frozen.token,
                expiration=cache.expiry_for(frozen.access_key),
                region=region,
            )
            return Issued(credentials, f"{profile_role} (profile {profile_name})")

        _install_resolver(session, place, region, cache, prompter, {})
        base = _base_credentials(session)
        if options.role_arn is None:
            return _session_token(session, place, region, base, settings, options)
        return _assume_role_arn(session, place, region, base, cache, prompter, options)


def _assume_role_arn(
    session: Any,
    place: Place,
    region: str | None,
    base: Any,
    cache: RememberingCache,
    prompter: Callable[[str], str],
    options: RoleOptions,
) -> Issued:
    from botocore.credentials import AssumeRoleCredentialFetcher

    assert options.role_arn is not None
    extra: dict[str, Any] = {
        "RoleSessionName": options.session_name or validation.default_session_name(),
        "DurationSeconds": options.duration_seconds or validation.DEFAULT_DURATION_SECONDS,
    }
    if options.external_id is not None:
        extra["ExternalId"] = options.external_id
    if options.serial_number is not None:
        extra["SerialNumber"] = options.serial_number

    def client_creator(service_name: str, **kwargs: Any) -> Any:
        return make_client(session, place, region, **kwargs)

    # botocore's own fetcher: the same cache key the AWS CLI computes for a profile with
    # these settings, and the same expiry window before an entry is refreshed.
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=client_creator,
        source_credentials=base,
        role_arn=options.role_arn,
        extra_args=extra,
        mfa_prompter=prompter,
        cache=cache,
    )
    fetched = fetcher.fetch_credentials()
    credentials = Credentials(
        access_key_id=fetched["access_key"],
        secret_access_key=fetched["secret_key"],
        session_token=fetched["token"],
        expiration=_as_datetime(fetched.get("expiry_time")),
        region=region,
    )
    return Issued(credentials, options.role_arn)


def _session_token(
    session: Any,
    place: Place,
    region: str | None,
    base: Any,
    settings: dict[str, Any],
    options: RoleOptions,
) -> Issued:
    frozen = base.get_frozen_credentials()
    source = (
        "the environment" if base.method == "env" else f"profile {session.profile or 'default'}"
    )
    if frozen.token:
        # Already temporary: exported as they are; their expiry is known only from the
        # environment variable that came with them.
        expiration = None
        if base.method == "env" and os.environ.get(CREDENTIAL_EXPIRATION):
            expiration = parse_expiration(os.environ[CREDENTIAL_EXPIRATION])
        credentials = Credentials(
            frozen.access_key, frozen.secret_key, frozen.token, expiration, region
        )
        return Issued(credentials, f"{source} (already temporary)")

    # Long-term keys never leave as they are: trade them for a session token.
    serial = options.serial_number or settings.get("mfa_serial")
    request: dict[str, Any] = {
        "DurationSeconds": options.duration_seconds or validation.DEFAULT_DURATION_SECONDS
    }
    if serial:
        request["SerialNumber"] = serial
        request["TokenCode"] = terminal.ask_mfa_code(serial, options.token_code)
    client = make_client(
        session,
        place,
        region,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
    )
    response = client.get_session_token(**request)
    return Issued(_from_response(response["Credentials"], region), f"{source} (session token)")


def _assume_unsigned(place: Place, operation: str, **parameters: Any) -> Issued:
    """A call that carries its own proof (assertion or token): no AWS keys needed or sent."""
    from botocore import UNSIGNED
    from botocore.config import Config

    with sts_errors(place):
        session = _session(None)
        region = _region(session, place)
        client = make_client(session, place, region, config=Config(signature_version=UNSIGNED))
        response = getattr(client, operation)(**parameters)
        return Issued(_from_response(response["Credentials"], region), parameters["RoleArn"])


def assume_with_saml(
    place: Place, role_arn: str, principal_arn: str, assertion: str, duration_seconds: int
) -> Issued:
    return _assume_unsigned(
        place,
        "assume_role_with_saml",
        RoleArn=role_arn,
        PrincipalArn=principal_arn,
        SAMLAssertion=assertion,
        DurationSeconds=duration_seconds,
    )


def assume_with_web_identity(
    place: Place, role_arn: str, token: str, session_name: str, duration_seconds: int
) -> Issued:
    return _assume_unsigned(
        place,
        "assume_role_with_web_identity",
        RoleArn=role_arn,
        RoleSessionName=session_name,
        WebIdentityToken=token,
        DurationSeconds=duration_seconds,
    )


def caller_identity(place: Place) -> dict[str, str]:
    """GetCallerIdentity with the credentials in effect, found as the AWS CLI finds them."""
    with sts_errors(place):
        session = _session(place.profile)
        _profile_settings(session, place)
        region = _region(session, place)
        detail(describe_profile_chain(session, place))
        cache = RememberingCache(CredentialCache(cache_directory()))
        _install_resolver(session, place, region, cache, terminal.prompter_for(None), {})
        frozen = _base_credentials(session).get_frozen_credentials()
        client = make_client(
            session,
            place,
            region,
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
        )
        response = client.get_caller_identity()
        return {key: response[key] for key in ("Account", "Arn", "UserId")}


def _endpoint_of(error: Any, place: Place) -> str:
    url = (
        getattr(error, "kwargs", {}).get("endpoint_url")
        or place.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_STS")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    # Scheme, host and port only: a URL can carry a user name and password.
    return bounded_client.where(str(url)) if url else "STS"


def _unreachable(error: Any, place: Place) -> str:
    return (
        f"cannot reach STS at {_endpoint_of(error, place)} ({type(error).__name__}); check "
        "the network, --endpoint-url / AWS_ENDPOINT_URL_STS and --region"
    )


@contextlib.contextmanager
def sts_errors(place: Place) -> Iterator[None]:
    """botocore's exceptions as one actionable line each; nothing they carry is echoed blindly."""
    from botocore import exceptions as botocore_errors
    from botocore.parsers import ResponseParserError

    try:
        yield
    except bounded_client.NotRetried as refused:
        raise EnvgenError(_unreachable(refused.error, place)) from None
    except bounded_client.NetworkBudgetSpent as spent:
        raise EnvgenError(
            f"{bounded_client.where(spent.url)} gave no complete answer within "
            f"{bounded_client.NETWORK_BUDGET_SECONDS} s; check the network, --endpoint-url / "
            "AWS_ENDPOINT_URL_STS and any proxy in between, then run again"
        ) from None
    except bounded_client.ResponseTooLarge as large:
        raise EnvgenError(
            f"{bounded_client.where(large.url)} answered with more than "
            f"{bounded_client.MAX_RESPONSE_BYTES // 1024} KiB, which no STS answer is; check "
            "--endpoint-url / AWS_ENDPOINT_URL_STS and any proxy in between"
        ) from None
    except bounded_client.NotAnStsAnswer as strange:
        raise EnvgenError(
            f"{bounded_client.where(strange.url)} did not answer like STS; check --endpoint-url "
            "/ AWS_ENDPOINT_URL_STS and any proxy in between"
        ) from None
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
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "UnknownError")
        operation = getattr(error, "operation_name", "") or "the STS call"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500 and code not in ADVICE:
            raise EnvgenError(
                f"STS answered {operation} with HTTP {status} on each of "
                f"{bounded_client.TOTAL_ATTEMPTS} attempts; it may be down or overloaded: run "
                "again later, or check --endpoint-url / AWS_ENDPOINT_URL_STS"
            ) from None
        advice = ADVICE.get(code, "see the AWS documentation for this error code")
        quoted = ""
        if code in QUOTABLE_CODES and details.get("Message"):
            quoted = f" ({' '.join(str(details['Message']).split())[:300]})"
        raise EnvgenError(f"STS refused {operation}: {code}{quoted}; {advice}") from None
    except (
        botocore_errors.EndpointConnectionError,
        botocore_errors.ConnectTimeoutError,
        botocore_errors.ReadTimeoutError,
        botocore_errors.ConnectionClosedError,
        botocore_errors.ProxyConnectionError,
    ) as error:
        raise EnvgenError(_unreachable(error, place)) from None
    except ResponseParserError:
        # Its text quotes the body received; the endpoint is what the user can check.
        raise EnvgenError(
            f"{_endpoint_of(None, place)} did not answer like STS; check --endpoint-url / "
            "AWS_ENDPOINT_URL_STS and any proxy in between"
        ) from None
    except botocore_errors.NoCredentialsError:
        raise EnvgenError(f"no AWS credentials found; {HOW_TO_PROVIDE_CREDENTIALS}") from None
    except botocore_errors.ProfileNotFound as error:
        raise unknown_profile(str(error.kwargs.get("profile")), place) from None
    except botocore_errors.ConfigParseError as error:
        from envgen.config_files import describe_unreadable

        where = describe_unreadable(str(error.kwargs.get("path")), error.kwargs.get("error"))
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
        raise EnvgenError(
            f"the STS call failed ({type(error).__name__}); run again with ENVGEN_DEBUG=1 for details"
        ) from None
