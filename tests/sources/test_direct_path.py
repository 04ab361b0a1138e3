"""The direct road (envgen.sources.direct_path) answers exactly as botocore's path does.

Each command shape below runs twice as a real process from the same starting HOME: once with
the request forced through botocore (direct_path.THROUGH_BOTOCORE_VARIABLE), once as users run
it, which must not load botocore at all. Between envgen and moto's STS sits a replaying proxy
(tests/harness/replaying_proxy.py): the first run's answers are recorded and the second run
gets the same bytes, and both runs must have asked for the same thing. Then stdout, stderr, the
exit status and every file under HOME must be the same, byte for byte; only the time left
until an expiry, which the clock moves between the runs, is read as equal.

The shapes the direct road must leave to botocore run once each and must load botocore.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from envgen.sources.direct_path import THROUGH_BOTOCORE_VARIABLE
from replaying_proxy import ReplayingProxy, sts_error
from sts_server import BASE_ACCESS_KEY_ID, BASE_SECRET, StsServer, role_arn

# Runs envgen as the console script does, and on the way out writes whether botocore was
# loaded to the file named by argv[1].
PROBE = """\
import atexit, sys
report_path = sys.argv[1]
del sys.argv[1]
sys.argv[0] = "envgen"
atexit.register(lambda: open(report_path, "w").write(str("botocore" in sys.modules)))
from envgen.launch import main
main()
"""

OTHER_ACCESS_KEY_ID = "AKIAIOSFODNN7OTHERKEY"
OTHER_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCyOTHERSECRET"
ENVIRONMENT_KEY_ID = "AKIAIOSFODNN7ENVIRONS"
ENVIRONMENT_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCyENVSECRET"
HOSTILE_PROFILE = "my prod $(touch pwned) `id`"
UNICODE_PROFILE = "prød-ünï"

CREDENTIALS = f"""\
[default]
aws_access_key_id = {BASE_ACCESS_KEY_ID}
aws_secret_access_key = {BASE_SECRET}

[base]
aws_access_key_id = {OTHER_ACCESS_KEY_ID}
aws_secret_access_key = {OTHER_SECRET}
"""

CONFIG = f"""\
[default]
region = eu-west-1

[profile dev]
role_arn = {role_arn("Dev")}
source_profile = base

[profile tuned]
role_arn = {role_arn("Tuned")}
source_profile = base
role_session_name = alice
external_id = tuned-external-id
duration_seconds = 2400
region = eu-central-1

[profile hub]
role_arn = {role_arn("Hub")}
source_profile = default

[profile chained]
role_arn = {role_arn("Chained")}
source_profile = hub

[profile keyed]
aws_access_key_id = {OTHER_ACCESS_KEY_ID}
aws_secret_access_key = {OTHER_SECRET}
region = ap-south-1

[profile "{HOSTILE_PROFILE}"]
role_arn = {role_arn("Hostile")}
source_profile = default

[profile {UNICODE_PROFILE}]
role_arn = {role_arn("Unicode")}
source_profile = base

[profile mfa]
role_arn = {role_arn("Guarded")}
source_profile = default
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile processed]
credential_process = /bin/false

