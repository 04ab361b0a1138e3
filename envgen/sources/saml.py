"""AssumeRoleWithSAML, and what a SAML assertion grants: the role pairs and session duration AWS
reads from it.

The assertion comes from outside and is parsed before anything is sent anywhere, so it goes
through defusedxml with DTDs refused outright: a real SAMLResponse never carries one, and a
DTD is where entity-expansion ("billion laughs") and external-entity attacks live.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from envgen.errors import UsageError
from envgen.sources import validation
from envgen.sources.request import Issued, Place

ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"


@dataclasses.dataclass(frozen=True)
class RolePair:
    role_arn: str
    principal_arn: str

    def __str__(self) -> str:
        return f"{self.role_arn} (via {self.principal_arn})"


@dataclasses.dataclass(frozen=True)
class Grant:
    roles: tuple[RolePair, ...]
    session_duration: int | None


def _local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _role_pair(text: str) -> RolePair:
    parts = [part.strip() for part in text.split(",")]
    roles = [part for part in parts if validation.ROLE_ARN.fullmatch(part)]
    providers = [part for part in parts if validation.SAML_PROVIDER_ARN.fullmatch(part)]
    if len(parts) != 2 or len(roles) != 1 or len(providers) != 1:
        raise UsageError(
            f"the SAML assertion's Role attribute holds {text.strip()!r}, not "
            '"role ARN,SAML provider ARN"; ask the identity provider\'s administrator '
            "to fix the claim"
        )
    return RolePair(roles[0], providers[0])


def parse_assertion(document: bytes) -> Grant:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UsageError(
            "the SAML assertion declares a DTD or entities, which no SAMLResponse does; refused"
        ) from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise UsageError(
            f"the SAML assertion is not well-formed XML (line {line}, column {column}); "
            "copy the SAMLResponse again"
        ) from None

    roles: list[RolePair] = []
    session_duration: int | None = None
    for element in root.iter():
        if _local_name(element.tag) != "Attribute":
            continue
        name = element.get("Name")
        values = [
            (value.text or "").strip()
            for value in element
            if _local_name(value.tag) == "AttributeValue"
        ]
        if name == ROLE_ATTRIBUTE:
            roles.extend(_role_pair(value) for value in values if value)
        elif name == SESSION_DURATION_ATTRIBUTE and values:
            try:
                session_duration = int(values[0])
            except ValueError:
                raise UsageError(
                    f"the SAML assertion's SessionDuration is {values[0]!r}, not a number of "
                    "seconds"
                ) from None
    if not roles:
        raise UsageError(
            f"the SAML assertion grants no AWS role (no {ROLE_ATTRIBUTE} attribute); "
            "check the identity provider's AWS application"
        )
    unique = tuple(dict.fromkeys(roles))
    return Grant(unique, session_duration)


def _listing(roles: Sequence[RolePair]) -> str:
    return "; ".join(str(pair) for pair in roles)


def choose_role(
    grant: Grant,
    role_arn: str | None,
    principal_arn: str | None,
    ask: Callable[[str, Sequence[str]], int] | None = None,
) -> RolePair:
    """The pair to assume: the one named, the only one, or the one the user picks.

    `ask(question, choices) -> index` is called only when several roles remain and none was
    named; it raises terminal.NoTerminal when nobody can answer.
    """
    candidates = [
        pair
        for pair in grant.roles
        if (role_arn is None or pair.role_arn == role_arn)
        and (principal_arn is None or pair.principal_arn == principal_arn)
    ]
    if not candidates:
        named = " with ".join(filter(None, (role_arn, principal_arn)))
        raise UsageError(
            f"the SAML assertion does not grant {named}; it grants: {_listing(grant.roles)}"
        )
    if len(candidates) == 1:
        return candidates[0]
    unanswered = ""
    if ask is not None:
        from envgen.sources.terminal import NoAnswer, NoTerminal

        try:
            return candidates[ask("role to assume", [str(pair) for pair in candidates])]
        except NoTerminal:
            pass
        except NoAnswer:
            unanswered = "no role was picked on the terminal; "
    raise UsageError(
        f"{unanswered}the SAML assertion grants {len(candidates)} roles; pick one with "
        f"--role-arn: {_listing(candidates)}"
    )


def capped_duration(requested: int | None, grant: Grant) -> tuple[int, bool]:
    """The duration to ask for, and whether the assertion's SessionDuration lowered it."""
    wanted = requested if requested is not None else validation.DEFAULT_DURATION_SECONDS
    if grant.session_duration is not None and grant.session_duration < wanted:
        return max(grant.session_duration, validation.MIN_DURATION_SECONDS), True
    return wanted, False


def assume_with_assertion(
    where: Place,
    assertion_value: str,
    role_arn: str | None,
    principal_arn: str | None,
    duration_seconds: int | None,
) -> Issued:
    """Read, decode and parse the assertion, pick the role, then one AssumeRoleWithSAML."""
    from envgen.messages import say
    from envgen.sources import terminal

    validation.role_arn(role_arn)
    validation.principal_arn(principal_arn)
    validation.duration(duration_seconds)
    encoded = validation.read_secret_value(assertion_value, "--saml-assertion")
    grant = parse_assertion(validation.saml_assertion_bytes(encoded))
    pair = choose_role(grant, role_arn, principal_arn, ask=terminal.pick)
    duration, capped = capped_duration(duration_seconds, grant)
    if capped:
        say(f"the assertion allows sessions of {grant.session_duration} s at most; asking for that")
    compact = "".join(encoded.split())
    return assume_role_with_saml(where, pair, compact, duration)


def assume_role_with_saml(
    where: Place, pair: RolePair, assertion: str, duration_seconds: int
) -> Issued:
    """AssumeRoleWithSAML: the assertion is the proof, so the call is unsigned."""
    from envgen.sources import sts_session

    with sts_session.sts_errors(where):
        context = sts_session.open_context(where, None)
        response = context.unsigned_client().assume_role_with_saml(
            RoleArn=pair.role_arn,
            PrincipalArn=pair.principal_arn,
            SAMLAssertion=assertion,
            DurationSeconds=duration_seconds,
        )
        credentials = sts_session.credentials_from_response(response["Credentials"], context.region)
        return Issued(credentials, pair.role_arn, "saml")
