"""AssumeRole without botocore, for the requests envgen can make exactly as botocore would.

A cache miss for a role profile, and the renewal the prompt hook runs for one, would spend most
of their time importing botocore. For the common shapes this module takes every step botocore
takes itself and sends the one request (or one per link of a source_profile chain) through
envgen.sources.direct_sts:

(a) a profile's role: role_arn reached through source_profile links that end at static keys in
    the credentials or config file, with the command line's settings laid over the profile's,
    as botocore's AssumeRoleProvider and AssumeRoleCredentialFetcher build the request;
(b) --role-arn, signed with static keys botocore's credential chain would find first: keys in
    the environment when no profile is named, else the profile's (or [default]'s) keys in the
    credentials file, then the config file.

Each link's answer is looked up in, and written to, the AWS CLI's cache under botocore's key,
by botocore's freshness rule, in botocore's bytes (aws_cli_cache), and the result is the same
`Issued` the botocore path returns, so every output, record and message is the same.

Anything this module does not handle in full makes `issue` return None, and the caller goes on
through botocore exactly as before: an MFA device or code, SSO, credential_process, web
identity, credential_source, a setting or an AWS_* variable not listed below, a file envgen
cannot read as botocore does, an endpoint direct_sts cannot place (a proxy, a services
section), a value botocore's parameter check would refuse, and every run with ENVGEN_DEBUG set
(a debug run shows botocore's own doing). tests/sources/test_direct_path.py runs each handled
shape both ways against the same recorded STS answers and compares stdout, stderr, exit status
and every file written.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from envgen import regions
from envgen.config_files import (
    ConfigUnreadable,
    config_file_path,
    config_profiles,
    credentials_file_path,
    read_profiles,
    read_sections,
)
from envgen.credentials import Credentials
from envgen.messages import detail
from envgen.sources import aws_cli_cache, validation
from envgen.sources.request import Issued
from envgen.sources.sts_lines import FALLBACK_REGION
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values. This road exists to start
# fast, so neither typing nor dataclasses are loaded on it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Final

    from envgen.config_files import Profiles
    from envgen.sources.direct_sts import Endpoint, SigningKeys
    from envgen.sources.request import Place, RoleOptions

# Set (to anything) in the environment, the request goes through botocore even where this
# module could take it. Internal: the tests that compare both roads set it for botocore's.
THROUGH_BOTOCORE_VARIABLE = "_ENVGEN_THROUGH_BOTOCORE"
# envgen.launch.DEBUG_VARIABLE, without importing it.
DEBUG_VARIABLE = "ENVGEN_DEBUG"


# The AWS_* variables whose effect on botocore's request this module reproduces: which files
# and profile are read, the region, and what direct_sts.resolve_endpoint decides on (it
# answers None for what it cannot place). Any other AWS_* variable sends the request through
# botocore. AWS_EC2_METADATA_DISABLED only keeps botocore from asking the instance metadata
# service, which it never reaches once it has found static keys.
_HANDLED_VARIABLES = frozenset(
    {
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_STS_REGIONAL_ENDPOINTS",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_CA_BUNDLE",
    }
)
# Keys in the environment: what botocore's EnvProvider reads. Where a profile is named,
# botocore leaves the environment's keys aside whatever they are, so all of them may be
# there; where none is named, only a plain pair (and token) is handled: an expiry makes
# botocore's credentials refreshable (and envgen checks it), AWS_SECURITY_TOKEN comes before
# AWS_SESSION_TOKEN, an account id changes what botocore resolves.
_ENVIRONMENT_KEYS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
_IGNORED_BESIDE_A_PROFILE = _ENVIRONMENT_KEYS | {
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_SECURITY_TOKEN",
}

# Profile settings, by what reads them. The client's: the region and what
# direct_sts.resolve_endpoint decides on; `output` only the AWS CLI reads.
_CLIENT_SETTINGS = frozenset(
    {
        "region",
        "output",
        "endpoint_url",
        "ignore_configured_endpoint_urls",
        "sts_regional_endpoints",
        "use_fips_endpoint",
        "use_dualstack_endpoint",
        "ca_bundle",
    }
)
# AssumeRoleProvider's, without mfa_serial (a code to ask for) and credential_source.
_ROLE_SETTINGS = frozenset(
    {"role_arn", "source_profile", "role_session_name", "external_id", "duration_seconds"}
)
# The static keys SharedCredentialProvider and ConfigProvider read; aws_security_token (read
# before aws_session_token) and aws_account_id are left to botocore.
_KEY_SETTINGS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token"})

# The smallest values botocore's parameter check lets through (it checks no maximum): below
# these botocore refuses before sending, while STS would answer with its own error.
_SMALLEST = {"RoleArn": 20, "RoleSessionName": 2, "ExternalId": 2}
_SHORTEST_DURATION = 900

# The order AssumeRoleProvider puts a profile's settings in (its fetcher then adds RoleArn).
_PROFILE_ARGUMENT_ORDER = ("RoleSessionName", "ExternalId", "SerialNumber", "DurationSeconds")

# Keys that can go into a signature as botocore puts them there: printable ASCII, no spaces.
_PLAIN_KEY = re.compile(r"[!-~]+")


class Declined(Exception):
    """A request this module leaves to botocore; `reason` says why, for -v."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RoleStep(Value):
    """One AssumeRole of botocore's fetcher: `arguments` in the order the fetcher builds them,
    as its cache key sees them (without a session name it makes, which it leaves out of the
    key)."""

    __slots__ = ("arguments",)
    arguments: Final[dict[str, Any]]

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments

    def parameters(self) -> dict[str, str]:
        """The request's parameters in the order botocore's query serializer sends them, which
        is the order of the fetcher's arguments (RoleArn after the others, a session name it
        makes from the clock after that)."""
        arguments = dict(self.arguments)
        arguments.setdefault("RoleSessionName", f"botocore-session-{int(time.time())}")
        return {name: str(value) for name, value in arguments.items()}