[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = Admin
"""

# Only the default profile's keys, and those in the config file.
CONFIG_KEYS_ONLY = f"""\
[default]
region = us-west-2
aws_access_key_id = {OTHER_ACCESS_KEY_ID}
aws_secret_access_key = {OTHER_SECRET}
"""

SHELLS = [
    "bash",
    "zsh",
    "sh",
    "dash",
    "ash",
    "ksh",
    "fish",
    "powershell",
    "pwsh",
    "cmd",
    "tcsh",
    "csh",
    "elvish",
    "xonsh",
    "nu",
]
ENVIRONMENT_KEYS = {
    "AWS_ACCESS_KEY_ID": ENVIRONMENT_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": ENVIRONMENT_SECRET,
}
# The window the renewal case gives the hook, and how long its cache entry has left then.
RENEWAL_WINDOW_SECONDS = 2700
ENTRY_LEFT = timedelta(minutes=40)

Prepare = Callable[[dict[str, str], StsServer], dict[str, str]]


@dataclasses.dataclass(frozen=True)
class Case:
    argv: list[str]
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    config: str = CONFIG
    credentials: str = CREDENTIALS
    # Run once on the starting HOME (against STS itself); returns variables for both runs.
    prepare: Prepare | None = None
    # The proxy answers every request so, instead of asking STS.
    fixed: tuple[int, str, str] | None = None
    # How many requests each run makes.
    requests: int = 1


def run_full_path(env: dict[str, str], sts: StsServer, *argv: str) -> bytes:
    """envgen through botocore straight against STS: what a previous command left behind."""
    result = subprocess.run(
        [sys.executable, "-m", "envgen", *argv],
        env={**env, "AWS_ENDPOINT_URL_STS": sts.url, THROUGH_BOTOCORE_VARIABLE: "1"},
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def cache_entries(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["HOME"]) / ".aws" / "cli" / "cache").glob("*.json"))


def with_role_arn_cached(env: dict[str, str], sts: StsServer) -> dict[str, str]:
    run_full_path(env, sts, "assume", "--role-arn", role_arn("Cached"), "--format", "json")
    return {}


def with_the_hop_cached(env: dict[str, str], sts: StsServer) -> dict[str, str]:
    run_full_path(env, sts, "assume", "hub", "--format", "json")
    return {}


def applied(output: bytes) -> dict[str, str]:
    """What a POSIX shell holds once it applied envgen's output (the values hold no quote)."""
    held = {}
    for line in output.decode().splitlines():
        match = re.fullmatch(r"export ([A-Z_]+)=(.*);", line)
        if match:
            held[match[1]] = shlex.split(match[2])[0]
    return held


def in_the_window(env: dict[str, str], sts: StsServer) -> dict[str, str]:
    """A shell that holds credentials envgen got for `dev`, whose cache entry (and record)
    now has less left than the hook's window: the renewal must not serve it again."""
    held = applied(run_full_path(env, sts, "assume", "dev", "--shell", "bash"))
    (entry,) = cache_entries(env)
    soon = datetime.now(timezone.utc) + ENTRY_LEFT
    document = json.loads(entry.read_text())
    document["Credentials"]["Expiration"] = soon.strftime("%Y-%m-%dT%H:%M:%SUTC")
    entry.write_text(json.dumps(document))
    return {
        **held,
        "ENVGEN_EXPIRATION": str(int(soon.timestamp())),
        "ENVGEN_CHECK_AT": "0",
        "ENVGEN_REFRESH_BEFORE": str(RENEWAL_WINDOW_SECONDS),
    }


def unwritable_cache(env: dict[str, str], sts: StsServer) -> dict[str, str]:
    # A file where the cache's directory belongs: nothing can be written under it, whoever
    # runs the test (root included).
    (Path(env["HOME"]) / ".aws" / "cli").write_text("not a directory\n")
    return {}


ROLE = role_arn("Direct")
CASES: dict[str, Case] = {
    "profile role": Case(["assume", "dev", "--shell", "bash"]),
    "profile role by AWS_PROFILE": Case(["assume", "--format", "json"], {"AWS_PROFILE": "dev"}),
    "chain of two source profiles": Case(["assume", "chained", "--format", "json"], requests=2),
    "chain whose hop is cached": Case(
        ["assume", "chained", "--shell", "zsh"], prepare=with_the_hop_cached
    ),
    "settings in the profile": Case(["assume", "tuned", "--shell", "fish"]),
    "settings on the command line": Case(
        [
            "assume",
            "dev",
            "--role-session-name",
            "bob@example.com",
            "--external-id",
            "ext=+/id",
            "--duration-seconds",
            "1800",
            "--region",
            "us-east-2",
            "--shell",
            "bash",
        ]
    ),
    "settings on the command line over the profile's": Case(
        ["assume", "tuned", "--role-session-name", "carol", "--duration-seconds", "3600"]
        + ["--format", "json"]
    ),
    "role arn over keys in the environment": Case(
        ["assume", "--role-arn", ROLE, "--shell", "bash"], ENVIRONMENT_KEYS
    ),
    "role arn over keys and a token in the environment": Case(
        ["assume", "--role-arn", ROLE, "--format", "json"],
        {**ENVIRONMENT_KEYS, "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEPr//////////wEaCXVz+Token=="},
    ),
    "role arn over a named profile's keys": Case(
        ["assume", "--role-arn", ROLE, "--profile", "base", "--shell", "tcsh"]
    ),
    "role arn over keys in a profile of the config file": Case(
        ["assume", "--role-arn", ROLE, "--shell", "nu"], {"AWS_PROFILE": "keyed"}
    ),
    "role arn over the default profile's keys": Case(
        ["assume", "--role-arn", ROLE, "--format", "dotenv"]
    ),
    "role arn over [default] in the config file only": Case(
        ["assume", "--role-arn", ROLE, "--shell", "bash"],
        config=CONFIG_KEYS_ONLY,
        credentials="",
    ),
    "role arn with every option": Case(
        [
            "assume",
            "--role-arn",
            ROLE,
            "--role-session-name",
            "dave",
            "--duration-seconds",
            "7200",
            "--external-id",
            "ext:id/+=,.@-",
            "--shell",
            "xonsh",
        ],
        ENVIRONMENT_KEYS,
    ),
    "role arn, its cache entry fresh": Case(
        ["assume", "--role-arn", role_arn("Cached"), "--format", "json"],
        prepare=with_role_arn_cached,
        requests=0,
    ),
    "hostile profile name": Case(["assume", HOSTILE_PROFILE, "--shell", "bash"]),
    "non-ASCII profile name": Case(["assume", UNICODE_PROFILE, "--shell", "powershell"]),
    "a cache that cannot be written": Case(
        ["assume", "dev", "--format", "json"], prepare=unwritable_cache
    ),
    "renewal at a prompt, the entry inside the window": Case(
        ["refresh", "--hook", "--shell", "bash"], prepare=in_the_window
    ),
    "renewal by hand": Case(["refresh", "--shell", "bash"], prepare=in_the_window),
    "access denied, profile role": Case(
        ["assume", "dev", "--format", "json"],
        fixed=(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized"),
    ),
    "access denied, role arn": Case(
        ["assume", "--role-arn", ROLE, "--shell", "bash"],
        ENVIRONMENT_KEYS,
        fixed=(403, "AccessDenied", "Not authorized to perform sts:AssumeRole"),
    ),
    "validation error": Case(
        ["assume", "tuned", "--format", "json"],
        fixed=(400, "ValidationError", "1 validation error detected"),
    ),
    "STS failing": Case(
        ["assume", "dev", "--format", "json"],
        fixed=(500, "InternalFailure", "try again"),
        requests=2,
    ),
}
CASES.update(
    {
        f"every shell: {shell}": Case(["assume", "dev", "--shell", shell, "--show-secrets"])
        for shell in SHELLS
    }
)


@dataclasses.dataclass
class Outcome:
    status: int
    stdout: bytes
    stderr: bytes
    files: dict[str, bytes]
    botocore_loaded: bool


def run(argv: list[str], env: dict[str, str]) -> Outcome:
    home = Path(env["HOME"])
    report = home.parent / "botocore-loaded.txt"
    report.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *argv],
        env=env,
        cwd=home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        start_new_session=True,
    )
    files = {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }
    return Outcome(
        result.returncode, result.stdout, result.stderr, files, report.read_text() == "True"
    )


