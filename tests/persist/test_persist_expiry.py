"""Persisted credentials expire too: a managed file applies its values only while they are valid.

A session started after the expiry gets none of them and one line on stderr that says when they
expired and what gets new ones. `import` refuses credentials that have already expired, so these
tests keep ones that expire a few seconds later, then wait; where the shell asks `date` for the
time, a `date` of the test's own, first in the PATH the startup file sets, tells it instead.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import require_program
from envgen.credentials import Changes, Credentials, format_expiration
from envgen.dialects import SHELLS as DIALECTS
from envgen.dialects import RenderContext
from envgen.dialects.base import KeptUntil
from envgen_in_process import invoke_envgen
from shell_harness import (
    KEEP,
    MANAGED,
    REAL_SHELLS,
    FreshSession,
    RealShell,
    fresh_session,
    real_shell,
)

SECRET = "s3cr'et!$(id)"
TOKEN = "token-with-`backquotes`"
# Every shell with a managed file: the rest keep the values themselves (fish).
MANAGED_FILE_SHELLS = [case for case in REAL_SHELLS if case.startup is not None]
POSIX_SHELLS = [case for case in MANAGED_FILE_SHELLS if case.family == "posix"]
# The shells that tell the time themselves (bash's printf, zsh/datetime, ksh93's printf).
OWN_CLOCK = frozenset({"bash", "zsh", "ksh"})


def _has_own_clock(case: RealShell) -> bool:
    if case.name != "sh":
        return case.name in OWN_CLOCK
    # sh is dash on Debian, bash on macOS.
    asked = subprocess.run(
        ["sh", "-c", 'echo "${BASH_VERSION-}"'], capture_output=True, text=True, timeout=60
    )
    return bool(asked.stdout.strip())


# 2100-01-01: after any expiry these tests keep.
LATER_THAN_ANY_EXPIRY = 4102444800


def _params(cases: list[RealShell]) -> list[object]:
    return [pytest.param(case, id=case.name, marks=pytest.mark.shell(case.name)) for case in cases]


def _keep(case: RealShell, tmp_path: Path, env: dict[str, str], expiration: str) -> str:
    """Persist example credentials for `case` that expire at `expiration`; the import's
    command line, as the expiry notice repeats it."""
    document = tmp_path / "credentials.json"
    document.write_text(
        json.dumps(
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLE",
                    "SecretAccessKey": SECRET,
                    "SessionToken": TOKEN,
                    "Expiration": expiration,
                }
            }
        ),
        encoding="utf-8",
    )
    args = ["import", str(document), "--persist", "--shell", case.name]
    result = invoke_envgen(args, env)
    assert result.returncode == 0, result.stderr.decode()
    return "envgen " + " ".join(args)


def _fresh_session(case: RealShell, env: dict[str, str], out: Path) -> FreshSession:
    """A new session of CASE after its startup file; the kept secrets never reach its stderr."""
    return fresh_session(case, env, out, never_said=(SECRET, TOKEN))


def _startup(case: RealShell, env: dict[str, str], text: bytes) -> Path:
    startup = case.startup_file(env)
    startup.parent.mkdir(parents=True, exist_ok=True)
    startup.write_bytes(text)
    return startup


def _notice(expiration: str, command: str) -> str:
    return (
        f"envgen: the credentials kept by --persist expired at {expiration} and were not "
        f"applied; get new ones with: {command}"
    )


@pytest.mark.parametrize("case", _params(MANAGED_FILE_SHELLS))
@pytest.mark.posix("the shells' startup files")
def test_a_session_started_after_expiry_gets_none_of_the_kept_values(
    case: RealShell, clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program(case.program)
    # A POSIX startup file run with `set -eu` must carry on past the block.
    strict = b"set -eu\n" if case.family == "posix" else b""
    _startup(case, clean_env, strict + case.startup_text)
    # Long enough for the in-process import to finish well before it, even on a busy machine.
    expires_at = math.ceil(time.time()) + 4
    expiration = format_expiration(datetime.fromtimestamp(expires_at, timezone.utc))
    command = _keep(case, tmp_path, clean_env, expiration)
    time.sleep(max(0.0, expires_at - time.time()) + 0.5)

    seen, said = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert {name: seen[name] for name in MANAGED} == dict.fromkeys(MANAGED), seen
    assert said == [_notice(expiration, command)]
    # The rest of the startup file still ran.
    assert seen[KEEP] == "kept"


def _recording_date(tmp_path: Path, answer: str) -> tuple[Path, Path]:
    """A directory holding a `date` that logs each call and prints `answer` (exit status 1
    when `answer` is empty), and the log."""
    directory = tmp_path / "clock"
    directory.mkdir()
    log = tmp_path / "date-calls"
    date = directory / "date"
    answer_line = f"printf '%s\\n' '{answer}'" if answer else "exit 1"
    date.write_text(f"#!/bin/sh\necho \"$*\" >> '{log}'\n{answer_line}\n", encoding="utf-8")
    date.chmod(0o755)
    return directory, log


def _strict_startup_with_clock(case: RealShell, env: dict[str, str], clock: Path) -> None:
    # After /etc/profile, which sets PATH anew for a login shell, as a user's own file does.
    _startup(
        case, env, b"set -eu\nPATH='" + str(clock).encode() + b'\':"$PATH"\n' + case.startup_text
    )


@pytest.mark.parametrize("case", _params(POSIX_SHELLS))
@pytest.mark.posix("the shells' startup files")
def test_posix_shells_read_their_own_clock_or_date(
    case: RealShell, clean_env: dict[str, str], tmp_path: Path
) -> None:
    """With a `date` that says the credentials expired long ago, shells with their own clock
    apply them without starting it, and the others believe it."""
    require_program(case.program)
    clock, log = _recording_date(tmp_path, str(LATER_THAN_ANY_EXPIRY + 60))
    _strict_startup_with_clock(case, clean_env, clock)
    expiration = "2099-12-31T23:59:59Z"
    command = _keep(case, tmp_path, clean_env, expiration)

    seen, said = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert seen[KEEP] == "kept"
    if _has_own_clock(case):
        assert seen["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE"
        assert seen["AWS_SECRET_ACCESS_KEY"] == SECRET
        assert said == []
        assert not log.exists(), log.read_text()
    else:
        assert {name: seen[name] for name in MANAGED} == dict.fromkeys(MANAGED), seen
        assert said == [_notice(expiration, command)]
        assert log.read_text() == "+%s\n"


@pytest.mark.parametrize("answer", ["", "%s", "12 34"])
@pytest.mark.shell("dash")
@pytest.mark.posix("the shells' startup files")
def test_a_clock_that_cannot_be_read_applies_the_values_as_before(
    answer: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    case = real_shell("dash")
    require_program(case.program)
    clock, log = _recording_date(tmp_path, answer)
    _strict_startup_with_clock(case, clean_env, clock)
    _keep(case, tmp_path, clean_env, "2099-12-31T23:59:59Z")
    seen, said = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert seen["AWS_SECRET_ACCESS_KEY"] == SECRET and seen["AWS_SESSION_TOKEN"] == TOKEN
    assert seen[KEEP] == "kept"
    assert said == []
    assert log.read_text() == "+%s\n"


@pytest.mark.parametrize("name", [case.name for case in MANAGED_FILE_SHELLS] + ["pwsh"])
def test_credentials_without_an_expiry_are_kept_as_the_output_sets_them(name: str) -> None:
    changes = Changes.from_credentials(Credentials("AKIAEXAMPLE", SECRET))
    context = RenderContext(utf8_locale=True)
    dialect = DIALECTS[name]
    assert dialect.render_managed(changes, context, None) == dialect.render(changes, context)
    expiring = Changes.from_credentials(
        Credentials(
            "ASIAEXAMPLE",
            SECRET,
            TOKEN,
            expiration=datetime.now(timezone.utc) + timedelta(hours=1),
        )
    )
    kept_until = KeptUntil(datetime(2099, 1, 1, tzinfo=timezone.utc), "envgen assume prod")
    guarded = dialect.render_managed(expiring, context, kept_until)
    assert guarded != dialect.render(expiring, context) and kept_until.iso in guarded


NU_OLD_BLOCK = (
    "# >>> envgen --persist >>>\n"
    "# Written by `envgen --persist`; `envgen clear --persist` removes it.\n"
    "if ({path} | path exists) {{ open --raw {path} | from json | load-env }}\n"
    "# <<< envgen --persist <<<\n"
)


@pytest.mark.shell("nu")
def test_nushell_startup_line_of_an_earlier_envgen_is_replaced_and_removed(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """config.nu's line changed with the expiry check: a new --persist puts the new one in the
    place of the old, clear --persist takes either away, and the new line still loads a record
    an earlier envgen wrote (as after a --persist stopped between the two writes)."""
    case = real_shell("nu")
    require_program(case.program)
    config = Path(clean_env["XDG_CONFIG_HOME"])
    managed = config / "envgen" / "persist.json"
    managed.parent.mkdir(parents=True)
    managed.write_text(
        json.dumps({"AWS_ACCESS_KEY_ID": "AKIAOLD", "AWS_SECRET_ACCESS_KEY": "old"}),
        encoding="utf-8",
    )
    own = case.startup_text + b"\n"
    old_block = NU_OLD_BLOCK.format(path=DIALECTS["nu"].quote_path(str(managed))).encode()
    startup = _startup(case, clean_env, own + old_block)
    seen, _ = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert seen["AWS_ACCESS_KEY_ID"] == "AKIAOLD"

    _keep(case, tmp_path, clean_env, "2099-12-31T23:59:59Z")
    text = startup.read_bytes()
    assert text.startswith(own) and text.count(b"# >>> envgen --persist >>>") == 1
    assert b"load-env }\n" not in text and b"ENVGEN_PERSIST_UNTIL" in text
    seen, said = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert seen["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE" and said == []
    # envgen's own entries of the record never reach the environment.
    assert case.fresh is not None
    argv, _ = case.fresh("$env | columns | to json", clean_env)
    names = subprocess.run(
        argv,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "ENVGEN_PERSIST" not in names.stdout and "AWS_SESSION_TOKEN" in names.stdout

    # The new line with a record from before it: loaded whole, as the old line did.
    managed.write_text(
        json.dumps({"AWS_ACCESS_KEY_ID": "AKIAOLD", "AWS_SECRET_ACCESS_KEY": "old"}),
        encoding="utf-8",
    )
    seen, said = _fresh_session(case, clean_env, tmp_path / "seen.json")
    assert seen["AWS_ACCESS_KEY_ID"] == "AKIAOLD" and said == []

    startup.write_bytes(own + old_block)
    cleared = invoke_envgen(["clear", "--persist", "--shell", "nu"], clean_env)
    assert cleared.returncode == 0, cleared.stderr.decode()
    assert startup.read_bytes() == own
    assert not managed.exists()
