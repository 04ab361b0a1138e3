"""The quick start (envgen.launch) answers exactly as typer's full path does.

Every command line below runs twice as a real process from the same starting state: once
through envgen.launch.main, as the console script runs it, and once with every command line
handed to typer (`main(quick=False)`). stdout, stderr, the exit status and every file under
HOME must come out the same, byte for byte; the only things allowed to differ are the keys
STS issues on a cache miss, which are new on every call (both runs' keys are read from the
cache entries they wrote and named alike). Each case also says whether the quick start must
answer it without typer or hand it to typer, and that is checked from inside the process.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer

from conftest import posix_only
from envgen import launch, records
from envgen.cli import _secret_options, app
from envgen_process import SECRET, TOKEN, sts_document
from sts_server import role_arn

# Runs envgen as the console script does (or with quick=False, all through typer), and on the
# way out writes whether typer was loaded to the file named by argv[1].
PROBE = """\
import atexit, sys
report_path, mode = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
sys.argv[0] = "envgen"
atexit.register(lambda: open(report_path, "w").write(str("typer" in sys.modules)))
from envgen.launch import main
main(quick=mode == "quick")
"""

HIT_PROFILE = "cached"
MISS_PROFILE = "fresh"
KEY_ID = "ASIAIOSFODNN7EXAMPLE"
HOSTILE_SECRET = 'it\'s $(touch pwned) `id` %PATH% !x \\ "q"'
NON_ASCII_SECRET = "sécret‘quote’"


@dataclasses.dataclass(frozen=True)
class Case:
    argv: list[str]
    quick: bool
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    stdin: bytes = b""
    # Where stdout goes: a pipe, a terminal, closed, or a pipe nobody reads any more.
    stdout: str = "pipe"
    # Variables worked out when the case runs, once for both runs: times from now.
    timed_env: Callable[[], dict[str, str]] | None = None


def document(**fields: object) -> bytes:
    return sts_document(**fields).encode()


IMPORT_FLAGS = [
    "--access-key-id",
    KEY_ID,
    "--secret-access-key",
    SECRET,
    "--session-token",
    TOKEN,
    "--expiration",
    "2099-01-31T12:00:00Z",
]


def shell_holding(
    kind: str, profile: str | None, expires_in: int, key: str = KEY_ID, persisted: bool = False
) -> Callable[[], dict[str, str]]:
    """A shell that applied credentials envgen recorded as coming from KIND (and PROFILE, kept
    for later sessions when PERSISTED), due to expire EXPIRES_IN seconds from when the case
    runs, its hook due now; the keys it holds are KEY's."""

    def environment() -> dict[str, str]:
        now = int(time.time())
        digest = records.key_digest(KEY_ID)
        origin = records.Origin(kind, digest, profile=profile, persisted=persisted)
        return {
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_SESSION_TOKEN": TOKEN,
            records.SOURCE: origin.text(),
            records.EXPIRATION: str(now + expires_in),
            records.CHECK_AT: str(now - 1),
        }

    return environment


REFRESH_HOOK = ["refresh", "--hook", "--shell", "bash"]
# Inside the default refresh window of 300 s, long enough to stay in it for both runs.
INSIDE_THE_WINDOW = 250
# Past the default window, inside the lead before it: a cached role is renewed ahead.
IN_THE_LEAD = 450
# Where the renewal ahead the lead starts finds no AWS files: it ends without a request and
# without writing, whenever it runs, so both runs leave the same files.
NO_AWS_FILES = {
    "AWS_CONFIG_FILE": os.path.join(os.sep, "nonexistent", "config"),
    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(os.sep, "nonexistent", "credentials"),
}

