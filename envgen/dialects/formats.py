"""Outputs for programs rather than shells: `--format json` and `--format dotenv`."""

from __future__ import annotations

import json

from envgen.credentials import Changes, format_expiration
from envgen.dialects.base import Format, RenderContext, UnsupportedValue, is_never_carriable
from envgen.errors import UsageError


class CredentialProcessFormat(Format):
    """The credential_process document, Version 1, that the AWS SDKs read."""

    family = "json"
    summary = "a credential_process document"
    advice = ""

    def render(self, changes: Changes, context: RenderContext) -> str:
        credentials = changes.credentials
        if credentials is None:
            raise UsageError(
                "--format json prints a set of credentials, and this command has none to print"
            )
        document: dict[str, object] = {
            "Version": 1,
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
        }
        if credentials.session_token is not None:
            document["SessionToken"] = credentials.session_token
        if credentials.expiration is not None:
            document["Expiration"] = format_expiration(credentials.expiration)
        for variable, value in credentials.environment().items():
            self.check(variable, value)
        return json.dumps(document, indent=2) + "\n"


class DotenvFormat(Format):
    """A .env file that python-dotenv and docker compose both read back exactly."""

    family = "dotenv"
    summary = "a .env file"

    def forbids(self, char: str) -> bool:
        # Single quotes are the only quoting both readers take literally, and
        # neither has an escape for `'` that the other agrees on; python-dotenv
        # also reads `\\` as one backslash and expands `${...}` even there, and
        # line breaks inside quotes are not read alike.
        return is_never_carriable(char) or char in "'\\" or char < " " or char == "\x7f"

    def check(self, variable: str, value: str) -> None:
        super().check(variable, value)
        if "${" in value:
            raise UnsupportedValue(
                f"{variable} contains '${{', which python-dotenv expands even in single "
                f"quotes; refusing rather than changing the value{self.advice}"
            )

    def quote(self, value: str) -> str:
        return "'" + value + "'"

    def render(self, changes: Changes, context: RenderContext) -> str:
        # A .env file cannot unset anything: it only lists what to set.
        return super().render(Changes(changes.assignments, (), changes.credentials), context)
