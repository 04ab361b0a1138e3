"""The one line of each STS failure, built here for envgen's botocore road
(sts_session.sts_errors) and the direct one (direct_sts) alike: the same answer reads the same
whichever road the request took. Nothing here loads botocore, typing or dataclasses: the direct
road is there to start fast."""

from __future__ import annotations

import os

from envgen.sources import bounded_client

TYPE_CHECKING = False
if TYPE_CHECKING:
    from envgen.sources.request import Place

# STS needs some region to sign for; us-east-1 is where its global endpoint lives.
FALLBACK_REGION = "us-east-1"

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


def endpoint_named(error: object, place: Place) -> str:
    """The endpoint a failure names: the URL botocore's error carries, else the one configured."""
    url = (
        getattr(error, "kwargs", {}).get("endpoint_url")
        or place.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_STS")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    # Scheme, host and port only: a URL can carry a user name and password.
    return bounded_client.where(str(url)) if url else "STS"


def unreachable_line(endpoint: str, error_name: str) -> str:
    """ENDPOINT was not reached or did not answer; ERROR_NAME is botocore's name for why."""
    return (
        f"cannot reach STS at {endpoint} ({error_name}); check "
        "the network, --endpoint-url / AWS_ENDPOINT_URL_STS and --region"
    )


def not_sts_line(endpoint: str) -> str:
    return (
        f"{endpoint} did not answer like STS; check --endpoint-url / AWS_ENDPOINT_URL_STS and "
        "any proxy in between"
    )


def failed_line(error_name: str) -> str:
    """A failure of botocore's (named ERROR_NAME) with nothing better to say."""
    return f"the STS call failed ({error_name}); run again with ENVGEN_DEBUG=1 for details"


def bounded_line(
    bound: bounded_client.NetworkBudgetSpent
    | bounded_client.ResponseTooLarge
    | bounded_client.NotAnStsAnswer,
) -> str:
    """The line for an exchange that bounded_client cut short or refused."""
    endpoint = bounded_client.where(bound.url)
    if isinstance(bound, bounded_client.NetworkBudgetSpent):
        return (
            f"{endpoint} gave no complete answer within "
            f"{bounded_client.NETWORK_BUDGET_SECONDS} s; check the network, --endpoint-url / "
            "AWS_ENDPOINT_URL_STS and any proxy in between, then run again"
        )
    if isinstance(bound, bounded_client.ResponseTooLarge):
        return (
            f"{endpoint} answered with more than "
            f"{bounded_client.MAX_RESPONSE_BYTES // 1024} KiB, which no STS answer is; check "
            "--endpoint-url / AWS_ENDPOINT_URL_STS and any proxy in between"
        )
    return not_sts_line(endpoint)


def refused_line(operation: str, details: object, status: object) -> str:
    """STS answered OPERATION with an error: DETAILS is the answer's parsed `Error`, STATUS the
    HTTP status of the last attempt."""
    if not isinstance(details, dict):
        details = {}
    code = str(details.get("Code") or "UnknownError")
    if isinstance(status, int) and status >= 500 and code not in ADVICE:
        return (
            f"STS answered {operation} with HTTP {status} on each of "
            f"{bounded_client.TOTAL_ATTEMPTS} attempts; it may be down or overloaded: run "
            "again later, or check --endpoint-url / AWS_ENDPOINT_URL_STS"
        )
    advice = ADVICE.get(code, "see the AWS documentation for this error code")
    quoted = ""
    if code in QUOTABLE_CODES and details.get("Message"):
        quoted = f" ({' '.join(str(details['Message']).split())[:300]})"
    return f"STS refused {operation}: {code}{quoted}; {advice}"