CASES: dict[str, Case] = {
    # What credential_process lines, prompts and start-up files run.
    "hit, json": Case(["assume", HIT_PROFILE, "--format", "json"], True),
    "hit, json with =": Case(["assume", HIT_PROFILE, "--format=json"], True),
    "hit, --profile": Case(["assume", "--profile", HIT_PROFILE, "--shell", "bash"], True),
    "hit, AWS_PROFILE": Case(["assume", "--shell", "zsh"], True, {"AWS_PROFILE": HIT_PROFILE}),
    "hit, ENVGEN_SHELL": Case(["assume", HIT_PROFILE], True, {"ENVGEN_SHELL": "fish"}),
    "hit, every shell": Case(["assume", HIT_PROFILE, "--shell", "tcsh", "-q"], True),
    "hit, verbose first": Case(["-v", "assume", HIT_PROFILE, "--shell", "elvish"], True),
    "hit, quiet twice": Case(["-q", "assume", HIT_PROFILE, "--quiet", "--shell", "nu"], True),
    "hit, region": Case(["assume", HIT_PROFILE, "--region", "eu-west-2", "--shell", "pwsh"], True),
    "hit, AWS_REGION": Case(["assume", HIT_PROFILE, "--shell", "cmd"], True, {"AWS_REGION": "x"}),
    "hit, dotenv": Case(["assume", HIT_PROFILE, "--format", "dotenv"], True),
    "hit, terminal": Case(["assume", HIT_PROFILE, "--shell", "bash"], True, stdout="terminal"),
    "hit, terminal json": Case(
        ["assume", HIT_PROFILE, "--format", "json"], True, stdout="terminal"
    ),
    "hit, shown": Case(
        ["assume", HIT_PROFILE, "--shell", "ksh", "--show-secrets"], True, stdout="terminal"
    ),
    "hit, stdout closed": Case(["assume", HIT_PROFILE, "--format", "json"], True, stdout="closed"),
    "hit, nobody reads": Case(["assume", HIT_PROFILE, "--shell", "bash"], True, stdout="unread"),
    "debug": Case(["assume", HIT_PROFILE, "--shell", "nosuch"], False, {"ENVGEN_DEBUG": "1"}),
    "miss, profile": Case(["assume", MISS_PROFILE, "--format", "json"], True),
    "miss, role arn": Case(["assume", "--role-arn", role_arn("other"), "--shell", "bash"], True),
    "miss, overrides": Case(
        [
            "assume",
            HIT_PROFILE,
            "--duration-seconds",
            "3600",
            "--role-session-name",
            "quick",
            "--external-id",
            "ext",
            "--shell",
            "fish",
        ],
        True,
    ),
    "miss, endpoint": Case(
        ["assume", "--role-arn", role_arn("x"), "--endpoint-url", "http://127.0.0.1:9"], True
    ),
    # Refusals and errors, each in the same one line.
    "unknown shell": Case(["assume", HIT_PROFILE, "--shell", "nosuch"], True),
    "unknown format": Case(["assume", HIT_PROFILE, "--format", "yaml"], True),
    "empty format": Case(["assume", HIT_PROFILE, "--format", ""], True),
    "bad region": Case(["assume", HIT_PROFILE, "--region", "EU-WEST-1"], True),
    "short duration": Case(["assume", HIT_PROFILE, "--duration-seconds", "12"], True),
    "signed duration": Case(["assume", HIT_PROFILE, "--duration-seconds", "+900"], True),
    "bad role arn": Case(["assume", "--role-arn", "arn:nope", "--format", "json"], True),
    "bad token code": Case(["assume", HIT_PROFILE, "--token-code", "12ab"], True),
    "secret as profile": Case(["assume", "AKIAIOSFODNN7EXAMPLE", "--format", "json"], True),
    "profiles disagree": Case(["assume", HIT_PROFILE, "--profile", MISS_PROFILE], True),
    "empty profile": Case(["assume", "", "--format", "json"], True),
    "no such profile": Case(["assume", "nosuch", "--format", "json"], True),
    "json, unknown shell": Case(["assume", HIT_PROFILE, "--format", "json", "--shell", "x"], True),
    # import, from flags, files and stdin.
    "import flags": Case(["import", *IMPORT_FLAGS, "--shell", "bash"], True),
    "import flags, region": Case(
        ["import", *IMPORT_FLAGS, "--region", "us-west-2", "--shell", "nu"], True
    ),
    "import flags, terminal": Case(
        ["import", *IMPORT_FLAGS, "--shell", "fish"], True, stdout="terminal"
    ),
    "import stdin": Case(["import", "-", "--shell", "bash"], True, stdin=document()),
    "import stdin json": Case(["import", "-", "--format", "json"], True, stdin=document()),
    "import hostile, bash": Case(
        ["import", "-", "--shell", "bash"], True, stdin=document(SecretAccessKey=HOSTILE_SECRET)
    ),
    "import hostile, csh": Case(
        ["import", "-", "--shell", "csh"], True, stdin=document(SecretAccessKey=HOSTILE_SECRET)
    ),
    "import hostile, cmd": Case(
        ["import", "-", "--shell", "cmd"], True, stdin=document(SecretAccessKey=HOSTILE_SECRET)
    ),
    "import newline, tcsh": Case(
        ["import", "-", "--shell", "tcsh"], True, stdin=document(SessionToken="a\nb")
    ),
    "import non-ASCII, powershell": Case(
        ["import", "-", "--shell", "powershell"],
        True,
        {"LANG": "C", "LC_ALL": "C"},
        stdin=document(SecretAccessKey=NON_ASCII_SECRET),
    ),
    "import non-ASCII, xonsh": Case(
        ["import", "-", "--shell", "xonsh"], True, stdin=document(SecretAccessKey=NON_ASCII_SECRET)
    ),
    "import expired": Case(
        ["import", "-", "--shell", "bash"], True, stdin=document(Expiration="2001-01-01T00:00:00Z")
    ),
    "import broken json": Case(["import", "-", "--shell", "bash"], True, stdin=b"{nope"),
    "import nothing": Case(["import", "--shell", "bash"], True),
    "import both": Case(["import", "creds.json", "--access-key-id", KEY_ID], True),
    "import missing file": Case(["import", "missing.json", "--format", "json"], True),
    "import secret as file": Case(["import", SECRET, "--format", "json"], True),
    "import key only": Case(["import", "--access-key-id", KEY_ID, "--format", "json"], True),
    "import secret from file": Case(
        ["import", "--access-key-id", KEY_ID, "--secret-access-key", "file://secret.txt"], True
    ),
    "import secret from stdin": Case(
        ["import", "--access-key-id", KEY_ID, "--secret-access-key", "-", "--format", "dotenv"],
        True,
        stdin=SECRET.encode() + b"\n",
    ),
    # What prompt hooks run, and `envgen refresh` by hand.
    "refresh, fresh": Case(REFRESH_HOOK, True, timed_env=shell_holding("role", HIT_PROFILE, 3600)),
    "refresh, renewal": Case(
        REFRESH_HOOK, True, timed_env=shell_holding("role", MISS_PROFILE, INSIDE_THE_WINDOW)
    ),
    "refresh, renewal kept": Case(
        REFRESH_HOOK,
        True,
        timed_env=shell_holding("role", MISS_PROFILE, INSIDE_THE_WINDOW, persisted=True),
    ),
    "refresh, expired": Case(REFRESH_HOOK, True, timed_env=shell_holding("role", HIT_PROFILE, -5)),
    "refresh, lead": Case(
        REFRESH_HOOK, True, NO_AWS_FILES, timed_env=shell_holding("role", HIT_PROFILE, IN_THE_LEAD)
    ),
    "refresh, ahead": Case(
        ["refresh", "--ahead"], True, timed_env=shell_holding("role", HIT_PROFILE, IN_THE_LEAD)
    ),
    "refresh, ahead with the hook": Case(["refresh", "--ahead", "--hook"], True),
    "refresh, imported": Case(
        REFRESH_HOOK, True, timed_env=shell_holding("imported", None, INSIDE_THE_WINDOW)
    ),
    "refresh, no records": Case(REFRESH_HOOK, True),
    "refresh, bad window": Case(
        REFRESH_HOOK,
        True,
        {"ENVGEN_REFRESH_BEFORE": "soon"},
        timed_env=shell_holding("role", HIT_PROFILE, 3600),
    ),
    "refresh, keys replaced": Case(
        REFRESH_HOOK,
        True,
        timed_env=shell_holding("role", HIT_PROFILE, INSIDE_THE_WINDOW, "AKIAUSERSOWNKEY00000"),
    ),
    "refresh, fish, verbose": Case(
        ["-v", "refresh", "--shell", "fish", "--hook"],
        True,
        timed_env=shell_holding("role", MISS_PROFILE, INSIDE_THE_WINDOW),
    ),
    "refresh by hand": Case(
        ["refresh", "-q"], True, timed_env=shell_holding("role", HIT_PROFILE, 3600)
    ),
    "refresh by hand, no records": Case(["refresh", "--shell", "zsh"], True),
    "refresh by hand, terminal": Case(
        ["refresh"], True, stdout="terminal", timed_env=shell_holding("role", HIT_PROFILE, 3600)
    ),
    # Left to typer: what the quick start does not read itself.
    "help": Case(["assume", "--help"], False),
    "quiet and verbose": Case(["assume", HIT_PROFILE, "-q", "-v"], False),
    "short options joined": Case(["assume", HIT_PROFILE, "-qv"], False),
    "option twice": Case(["assume", HIT_PROFILE, "--shell", "bash", "--shell", "zsh"], False),
    "double dash": Case(["assume", "--", HIT_PROFILE], False),
    "value like an option": Case(["assume", HIT_PROFILE, "--shell", "--format"], False),
    "missing value": Case(["assume", HIT_PROFILE, "--shell"], False),
    "flag with a value": Case(["assume", HIT_PROFILE, "--show-secrets=1"], False),
    "number typer converts": Case(["assume", HIT_PROFILE, "--duration-seconds", "1_000"], False),
    "not a number": Case(["assume", HIT_PROFILE, "--duration-seconds", "soon"], False),
    "two profiles": Case(["assume", HIT_PROFILE, MISS_PROFILE], False),
    "persist": Case(["assume", HIT_PROFILE, "--shell", "bash", "--persist"], False),
    "save profile": Case(["assume", HIT_PROFILE, "--save-profile", "saved"], False),
    "unknown option": Case(["assume", HIT_PROFILE, "--nope"], False),
    "other command": Case(["clear", "--shell", "bash"], False),
    "refresh, a word": Case(["refresh", "--hook", "now"], False),
    "refresh, hook with a value": Case(["refresh", "--hook=yes"], False),
    "refresh, help": Case(["refresh", "--help"], False),
    "version": Case(["--version"], False),
    "no words": Case([], False),
    "completion": Case(
        ["assume", HIT_PROFILE], False, {"_ENVGEN_COMPLETE": "bash_complete", "COMP_WORDS": "x"}
    ),
}