# The time left until an expiry: the one thing the clock changes between two runs.
_TIME_LEFT = re.compile(rb"expire in [^()]+ \(at ")


def comparable(outcome: Outcome) -> tuple[object, ...]:
    return (
        outcome.status,
        outcome.stdout,
        _TIME_LEFT.sub(b"expire in ... (at ", outcome.stderr),
        outcome.files,
    )


@pytest.fixture
def starting_home(
    tmp_path: Path, clean_env: dict[str, str]
) -> Iterator[Callable[[Case], tuple[Path, dict[str, str]]]]:
    """Lays out a case's starting HOME as a template; each run starts from a copy of it at
    HOME's own path."""
    home = Path(clean_env["HOME"])
    template = tmp_path / "template"

    def lay_out(case: Case) -> tuple[Path, dict[str, str]]:
        aws = home / ".aws"
        aws.mkdir(exist_ok=True)
        Path(clean_env["AWS_CONFIG_FILE"]).write_text(case.config)
        Path(clean_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(case.credentials)
        shutil.copytree(home, template)
        return template, dict(clean_env)

    yield lay_out


def fresh_copy(template: Path, home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)


@pytest.mark.parametrize("name", list(CASES))
def test_the_direct_road_answers_as_botocore_does(
    name: str,
    starting_home: Callable[[Case], tuple[Path, dict[str, str]]],
    clean_env: dict[str, str],
    sts: StsServer,
) -> None:
    case = CASES[name]
    template, env = starting_home(case)
    home = Path(env["HOME"])
    if case.prepare is not None:
        env.update(case.prepare(env, sts))
        shutil.rmtree(template)
        shutil.copytree(home, template)
    fixed = sts_error(*case.fixed) if case.fixed else None
    with ReplayingProxy(None if fixed else sts.url, fixed) as proxy:
        env = {**env, **case.env, "AWS_ENDPOINT_URL_STS": proxy.url}
        fresh_copy(template, home)
        full = run(case.argv, {**env, THROUGH_BOTOCORE_VARIABLE: "1"})
        proxy.replay()
        fresh_copy(template, home)
        direct = run(case.argv, env)
    assert full.botocore_loaded, "the forced run did not go through botocore"
    assert not direct.botocore_loaded, direct.stderr.decode()
    assert len(proxy.recorded) == case.requests, full.stderr.decode()
    assert proxy.replayed == proxy.recorded
    assert comparable(direct) == comparable(full)


def test_the_cases_say_something(
    starting_home: Callable[[Case], tuple[Path, dict[str, str]]], sts: StsServer
) -> None:
    """The comparison is not of two empty runs: a case prints credentials or its one line."""
    template, env = starting_home(CASES["profile role"])
    result = run(["assume", "dev", "--format", "json"], {**env, "AWS_ENDPOINT_URL_STS": sts.url})
    assert result.status == 0 and b'"SessionToken"' in result.stdout
    assert not result.botocore_loaded
    assert sts.log.counts() == {"AssumeRole": 1}
    (entry,) = (name for name in result.files if name.startswith(".aws/cli/cache/"))
    assert json.loads(result.files[entry])["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_verbose_says_which_road(
    starting_home: Callable[[Case], tuple[Path, dict[str, str]]], sts: StsServer
) -> None:
    template, env = starting_home(CASES["profile role"])
    env["AWS_ENDPOINT_URL_STS"] = sts.url
    direct = run(["-v", "assume", "dev", "--format", "json"], env)
    assert b"STS is asked directly, without botocore" in direct.stderr
    debug = run(["-v", "assume", "tuned", "--format", "json"], {**env, "ENVGEN_DEBUG": "1"})
    assert debug.botocore_loaded
    assert b"ENVGEN_DEBUG is set" in debug.stderr


# Shapes the direct road leaves to botocore: each loads it.
FALLBACKS: dict[str, Case] = {
    "MFA in the profile": Case(["assume", "mfa", "--token-code", "123456", "--format", "json"]),
    "MFA on the command line": Case(
        ["assume", "--role-arn", ROLE, "--serial-number", "arn:aws:iam::123456789012:mfa/a"]
        + ["--token-code", "123456", "--format", "json"],
        ENVIRONMENT_KEYS,
    ),
    "SSO profile as the base": Case(
        ["assume", "--role-arn", ROLE, "--profile", "sso", "--format", "json"]
    ),
    "a proxy in the environment": Case(
        ["assume", "dev", "--format", "json"], {"HTTPS_PROXY": "http://127.0.0.1:9"}
    ),
    "credential_process as the base": Case(
        ["assume", "--role-arn", ROLE, "--profile", "processed", "--format", "json"]
    ),
    "web identity in the environment": Case(
        ["assume", "--role-arn", ROLE, "--format", "json"],
        {"AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent", "AWS_ROLE_ARN": role_arn("Web")},
    ),
    "an AWS_* variable not handled": Case(
        ["assume", "dev", "--format", "json"], {"AWS_SDK_UA_APP_ID": "mine"}
    ),
    "an expiry beside keys in the environment": Case(
        ["assume", "--role-arn", ROLE, "--format", "json"],
        {**ENVIRONMENT_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"},
    ),
    "ENVGEN_DEBUG": Case(["assume", "dev", "--format", "json"], {"ENVGEN_DEBUG": "1"}),
}


@pytest.mark.parametrize("name", list(FALLBACKS))
def test_other_shapes_go_through_botocore(
    name: str,
    starting_home: Callable[[Case], tuple[Path, dict[str, str]]],
    sts: StsServer,
) -> None:
    case = FALLBACKS[name]
    template, env = starting_home(case)
    outcome = run(case.argv, {**env, **case.env, "AWS_ENDPOINT_URL_STS": sts.url})
    assert outcome.botocore_loaded, outcome.stderr.decode()


def test_the_generated_session_name_is_botocores(
    starting_home: Callable[[Case], tuple[Path, dict[str, str]]], sts: StsServer
) -> None:
    """A profile without role_session_name: the name botocore would make, from the clock."""
    template, env = starting_home(CASES["profile role"])
    before = int(time.time())
    result = run(["assume", "dev", "--format", "json"], {**env, "AWS_ENDPOINT_URL_STS": sts.url})
    assert result.status == 0, result.stderr.decode()
    (request,) = sts.log.requests("AssumeRole")
    name = request["RoleSessionName"]
    assert re.fullmatch(r"botocore-session-\d+", name)
    assert before <= int(name.rsplit("-", 1)[1]) <= time.time()