class Plan(Value):
    """Everything the request needs, worked out before anything is read from or sent to STS:
    the steps from the role the base keys sign for to the one asked for; the base keys and
    botocore's name for their provider (`env`, `shared-credentials-file`, ...); the endpoint;
    the settings of the profile botocore's session reads its client settings from; the region;
    how the botocore path describes the answer (envgen.sources.role: `whose`, `profile`, and
    whether it is the --role-arn path's answer, which names the base's provider); and, for -v,
    the profile chain as sts_session.describe_profile_chain words it."""

    __slots__ = (
        "steps",
        "base",
        "method",
        "endpoint",
        "settings",
        "region",
        "whose",
        "profile",
        "role_arn_given",
        "chain_description",
    )
    _hidden = frozenset({"base"})
    steps: Final[tuple[RoleStep, ...]]
    base: Final[SigningKeys]
    method: Final[str]
    endpoint: Final[Endpoint]
    settings: Final[Mapping[str, Any] | None]
    region: Final[str | None]
    whose: Final[str]
    profile: Final[str | None]
    role_arn_given: Final[bool]
    chain_description: Final[str]

    def __init__(
        self,
        *,
        steps: tuple[RoleStep, ...],
        base: SigningKeys,
        method: str,
        endpoint: Endpoint,
        settings: Mapping[str, Any] | None,
        region: str | None,
        whose: str,
        profile: str | None,
        role_arn_given: bool,
        chain_description: str,
    ) -> None:
        self.steps = steps
        self.base = base
        self.method = method
        self.endpoint = endpoint
        self.settings = settings
        self.region = region
        self.whose = whose
        self.profile = profile
        self.role_arn_given = role_arn_given
        self.chain_description = chain_description


def issue(
    place: Place, options: RoleOptions, environ: Mapping[str, str] | None = None
) -> Issued | None:
    """The role `options` (or the profile) asks for, without botocore; None leaves it to
    botocore (see the module's docstring)."""
    try:
        plan = make_plan(place, options, os.environ if environ is None else environ)
        adds_account_id = _adds_account_id()
    except Declined as declined:
        detail(f"the request goes through botocore: {declined.reason}")
        return None
    return carry_out(plan, place, adds_account_id)