@pytest.fixture(scope="module")
def starting_home(
    tmp_path_factory: pytest.TempPathFactory, sts_server: object
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A HOME whose role profile HIT_PROFILE is in the AWS CLI's cache and whose MISS_PROFILE
    is not; each run starts from a fresh copy of it, at the same path."""
    url = getattr(sts_server, "url")  # noqa: B009
    base = tmp_path_factory.mktemp("quick")
    template, home = base / "template", base / "home"
    aws = template / ".aws"
    aws.mkdir(parents=True)
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    (aws / "config").write_text(
        "[default]\nregion = eu-west-1\n"
        f"[profile {HIT_PROFILE}]\nrole_arn = {role_arn('cached')}\nsource_profile = default\n"
        f"[profile {MISS_PROFILE}]\nrole_arn = {role_arn('fresh')}\nsource_profile = default\n"
        "region = us-east-2\n"
    )
    (template / "creds.json").write_text(sts_document())
    (template / "secret.txt").write_text(SECRET + "\n")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "ENVGEN_", "_ENVGEN_", "LC_")) and key != "SHELL"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        LANG="C.UTF-8",
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL_STS=url,
        ENVGEN_SHELL="bash",
    )
    shutil.copytree(template, home)
    filled = run(Case(["assume", HIT_PROFILE, "--format", "json"], True), "full", home, env)
    assert filled.status == 0, filled.stderr
    shutil.rmtree(template)
    shutil.copytree(home, template)
    yield template, env


@dataclasses.dataclass
class Outcome:
    status: int
    stdout: bytes
    stderr: bytes
    files: dict[str, bytes]
    typer_loaded: bool


def run(case: Case, mode: str, home: Path, env: dict[str, str]) -> Outcome:
    report = home.parent / "typer-loaded.txt"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-c", PROBE, str(report), mode, *case.argv]
    environment = {**env, **case.env}
    if case.stdout == "terminal":
        posix_only("a pseudo-terminal")
        controller, terminal = os.openpty()
        stdout_target: int = terminal
    elif case.stdout == "unread":
        reader, writer = os.pipe()
        os.close(reader)
        stdout_target = writer
    else:
        stdout_target = subprocess.PIPE
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL if case.stdout == "closed" else stdout_target,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=home,
        start_new_session=True,
        # Closed stdout: descriptor 1 is gone when envgen starts.
        preexec_fn=(lambda: os.close(1)) if case.stdout == "closed" else None,
    )
    if case.stdout in ("terminal", "unread"):
        os.close(stdout_target)
    stdout, stderr = process.communicate(case.stdin, timeout=120)
    if case.stdout == "terminal":
        stdout = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            stdout += chunk
        os.close(controller)
    files = {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }
    return Outcome(process.returncode, stdout or b"", stderr, files, report.read_text() == "True")


CACHE = os.path.join(".aws", "cli", "cache")


def new_cache_entries(outcome: Outcome, before: dict[str, bytes]) -> dict[str, Any]:
    return {
        path: json.loads(content)
        for path, content in outcome.files.items()
        if path not in before and path.startswith(CACHE)
    }


def issued_keys(entries: dict[str, Any]) -> dict[str, str]:
    """What STS issued in a run (from the cache entries it wrote), each named by its field,
    so two runs that each got new keys compare equal: the keys, the expiry as text and as
    epoch seconds, when the prompt hook checks it, and the digest the records keep."""
    names: dict[str, str] = {}
    for entry in entries.values():
        fields = entry["Credentials"]
        for field in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
            names[fields[field]] = f"<{field}>"
        names[records.key_digest(fields["AccessKeyId"])] = "<key digest>"
        stamp = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)", fields["Expiration"])
        assert stamp is not None
        names[f"{stamp[1]}T{stamp[2]}Z"] = names[f"{stamp[1]} {stamp[2]}"] = "<Expiration>"
        moment = datetime.fromisoformat(f"{stamp[1]}T{stamp[2]}+00:00")
        expires = records.epoch_seconds(moment)
        names[str(expires)] = "<expiry epoch>"
        # Cached roles: the hook first runs envgen the lead before the window.
        lead = records.DEFAULT_WINDOW_SECONDS + records.LEAD_SECONDS
        names[str(expires - lead)] = "<check at>"
    return names


# ENVGEN_SOURCE: JSON in unpadded base64url, which carries the key digest. Found after its
# name and the quoting between (`=`, `='`, ` = '`, `": "`), never by its look alone: a random
# session token can hold the same letters.
_RECORD = re.compile(rb"(ENVGEN_SOURCE[^A-Za-z0-9_-]{1,8})(eyJ[A-Za-z0-9_-]+)")


def named(data: bytes, names: dict[str, str]) -> bytes:
    def decoded(found: re.Match[bytes]) -> bytes:
        text = base64.urlsafe_b64decode(found[2] + b"=" * (-len(found[2]) % 4))
        return found[1] + b"<record " + named(text, names) + b">"

    if names:
        data = _RECORD.sub(decoded, data)
    for value, name in names.items():
        data = data.replace(value.encode(), name.encode())
        data = data.replace(json.dumps(value)[1:-1].encode(), name.encode())
    return data


def comparable(outcome: Outcome, before: dict[str, bytes]) -> tuple[object, ...]:
    entries = new_cache_entries(outcome, before)
    names = issued_keys(entries)
    files: dict[str, object] = {
        path: named(content, names) for path, content in outcome.files.items()
    }
    for path, entry in entries.items():
        # The entry's name is the hash of what was asked, the same in both runs; its
        # credentials are named, and what else STS said (request id, date, a session name
        # botocore made from the clock) is left out.
        files[path] = (
            sorted(entry),
            {
                field: names[value]
                for field, value in entry["Credentials"].items()
                if value in names
            },
        )
    return (outcome.status, named(outcome.stdout, names), named(outcome.stderr, names), files)


def test_two_misses_compare_equal_whatever_letters_their_tokens_hold() -> None:
    """STS's session tokens are random base64, so now and then one holds `eyJ`, the letters a
    record starts with: the comparison still names it, and reads as a record only what
    follows ENVGEN_SOURCE."""

    def miss(key: str, token: str) -> Outcome:
        record = base64.urlsafe_b64encode(
            json.dumps({"key_digest": records.key_digest(key)}).encode()
        ).rstrip(b"=")
        entry = {
            "Credentials": {
                "AccessKeyId": key,
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "SessionToken": token,
                "Expiration": "2099-01-31T12:00:00Z",
            }
        }
        stdout = (
            (
                f"export AWS_ACCESS_KEY_ID='{key}';\nexport AWS_SESSION_TOKEN='{token}';\n"
                "export ENVGEN_SOURCE='"
            ).encode()
            + record
            + b"';\n"
        )
        files = {os.path.join(CACHE, "entry.json"): json.dumps(entry).encode()}
        return Outcome(0, stdout, b"", files, False)

    plain = miss("ASIAPLAINTOKEN000001", "FQoGZXIvYXdzEBYaD" + "A1b2C3d4" * 8)
    # Up to the `+`, which base64url lacks, these letters decode as a record's would.
    holding = miss("ASIAHOLDINGTOKEN0001", "FQoGZXIvYXdzEBYaD" + "eyJhbGciOiJSUzI1NiJ9+c3d4" * 3)
    assert comparable(holding, {}) == comparable(plain, {})


@pytest.mark.parametrize("name", list(CASES))
def test_the_quick_start_answers_as_typer_does(
    name: str, starting_home: tuple[Path, dict[str, str]]
) -> None:
    template, env = starting_home
    case = CASES[name]
    home = Path(env["HOME"])
    if case.timed_env is not None:
        env = {**env, **case.timed_env()}
    outcomes = {}
    for mode in ("full", "quick"):
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)
        before = {
            str(path.relative_to(home)): path.read_bytes()
            for path in home.rglob("*")
            if path.is_file()
        }
        outcomes[mode] = run(case, mode, home, env)
    full, quick = outcomes["full"], outcomes["quick"]
    assert full.typer_loaded, "the full path did not go through typer"
    assert quick.typer_loaded is not case.quick, (
        "answered without typer" if not case.quick else "handed to typer"
    )
    assert comparable(quick, before) == comparable(full, before)


def test_every_case_says_something(starting_home: tuple[Path, dict[str, str]]) -> None:
    """The comparison is not of two empty runs: the quick cases print credentials or an error."""
    template, env = starting_home
    home = Path(env["HOME"])
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)
    hit = run(CASES["hit, json"], "quick", home, env)
    assert hit.status == 0 and b'"AccessKeyId"' in hit.stdout
    assert not hit.typer_loaded


# What each refresh case must show for its comparison to mean something.
REFRESH_SHOWS = {
    "refresh, fresh": (b"export ENVGEN_CHECK_AT=", b""),
    "refresh, renewal": (b"export AWS_SESSION_TOKEN=", b"renewed the credentials for"),
    "refresh, renewal kept": (b"export AWS_SESSION_TOKEN=", b"renewed the credentials for"),
    "refresh, expired": (b"unset AWS_SESSION_TOKEN;", b"are unset; get new ones"),
    "refresh, lead": (b"export ENVGEN_CHECK_AT=", b""),
    "refresh, imported": (b"export ENVGEN_CHECK_AT=", b"renew them with: envgen import"),
    "refresh, no records": (b"unset ENVGEN_SOURCE;", b""),
    "refresh, bad window": (b"", b"ENVGEN_REFRESH_BEFORE 'soon' is not a number"),
}


@pytest.mark.parametrize("name", list(REFRESH_SHOWS))
def test_every_refresh_case_does_what_the_hook_needs(
    name: str, starting_home: tuple[Path, dict[str, str]]
) -> None:
    """The refresh comparisons are not of two runs that did nothing: each case renews, defers,
    warns or unsets, in the quick start, with status 0."""
    template, env = starting_home
    case = CASES[name]
    home = Path(env["HOME"])
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)
    outcome = run(case, "quick", home, {**env, **(case.timed_env() if case.timed_env else {})})
    stdout, stderr = REFRESH_SHOWS[name]
    assert outcome.status == 0
    assert stdout in outcome.stdout and stderr in outcome.stderr, outcome
    assert not outcome.typer_loaded
    if name == "refresh, renewal kept":
        kept = outcome.files[os.path.join(".config", "envgen", "persist.sh")]
        assert b"export AWS_SESSION_TOKEN=" in kept


def test_the_quick_options_are_typers() -> None:
    """Each option the quick start reads is the typer command's, with its parameter name and
    its kind (a flag, a whole number, text), and it masks the same secret options."""
    command = typer.main.get_command(app)
    for name, options in launch.QUICK_OPTIONS.items():
        subcommand = command.commands[name]  # type: ignore[attr-defined]
        params = {opt: param for param in subcommand.params for opt in param.opts}
        for option, (parameter, kind) in options.items():
            param = params[option]
            assert param.name == parameter, option
            assert bool(getattr(param, "is_flag", False)) is (kind == launch.FLAG), option
            annotation = param.type_descriptor.annotation
            assert (annotation in (int, int | None)) is (kind == launch.INTEGER), option
            assert not param.multiple and param.nargs == 1, option
        arguments = [param for param in subcommand.params if param.param_type_name == "argument"]
        taken = [launch.QUICK_ARGUMENT[name]] if name in launch.QUICK_ARGUMENT else []
        assert [param.name for param in arguments] == taken
    assert _secret_options(command) == launch.SECRET_OPTIONS
