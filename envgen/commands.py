"""The work of `envgen assume`, `envgen import` and `envgen refresh` from their options as
plain values, and the one place a failed run becomes a line on stderr and an exit status.

Shared by the typer commands (envgen.cli) and the quick start (envgen.launch), which answers
the command lines machines run most without building the typer app: both call these same
functions, so they answer byte for byte alike. Nothing here imports typer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from envgen import messages, regions
from envgen.command_line import masked_command_line
from envgen.errors import EnvgenError, UsageError
from envgen.launch import DEBUG_VARIABLE as DEBUG_VARIABLE
from envgen.messages import say
from envgen.output import OutputOptions, OutputRequest, deliver, hold_at_terminal, prepare
from envgen.streams import Streams


class Invocation:
    """One run of envgen, handed to every command and callback as the click context's `obj`:
    the words it was run with (`exec` must know what followed `--`, the terminal hint repeats
    them), the streams it reads and writes, and the -q/-v given so far."""

    def __init__(
        self,
        argv: list[str],
        streams: Streams,
        secret_options: frozenset[str],
        levels_given: dict[int, str] | None = None,
        program: str | None = None,
    ) -> None:
        self.argv = argv
        self.streams = streams
        # The options whose values are secrets, masked wherever envgen repeats the command
        # line.
        self.secret_options = secret_options
        self.levels_given = {} if levels_given is None else levels_given
        # The program the process was started as (argv[0]), which the prompt hook runs again.
        self.program = program

    def command_line(self) -> str:
        return masked_command_line(self.argv, self.secret_options)

    def output(self, options: OutputOptions) -> OutputRequest:
        return prepare(options, self.streams, self.command_line())


# -q and -v are taken before the command (`envgen -q assume`) and after it (`envgen assume
# prod -q`), wherever a user types them; what they set lives in envgen.messages.
def choose_level(invocation: Invocation, level: int, option: str) -> None:
    given = invocation.levels_given
    other = next((name for chosen, name in given.items() if chosen != level), None)
    if other is not None:
        raise UsageError(f"{other} and {option} contradict each other; give one of them")
    given[level] = option
    messages.set_level(level)


# The shapes of what envgen's users hold secret (an MFA code, a secret access key, a web
# identity token) and of an access key id, which travels with them. Compiled (and cached by
# `re`) when a word is first checked: the runs that check none, a prompt's refresh among
# them, do not pay for it.
_SECRET_SHAPED = (
    r"\d{6}|(?:AKIA|ASIA)[A-Z0-9]{16}|[A-Za-z0-9/+]{40}"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
)
# Session tokens and assertions: long base64, letters of both cases and digits, no dot.
_OPAQUE = r"[A-Za-z0-9/+=_-]{64,}"


def looks_secret(word: str) -> bool:
    """A positional word shaped like a secret: most likely one typed without its option."""
    if re.fullmatch(_SECRET_SHAPED, word):
        return True
    return bool(re.fullmatch(_OPAQUE, word)) and all(
        any(test(character) for character in word)
        for test in (str.isupper, str.islower, str.isdigit)
    )


def refuse_secret_shaped(
    word: str | None, name: str, meant: str, advice: str, is_known: Callable[[str], bool]
) -> None:
    if word is None or not looks_secret(word) or is_known(word):
        return
    raise UsageError(
        f"{name} looks like a key, token or MFA code rather than {meant}, and is not repeated "
        f"here; {advice}"
    )


def _is_profile(name: str) -> bool:
    from envgen.config_files import profile_names

    return name in profile_names()


def refuse_secret_as_profile(profile: str | None) -> None:
    refuse_secret_shaped(
        profile,
        "PROFILE",
        "a profile name",
        "give an MFA code with --token-code, and keys with envgen import",
        _is_profile,
    )


def import_credentials(
    invocation: Invocation,
    output: OutputOptions,
    *,
    source: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    expiration: str | None,
    region: str | None,
) -> None:
    """`envgen import`: credentials the user already has, from a file, stdin or the flags."""
    from envgen.sources import imported

    # Check the output options first: a typo there must not wait for stdin.
    request = invocation.output(output)
    if output.auto_refresh:
        from envgen.persist.process_profile import not_renewable

        raise not_renewable(
            "imported keys",
            "envgen cannot tell where they came from; save a role or IAM Identity Center "
            "profile instead (envgen assume PROFILE --save-profile NAME --auto-refresh)",
        )
    region = regions.in_effect(regions.checked(region, "--region"))
    key_flags = (access_key_id, secret_access_key, session_token, expiration)
    if source is not None and any(flag is not None for flag in key_flags):
        raise UsageError("give SOURCE or the key flags, not both")
    if source is None and all(flag is None for flag in key_flags):
        raise UsageError(
            "give a JSON file, - for stdin, or --access-key-id and --secret-access-key"
        )
    refuse_secret_shaped(
        source,
        "SOURCE",
        "a file",
        "give secrets with --secret-access-key and --session-token (file://PATH or - keeps "
        "them off the command line)",
        os.path.exists,
    )
    # At a terminal a file or the flags are still read and checked (that costs nothing and
    # the expiry is worth telling), but stdin is not read and nothing is asked.
    interacts = imported.interacts(source, access_key_id, secret_access_key, session_token)
    if interacts and hold_at_terminal(request):
        return
    if source is not None:
        issued = imported.from_source(source, region)
    else:
        issued = imported.from_flags(
            access_key_id, secret_access_key, session_token, expiration, region
        )
    deliver(issued, request)


def assume(
    invocation: Invocation,
    output: OutputOptions,
    *,
    profile: str | None,
    profile_option: str | None,
    role_arn: str | None,
    role_session_name: str | None,
    duration_seconds: int | None,
    external_id: str | None,
    serial_number: str | None,
    token_code: str | None,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """`envgen assume`: a role's credentials (from the AWS CLI's cache while they are fresh),
    or a session token for long-term keys."""
    from envgen.sources import assume
    from envgen.sources.request import checked_options, one_profile, place

    request = invocation.output(output)
    options = checked_options(
        role_arn, role_session_name, duration_seconds, external_id, serial_number, token_code
    )
    refuse_secret_as_profile(profile)
    where = place(one_profile(profile, profile_option), region, endpoint_url)
    renewal = None
    if request.auto_refresh and request.save_profile is not None:
        from envgen.persist.process_profile import check_files, plan_renewal

        renewal = plan_renewal(request.save_profile, where, options)
        check_files(request.save_profile, request.force)
    # After the checks of the command line, before the cache, the MFA prompt and STS.
    if hold_at_terminal(request):
        return
    issued = assume.issue(where, options)
    if renewal is not None:
        renewal.check_issued(issued)
    deliver(issued, request, where, options, renewal=renewal)


def refresh(invocation: Invocation, *, shell: str | None, hook: bool, ahead: bool = False) -> None:
    """`envgen refresh`: the credentials envgen set in this shell, got again; with `hook`, what
    the prompt hook runs, which asks nothing, says at most one line and always ends with 0;
    with `ahead`, what the hook starts in the background before the refresh window, which
    fills the cache and prints nothing."""
    from envgen.refresh import refresh_for_hook, refresh_now

    if ahead:
        if hook or shell is not None:
            raise UsageError("--ahead takes no other option: the prompt hook starts it alone")
        invocation.streams.may_ask_at_terminal = False
        messages.set_level(messages.QUIET)
        from envgen.refresh import renew_ahead

        renew_ahead(os.environ)
        return
    if not hook:
        request = invocation.output(OutputOptions(shell=shell))
        if hold_at_terminal(request):
            return
        refresh_now(request, os.environ)
        return
    # Before a prompt: nobody is asked anything, and the status is always 0, whatever the
    # outcome (the line on stderr says it).
    invocation.streams.may_ask_at_terminal = False
    messages.set_level(messages.QUIET)
    try:
        request = invocation.output(OutputOptions(shell=shell))
        if hold_at_terminal(request):
            return
        refresh_for_hook(request, os.environ)
    except EnvgenError as error:
        say(" ".join(error.message.split()))


def report(error: BaseException, streams: Streams) -> int:
    """A failure as one line on stderr (its traceback too under ENVGEN_DEBUG); the status."""
    if os.environ.get(DEBUG_VARIABLE):
        import traceback

        traceback.print_exception(error, file=streams.stderr)
    if isinstance(error, EnvgenError):
        message, code = error.message, error.exit_code
    else:
        # An unexpected failure's text may quote a value: name only its type.
        message = (
            f"unexpected {type(error).__name__}; "
            f"run again with {DEBUG_VARIABLE}=1 for the traceback"
        )
        code = 70
    say("error: " + " ".join(message.split()))
    return code