def make_plan(place: Place, options: RoleOptions, environ: Mapping[str, str]) -> Plan:
    if environ.get(DEBUG_VARIABLE):
        raise Declined(f"{DEBUG_VARIABLE} is set, and a debug run shows botocore's own steps")
    if environ.get(THROUGH_BOTOCORE_VARIABLE):
        raise Declined(f"{THROUGH_BOTOCORE_VARIABLE} is set")
    if options.serial_number is not None or options.token_code is not None:
        raise Declined("an MFA device is named")
    named = place.profile or environ.get("AWS_PROFILE")
    if "AWS_PROFILE" in environ and not environ["AWS_PROFILE"] and not place.profile:
        raise Declined("AWS_PROFILE is empty")
    handled = _HANDLED_VARIABLES | (_IGNORED_BESIDE_A_PROFILE if named else _ENVIRONMENT_KEYS)
    unhandled = sorted(name for name in environ if name.startswith("AWS_") and name not in handled)
    if unhandled:
        raise Declined(f"{unhandled[0]} is set")
    try:
        profiles = read_profiles(environ)
    except ConfigUnreadable:
        raise Declined("botocore reads the AWS files itself (envgen cannot)") from None
    if options.role_arn is not None:
        return _role_arn_plan(place, options, environ, profiles, named)
    if not named:
        raise Declined("no profile is named")
    return _profile_role_plan(place, options, environ, profiles, named)


def _profile_role_plan(
    place: Place,
    options: RoleOptions,
    environ: Mapping[str, str],
    profiles: Profiles,
    name: str,
) -> Plan:
    """Shape (a): the profile's role, as sources.role.assume_profile_role asks botocore for it."""
    if name not in profiles:
        raise Declined(f"no profile {name!r} in the AWS files")
    profile = profiles[name]
    if "role_arn" not in profile:
        raise Declined(f"profile {name!r} names no role_arn")
    _check_settings(name, profile, _CLIENT_SETTINGS | _ROLE_SETTINGS | _KEY_SETTINGS)
    laid_over = aws_cli_cache.laid_over(profiles, name, options.profile_overrides())
    if aws_cli_cache.assume_role_arguments(laid_over, name) is None:
        raise Declined(f"profile {name!r} is not a plain chain of roles ending at static keys")
    steps: list[RoleStep] = []
    current = name
    while True:
        settings = laid_over[current]
        arguments = aws_cli_cache.assume_role_arguments(laid_over, current)
        assert arguments is not None  # a link of the chain checked above
        if "RoleSessionName" not in arguments and "role_session_name" in settings:
            # botocore makes a name in the place of the empty one, not after RoleArn.
            raise Declined(f"profile {current!r} sets an empty role_session_name")
        in_order = {key: arguments[key] for key in _PROFILE_ARGUMENT_ORDER if key in arguments}
        in_order["RoleArn"] = arguments["RoleArn"]
        steps.append(RoleStep(_checked_arguments(in_order)))
        source = settings["source_profile"]
        source_settings = laid_over[source]
        if aws_cli_cache.has_static_keys(source_settings):
            if source != name:
                # Links past this one are not followed by botocore, but envgen's own check of
                # web identity token files would follow them.
                _check_settings(source, source_settings, _CLIENT_SETTINGS | _KEY_SETTINGS)
            keys, method = profile_keys(source, environ)
            break
        _check_settings(source, source_settings, _CLIENT_SETTINGS | _ROLE_SETTINGS)
        current = source
    steps.reverse()
    region = regions.in_effect(place.region, name, profile, environ)
    return Plan(
        steps=tuple(steps),
        base=keys,
        method=method,
        endpoint=_endpoint(place, profile, region, environ),
        settings=profile,
        region=region,
        whose=f"{profile['role_arn']} (profile {name})",
        profile=name,
        role_arn_given=False,
        chain_description=aws_cli_cache.describe_profile_chain(profiles, name, place, environ),
    )


def _role_arn_plan(
    place: Place,
    options: RoleOptions,
    environ: Mapping[str, str],
    profiles: Profiles,
    named: str | None,
) -> Plan:
    """Shape (b): --role-arn, as sources.role.assume_role_arn asks botocore's fetcher for it."""
    role_arn = options.role_arn
    assert role_arn is not None
    session_profile = named or "default"
    if named and named not in profiles:
        raise Declined(f"no profile {named!r} in the AWS files")
    session_settings = profiles[session_profile] if session_profile in profiles else None
    settings = session_settings or {}
    _check_settings(session_profile, settings, _CLIENT_SETTINGS | _KEY_SETTINGS)
    if not named and environ.get("AWS_ACCESS_KEY_ID"):
        keys, method = environment_keys(environ)
    elif not named and any(variable in environ for variable in _ENVIRONMENT_KEYS):
        raise Declined("the environment holds part of a set of keys")
    else:
        keys, method = profile_keys(session_profile, environ)
    arguments: dict[str, Any] = {
        "RoleSessionName": options.session_name or validation.default_session_name(),
        "DurationSeconds": options.duration_seconds or validation.DEFAULT_DURATION_SECONDS,
    }
    if options.external_id is not None:
        arguments["ExternalId"] = options.external_id
    arguments["RoleArn"] = role_arn
    region = regions.in_effect(place.region, session_profile, settings, environ)
    return Plan(
        steps=(RoleStep(_checked_arguments(arguments)),),
        base=keys,
        method=method,
        endpoint=_endpoint(place, session_settings, region, environ),
        settings=session_settings,
        region=region,
        whose=role_arn,
        profile=named,
        role_arn_given=True,
        chain_description=aws_cli_cache.describe_profile_chain(
            profiles, session_profile, place, environ
        ),
    )


def _check_settings(name: str, settings: Mapping[str, Any], handled: frozenset[str]) -> None:
    for key, value in settings.items():
        if key not in handled:
            raise Declined(f"profile {name!r} sets {key}")
        if not isinstance(value, str) or value.startswith("\n"):
            # botocore reads an indented block as nested settings.
            raise Declined(f"profile {name!r} nests settings under {key}")


def _checked_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """ARGUMENTS, when botocore's parameter check would let them through."""
    for name, shortest in _SMALLEST.items():
        if name in arguments and len(arguments[name]) < shortest:
            raise Declined(f"botocore refuses a {name} this short")
    duration = arguments.get("DurationSeconds")
    if duration is not None and duration < _SHORTEST_DURATION:
        raise Declined("botocore refuses a DurationSeconds this short")
    return arguments


def _signing_keys(access_key_id: str, secret: str | None, token: str | None) -> SigningKeys:
    from envgen.sources.direct_sts import SigningKeys

    for value in (access_key_id, secret, token):
        if value is not None and not _PLAIN_KEY.fullmatch(value):
            raise Declined("the base keys hold characters botocore would send differently")
    assert secret is not None
    return SigningKeys(access_key_id, secret, token)


def environment_keys(environ: Mapping[str, str]) -> tuple[SigningKeys, str]:
    """The keys botocore's EnvProvider finds, with its name for itself."""
    secret = environ.get("AWS_SECRET_ACCESS_KEY")
    if not secret:
        raise Declined("AWS_SECRET_ACCESS_KEY is missing")
    token = environ.get("AWS_SESSION_TOKEN") or None
    return _signing_keys(environ["AWS_ACCESS_KEY_ID"], secret, token), "env"


def profile_keys(name: str, environ: Mapping[str, str]) -> tuple[SigningKeys, str]:
    """The static keys of profile NAME as botocore's profile providers find them: the
    credentials file's section first, then the config file's profile; with the provider's name."""
    try:
        files = (
            ("shared-credentials-file", read_sections(credentials_file_path(environ))),
            ("config-file", config_profiles(read_sections(config_file_path(environ)))),
        )
    except ConfigUnreadable:
        raise Declined("botocore reads the AWS files itself (envgen cannot)") from None
    for method, sections in files:
        if name not in sections or "aws_access_key_id" not in sections[name]:
            continue
        section = sections[name]
        if "aws_security_token" in section or "aws_account_id" in section:
            raise Declined(f"profile {name!r} sets more than a key, a secret and a token")
        secret = section.get("aws_secret_access_key")
        token = section.get("aws_session_token")
        if not secret or token == "":
            raise Declined(f"profile {name!r} holds part of a set of keys")
        return _signing_keys(section["aws_access_key_id"], secret, token), method
    raise Declined(f"profile {name!r} holds no static keys")


def _endpoint(
    place: Place, profile: Mapping[str, Any] | None, region: str | None, environ: Mapping[str, str]
) -> Endpoint:
    from envgen.sources import direct_sts

    endpoint = direct_sts.resolve_endpoint(place, profile, region, environ)
    if endpoint is None:
        raise Declined("botocore places the STS endpoint (a proxy or an unusual setting)")
    return endpoint


def _adds_account_id() -> bool:
    """Whether the installed botocore adds the account of the assumed role to an answer before
    caching it (BaseAssumeRoleCredentialFetcher._add_account_id_to_response, botocore 1.37
    and later), told from its source without importing it."""
    # The package is found, not imported, by the finders the import system would ask (without
    # loading importlib.util for it).
    spec = None
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        try:
            spec = find_spec("botocore", None) if find_spec is not None else None
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            break
    if spec is None or spec.origin is None:
        raise Declined("botocore's source cannot be found")
    path = os.path.join(os.path.dirname(spec.origin), "credentials.py")
    try:
        with open(path, encoding="utf-8") as source:
            text = source.read(4 * 1024 * 1024)
    except (OSError, UnicodeDecodeError):
        raise Declined("botocore's source cannot be read") from None
    if "class BaseAssumeRoleCredentialFetcher" not in text:
        raise Declined("botocore's assume-role fetcher is not where envgen knows it")
    return "def _add_account_id_to_response" in text


def _with_account_id(answer: dict[str, Any]) -> None:
    """What botocore's fetcher adds to an answer before caching it: the account of the assumed
    role's ARN, when that is an ARN (botocore.utils.ArnParser.is_arn)."""
    assumed = answer.get("AssumedRoleUser")
    arn = assumed.get("Arn") if isinstance(assumed, dict) else None
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":", 5)
        if len(parts) == 6:
            answer["Credentials"]["AccountId"] = parts[4]


def carry_out(plan: Plan, place: Place, adds_account_id: bool) -> Issued:
    """The request, step by step as botocore takes it: each link's cache entry first, and only
    on a miss its source's credentials and the request."""
    from envgen.sources import bounded_client, direct_sts

    # One budget for every request of the command, as botocore's bounded session keeps one.
    budget = bounded_client.NetworkBudget()
    directory = Path(os.path.expanduser(aws_cli_cache.CACHE_DIR))
    cache = aws_cli_cache.CredentialCache(directory)
    detail("no cache entry envgen can serve by itself; STS is asked directly, without botocore")
    detail(plan.chain_description)
    if plan.role_arn_given:
        detail(f"base credentials as botocore's {plan.method!r} provider finds them")

    def fetched(index: int) -> dict[str, Any]:
        """The answer (or cache entry) for step INDEX: its `Credentials` hold the keys."""
        step = plan.steps[index]
        key = aws_cli_cache.role_cache_key(step.arguments)
        entry = aws_cli_cache.load_entry(directory / f"{key}.json")
        if entry is None:
            detail(f"cache miss: no entry {key}.json in {directory}")
        else:
            detail(f"cache entry {key}.json found (botocore uses it while it stays fresh)")
            if aws_cli_cache.fresh_credentials(entry) is not None:
                return entry
        signing = plan.base if index == 0 else _keys_of(fetched(index - 1))
        detail(f"STS endpoint {plan.endpoint.url}, region {plan.region or FALLBACK_REGION}")
        answer = direct_sts.call(
            "AssumeRole",
            step.parameters(),
            signing,
            plan.endpoint,
            place,
            profile=plan.settings,
            budget=budget,
        )
        if adds_account_id:
            _with_account_id(answer)
        cache[key] = answer
        detail(f"STS answered; stored as cache entry {key}.json")
        return answer

    fields = fetched(len(plan.steps) - 1)["Credentials"]
    expiration: Any = fields.get("Expiration")
    if plan.role_arn_given and hasattr(expiration, "isoformat"):
        # botocore's fetcher hands the --role-arn path the expiry as ISO text.
        expiration = expiration.isoformat()
    credentials = Credentials(
        access_key_id=fields["AccessKeyId"],
        secret_access_key=fields["SecretAccessKey"],
        session_token=fields["SessionToken"],
        expiration=aws_cli_cache.as_expiration(expiration),
        region=plan.region,
    )
    if plan.role_arn_given:
        return Issued(credentials, plan.whose, "role", plan.profile, plan.method)
    return Issued(credentials, plan.whose, "role", plan.profile)


def _keys_of(answer: Mapping[str, Any]) -> SigningKeys:
    from envgen.sources.direct_sts import SigningKeys

    fields = answer["Credentials"]
    return SigningKeys(fields["AccessKeyId"], fields["SecretAccessKey"], fields["SessionToken"])
