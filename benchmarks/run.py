"""How fast envgen answers, as whole processes, against a local STS endpoint.

    python benchmarks/run.py [--rounds N]

Any python will do: one without envgen and moto hands over to the clone's .venv (which
scripts/test makes).

Starts moto's STS server on a free loopback port (scripts/local_sts.py; needs the
test extras), makes a throw-away HOME with fake keys and a role profile, then
runs every command below once per round, in turn, so that anything else the
machine does hits all of them alike. Prints the median wall time of each, the
spread of its rounds (the middle half, 25th to 75th percentile), its median CPU
time (steadier on a busy machine), its peak memory, and the ratio of each envgen
command's wall time to its floor:

  envgen assume PROFILE --format json (hit)   vs  python -c "import boto3"  (credential_process)
  envgen import                               vs  python -c "import boto3"
  envgen assume PROFILE (hit, shell code)     vs  python -c "import boto3"
  envgen assume SSO_PROFILE (hit)             vs  envgen assume PROFILE (hit): as fast as a role's
  envgen assume --role-arn (miss)             vs  a bare boto3 assume_role script (both call STS)
  envgen assume --role-arn (miss)             vs  awsume --role-arn (both call STS)

Then the same cache hit, completion of a profile name and `--help` with a 10-line
config and with one of 10,000 lines and 2,000 profiles: the large file may cost at
most 15 ms more CPU time. A cache miss with the large file must parse it (botocore
does); it may cost no more over the small file than botocore's own parse of it does,
within the same 15 ms.

Then the prompt hook (`envgen hook`): what it adds to each prompt in bash and zsh while the
credentials are fresh (target: under 1 ms, and no process), timed as many calls of the hook
function in one shell against as many calls of a function that does nothing; and the renewal
at the prompt (`envgen refresh --hook` inside the refresh window, once the renewal ahead has
filled the cache, as in normal use) against the cache hit of `envgen assume PROFILE`. Beside
it, the prompt in the lead before the window, which starts that renewal ahead in the
background, and, for information, a renewal with nothing fetched ahead (STS asked every time).

Stops the server and removes the temporary HOME when done, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
ROLE_ARN = "arn:aws:iam::123456789012:role/benchmark"
PROFILE = "benchmark"
SSO_PROFILE = "benchmark-sso"
SSO_SESSION = "benchmark"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Each envgen command's floor and the largest ratio of their medians allowed. An SSO
# profile's cache hit should cost what a role profile's does; 10% for noise.
FLOORS = {
    "json": [("boto3", 0.3)],
    "import": [("boto3", 0.45)],
    "hit": [("boto3", 0.45)],
    "sso": [("hit", 1.1)],
    "miss": [("script", 1.1), ("awsume", 0.6)],
}
# What a config of 2,000 profiles (10,000 lines) may add to a command that reads it once.
LARGE_CONFIG_ALLOWANCE = 0.015
LARGE_CONFIG_PROFILES = 2000
# Set when this script has handed over to the clone's .venv, so it never does so twice.
SWITCHED_VARIABLE = "ENVGEN_BENCHMARK_SWITCHED"

BOTO3_ASSUME_ROLE = f"""\
import boto3
response = boto3.client("sts").assume_role(
    RoleArn="{ROLE_ARN}", RoleSessionName="benchmark", DurationSeconds=1800
)
credentials = response["Credentials"]
for name, key in (("AWS_ACCESS_KEY_ID", "AccessKeyId"),
                  ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
                  ("AWS_SESSION_TOKEN", "SessionToken")):
    print(f"export {{name}}='{{credentials[key]}}'")
"""


def envgen_command() -> list[str]:
    installed = Path(sys.executable).parent / "envgen"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "envgen"]


class LocalSts:
    """scripts/local_sts.py in its own process; it stops when we close its stdin."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPOSITORY / "scripts" / "local_sts.py"), "--until-stdin-closes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.stop()
            raise SystemExit(
                "benchmark: the local STS server did not start (is moto[server] installed?)"
            )

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def prepare_home(home: Path, sts_url: str) -> dict[str, str]:
    aws = home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text(
        "[default]\nregion = us-east-1\n"
        f"[profile {PROFILE}]\nregion = us-east-1\nrole_arn = {ROLE_ARN}\nsource_profile = default\n"
    )
    with (aws / "config").open("a") as config:
        config.write(
            f"[profile {SSO_PROFILE}]\nsso_session = {SSO_SESSION}\n"
            "sso_account_id = 123456789012\nsso_role_name = benchmark\nregion = us-east-1\n"
            f"[sso-session {SSO_SESSION}]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = us-east-1\n"
        )
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    # PYTHONDONTWRITEBYTECODE would make every run compile the sources it imports, which an
    # installed envgen (pip writes the bytecode) never does: the warm-up run writes it here.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "ENVGEN_", "_ENVGEN_")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
        AWS_ENDPOINT_URL_STS=sts_url,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@dataclasses.dataclass
class Measured:
    """One whole process: wall time and CPU time (user + system)."""

    wall: float
    cpu: float


def run(argv: list[str], env: dict[str, str], expect: int = 0) -> Measured:
    """Run one whole process; it must end with status EXPECT."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        )
        # wait4 gives the child's own resource usage: its CPU time.
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != expect:
            stderr.seek(0)
            raise SystemExit(
                f"benchmark: {' '.join(argv[:3])} ... failed ({process.returncode}): "
                + stderr.read().decode(errors="replace").strip()[-500:]
            )
    return Measured(elapsed, usage.ru_utime + usage.ru_stime)


# Runs a command inside this interpreter and, at exit, writes its peak resident memory to the
# file argv[1]: /proc's VmHWM, the high-water mark of this program's own memory. (A child's
# ru_maxrss would not do: Linux counts in it the memory of the parent it was forked from.)
PEAK_PROBE = """\
import atexit, os, runpy, sys
report, argv = sys.argv[1], sys.argv[2:]

def write_peak():
    with open("/proc/self/status") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(report, "w") as out:
        out.write(str(kilobytes * 1024))

atexit.register(write_peak)
if argv[1:2] == ["-c"]:
    sys.argv = ["-c", *argv[3:]]
    exec(compile(argv[2], "<string>", "exec"), {"__name__": "__main__"})
elif argv[1:2] == ["-m"]:
    sys.argv = argv[2:]
    runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
else:
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")
"""


def peak_memory(argv: list[str], env: dict[str, str], scratch: Path) -> int:
    """The peak resident memory of one more run of ARGV, a python program (0 where /proc
    does not say)."""
    if not Path("/proc/self/status").exists():
        return 0
    report = scratch / "peak-memory"
    run([sys.executable, "-c", PEAK_PROBE, str(report), *argv], env)
    return int(report.read_text())


def write_large_config(aws: Path) -> Path:
    """The benchmark's config with LARGE_CONFIG_PROFILES more role profiles before it, five
    lines each: 10,000 lines that the profile asked for comes at the end of."""
    large = aws / "config-large"
    with large.open("w") as config:
        for number in range(LARGE_CONFIG_PROFILES):
            config.write(
                f"[profile team-{number:04d}]\nregion = eu-west-1\n"
                f"role_arn = arn:aws:iam::123456789012:role/team-{number:04d}\n"
                "source_profile = default\n\n"
            )
        config.write((aws / "config").read_text())
    return large


def cache_sso_credentials(cache_dir: Path) -> None:
    """Role credentials of SSO_PROFILE in the AWS CLI's cache, as botocore's SSO credential
    fetcher files them (no sign-in exists: only a cache hit can answer)."""
    import hashlib
    import json

    key = json.dumps(
        {"accountId": "123456789012", "roleName": "benchmark", "sessionName": SSO_SESSION},
        sort_keys=True,
        separators=(",", ":"),
    )
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    entry = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "ASIAIOSFODNN7SSOHIT0",
            "SecretAccessKey": SECRET_ACCESS_KEY,
            "SessionToken": "IQoJb3JpZ2luX2VjEBenchmarkSessionToken",
            "Expiration": expiration,
            "AccountId": "123456789012",
        },
    }
    path = cache_dir / (hashlib.sha1(key.encode()).hexdigest() + ".json")
    path.write_text(json.dumps(entry))
    path.chmod(0o600)


def check_hit_is_fast_path(envgen: list[str], env: dict[str, str], profile: str = PROFILE) -> None:
    """The hit case must be the cache's fast path: STS unreachable and botocore never imported."""
    offline = {**env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "envgen", "assume", profile, "--shell", "bash"],
        env=offline,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0 or "botocore" in result.stderr:
        raise SystemExit(f"benchmark: `envgen assume {profile}` was not answered from the cache")


def use_an_interpreter_with_the_test_extras() -> None:
    """Re-run under the clone's .venv when this interpreter lacks envgen or moto: the README's
    `python benchmarks/run.py` then works with whichever python a newcomer types."""
    from importlib.util import find_spec

    if find_spec("envgen") is not None and find_spec("moto") is not None:
        return
    venv_python = REPOSITORY / ".venv" / "bin" / "python"
    if venv_python.exists() and not os.environ.get(SWITCHED_VARIABLE):
        print(
            f"benchmark: {sys.executable} lacks envgen's test extras; using {venv_python}",
            file=sys.stderr,
        )
        os.environ[SWITCHED_VARIABLE] = "1"
        os.execv(venv_python, [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])
    raise SystemExit(
        f"benchmark: {sys.executable} cannot import envgen and moto; run scripts/test once "
        "(it makes .venv with envgen's test extras), then run this again"
    )


Case = tuple[str, list[str], dict[str, str], Callable[[], None]]


def awsume_command() -> list[str] | None:
    installed = Path(sys.executable).parent / "awsumepy"
    return [str(installed)] if installed.exists() else None


def botocore_parse(python: str) -> list[str]:
    return [python, "-c", "import botocore.session; botocore.session.Session().full_config"]


def main() -> int:
    use_an_interpreter_with_the_test_extras()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="runs of each command (default 11)")
    rounds = parser.parse_args().rounds

    envgen = envgen_command()
    python = sys.executable
    server = LocalSts()
    home = Path(tempfile.mkdtemp(prefix="envgen-benchmark-"))
    try:
        env = prepare_home(home, server.url)
        cache_dir = home / ".aws" / "cli" / "cache"
        large = {**env, "AWS_CONFIG_FILE": str(write_large_config(home / ".aws"))}
        shell = ["--shell", "bash"]
        # Fill the cache for the profile; keep that entry, drop every other before a miss.
        run([*envgen, "assume", PROFILE, *shell], env)
        cache_sso_credentials(cache_dir)
        kept = set(cache_dir.glob("*.json"))
        check_hit_is_fast_path(envgen, env)
        check_hit_is_fast_path(envgen, env, SSO_PROFILE)
        check_hit_is_fast_path(envgen, large)

        def forget_other_roles() -> None:
            for entry in cache_dir.glob("*.json"):
                if entry not in kept:
                    entry.unlink()

        def nothing() -> None:
            pass

        completing = {"_ENVGEN_COMPLETE": "complete_bash", "COMP_WORDS": "envgen assume team-1"}
        completing["COMP_CWORD"] = "2"
        role_arn_miss = [*envgen, "assume", "--role-arn", ROLE_ARN, *shell]
        cases: dict[str, Case] = {
            "pass": ('python -c "pass"', [python, "-c", "pass"], env, nothing),
            "boto3": ('python -c "import boto3"', [python, "-c", "import boto3"], env, nothing),
            "script": ("boto3 assume_role script", [python, "-c", BOTO3_ASSUME_ROLE], env, nothing),
            "json": (
                f"envgen assume {PROFILE} --format json (cache hit)",
                [*envgen, "assume", PROFILE, "--format", "json"],
                env,
                nothing,
            ),
            "import": (
                "envgen import --access-key-id ... (flags)",
                [
                    *envgen,
                    "import",
                    "--access-key-id",
                    ACCESS_KEY_ID,
                    "--secret-access-key",
                    SECRET_ACCESS_KEY,
                    "--session-token",
                    "token",
                    "--expiration",
                    "2099-01-01T00:00:00Z",
                    *shell,
                ],
                env,
                nothing,
            ),
            "hit": (
                f"envgen assume {PROFILE} (cache hit)",
                [*envgen, "assume", PROFILE, *shell],
                env,
                nothing,
            ),
            "sso": (
                f"envgen assume {SSO_PROFILE} (SSO, cache hit)",
                [*envgen, "assume", SSO_PROFILE, *shell],
                env,
                nothing,
            ),
            "miss": (
                "envgen assume --role-arn ... (cache miss)",
                role_arn_miss,
                env,
                forget_other_roles,
            ),
        }
        awsume = awsume_command()
        if awsume is not None:
            cases["awsume"] = (
                "awsume --role-arn ... (no cache for a role ARN)",
                [*awsume, "--role-arn", ROLE_ARN],
                env,
                nothing,
            )
        # The same commands with 10,000 lines of config.
        sizes: dict[str, tuple[str, Case | str, Case]] = {
            "hit": (
                f"envgen assume {PROFILE} (cache hit)",
                "hit",
                ("", cases["hit"][1], large, nothing),
            ),
            "complete": (
                "completing a profile name (typer's protocol)",
                ("", envgen, {**env, **completing}, nothing),
                ("", envgen, {**large, **completing}, nothing),
            ),
            "help": (
                "envgen assume --help",
                ("", [*envgen, "assume", "--help"], env, nothing),
                ("", [*envgen, "assume", "--help"], large, nothing),
            ),
            "miss": (
                "envgen assume --role-arn ... (cache miss)",
                "miss",
                ("", role_arn_miss, large, forget_other_roles),
            ),
            "parse": (
                "botocore's own reading of the config (Session().full_config)",
                ("", botocore_parse(python), env, nothing),
                ("", botocore_parse(python), large, nothing),
            ),
        }
        small_of: dict[str, str] = {}
        for name, (_label, small_case, large_case) in sizes.items():
            # The small config's run is a row above already, or a case of its own.
            if isinstance(small_case, str):
                small_of[name] = small_case
            else:
                small_of[name] = f"{name}@small"
                cases[small_of[name]] = small_case
            cases[f"{name}@large"] = large_case
        measured: dict[str, list[Measured]] = {name: [] for name in cases}
        for _label, argv, case_env, before in cases.values():  # warm-up: file caches, .pyc
            before()
            run(argv, case_env)
        for round_number in range(rounds):
            names = list(cases)
            # Rotate the order each round so no command always follows the same one.
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                _label, argv, case_env, before = cases[name]
                before()
                measured[name].append(run(argv, case_env))
        peaks = {
            name: peak_memory(argv, case_env, home)
            for name, (_label, argv, case_env, _before) in cases.items()
            if "@" not in name
        }
        hook_rows = measure_prompt_hook(envgen, env, home, rounds)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)

    report(rounds, cases, measured, peaks, sizes, small_of)
    report_prompt_hook(hook_rows)
    return 0


# Calls of the prompt hook timed in one shell: enough that the loop's own cost is measured.
HOOK_CALLS = 20000
HOOK_TARGET_SECONDS = 0.001
HOOK_LOOP = """{setup}
. {hook}
export ENVGEN_CHECK_AT=99999999999
_envgen_nothing() {{ return $?; }}
start=$EPOCHREALTIME
i=0; while [ $i -lt {calls} ]; do _envgen_nothing; i=$((i+1)); done
middle=$EPOCHREALTIME
i=0; while [ $i -lt {calls} ]; do _envgen_hook; i=$((i+1)); done
end=$EPOCHREALTIME
echo "$start $middle $end"
"""


def measure_prompt_hook(
    envgen: list[str], env: dict[str, str], home: Path, rounds: int
) -> dict[str, list[float]]:
    """Seconds each prompt costs with the hook and fresh credentials, per shell and round; and
    the wall time of a renewal inside the window, per round."""
    found: dict[str, list[float]] = {}
    setups = {"bash": "", "zsh": "zmodload zsh/datetime"}
    for shell, setup in setups.items():
        program = shutil.which(shell)
        if program is None:
            continue
        hook = home / f"hook.{shell}"
        hook.write_text(
            subprocess.run(
                [*envgen, "hook", shell], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        script = HOOK_LOOP.format(setup=setup, hook=hook, calls=HOOK_CALLS)
        found[shell] = []
        for _ in range(rounds):
            output = subprocess.run(
                [program, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout
            start, middle, end = (float(word.replace(",", ".")) for word in output.split())
            found[shell].append(((end - middle) - (middle - start)) / HOOK_CALLS)
    refresh = [*envgen, "refresh", "--hook", "--shell", "bash"]
    # A shell that applied `envgen assume PROFILE` half an hour ago: the role's hour-long
    # cache entry, made to expire in 30 minutes, answers it.
    forget_roles(home)
    shell = shell_after_assume(envgen, env)
    age_cached_roles(home, 1800)
    shell = shell_after_assume(envgen, env)
    # A window of 1600 s: the half hour left is in the lead before it. Each of these prompts
    # starts the renewal ahead (the first one fills the cache; the others find it filled),
    # which ends before the next round starts.
    in_the_lead = dict(shell, ENVGEN_REFRESH_BEFORE="1600", ENVGEN_CHECK_AT="0")
    # A window of 3000 s: the renewal at the window, which the entry fetched ahead answers.
    at_the_window = dict(shell, ENVGEN_REFRESH_BEFORE="3000", ENVGEN_CHECK_AT="0")
    # Both are compared with the cache hit measured in the same rounds, in turn (the order
    # rotating each round), so that the machine's drift between blocks of runs cannot decide.
    hit = [*envgen, "assume", PROFILE, "--shell", "bash"]
    turns = [("hit", hit, env), ("lead", refresh, in_the_lead), ("renewal", refresh, at_the_window)]
    for name, _, _ in turns:
        found[name] = []
    for round_number in range(rounds + 1):  # the first is a warm-up
        shift = round_number % len(turns)
        for name, argv, turn_env in turns[shift:] + turns[:shift]:
            found[name].append(run(argv, turn_env).wall)
            # The renewal ahead a lead prompt starts ends before anything else is measured.
            wait_for_renewals_ahead(home)
    for name, _, _ in turns:
        del found[name][0]
    # A window longer than the role's lifetime: no entry answers, STS is asked every time.
    cold = dict(shell, ENVGEN_REFRESH_BEFORE="86400", ENVGEN_CHECK_AT="0")
    run(refresh, cold)  # warm-up
    found["cold"] = [run(refresh, cold).wall for _ in range(rounds)]
    return found


def shell_after_assume(envgen: list[str], env: dict[str, str]) -> dict[str, str]:
    """ENV once a POSIX shell has applied `envgen assume PROFILE`."""
    assumed = subprocess.run(
        [*envgen, "assume", PROFILE, "--shell", "bash"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shell_env = dict(env)
    for line in assumed.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].rstrip(";").partition("=")
            shell_env[name] = value.strip("'")
    return shell_env


def role_cache(home: Path) -> Path:
    return home / ".aws" / "cli" / "cache"


def forget_roles(home: Path) -> None:
    for entry in role_cache(home).glob("*.json"):
        entry.unlink()


def age_cached_roles(home: Path, seconds_left: int) -> None:
    """Every cached role expires SECONDS_LEFT from now, as if fetched that long before its end."""
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_left))
    for path in role_cache(home).glob("*.json"):
        entry = json.loads(path.read_text())
        entry["Credentials"]["Expiration"] = expires
        path.write_text(json.dumps(entry))


def wait_for_renewals_ahead(home: Path, timeout: float = 30.0) -> None:
    """Until no `envgen refresh --ahead` of this HOME runs (Linux's /proc; elsewhere a pause)."""
    proc = Path("/proc")
    if not proc.is_dir():
        time.sleep(2)
        return
    wanted = f"HOME={home}".encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = False
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes()
                environment = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            running = running or (b"refresh\0--ahead" in command and wanted in environment)
        if not running:
            return
        time.sleep(0.05)
    raise SystemExit("benchmark: a renewal ahead did not end within 30 s")


def report_prompt_hook(found: dict[str, list[float]]) -> None:
    print()
    print("The prompt hook (`envgen hook`):")
    print()
    print("| what | median | target |")
    print("|---|---:|---:|")
    for shell in ("bash", "zsh"):
        if shell not in found:
            continue
        cost = statistics.median(found[shell])
        verdict = "met" if cost <= HOOK_TARGET_SECONDS else "missed"
        print(
            f"| {shell}: each prompt, credentials fresh | {cost * 1e6:.1f} µs | "
            f"< {HOOK_TARGET_SECONDS * 1000:.0f} ms, no process ({verdict}) |"
        )
    hit_time = statistics.median(found["hit"])
    target = (
        f"the cache hit of `envgen assume {PROFILE}` in the same rounds, {hit_time * 1000:.0f} ms"
    )
    renewal = statistics.median(found["renewal"])
    verdict = "met" if renewal <= hit_time else "missed"
    print(
        f"| `envgen refresh --hook` at the window, renewed ahead (a cache hit) | "
        f"{renewal * 1000:.0f} ms | <= {target} ({verdict}) |"
    )
    lead = statistics.median(found["lead"])
    verdict = "met" if lead <= hit_time else "missed"
    print(
        f"| `envgen refresh --hook` in the lead (starts the renewal ahead) | "
        f"{lead * 1000:.0f} ms | <= {target} ({verdict}) |"
    )
    cold = statistics.median(found["cold"])
    print(
        f"| `envgen refresh --hook` at the window, nothing fetched ahead (asks STS) | "
        f"{cold * 1000:.0f} ms | (for information) |"
    )


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    low, middle, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, middle, high


def report(
    rounds: int,
    cases: dict[str, Case],
    measured: dict[str, list[Measured]],
    peaks: dict[str, int],
    sizes: dict[str, tuple[str, Case | str, Case]],
    small_of: dict[str, str],
) -> None:
    wall = {name: quartiles([m.wall for m in runs]) for name, runs in measured.items()}
    cpu = {name: statistics.median(m.cpu for m in runs) for name, runs in measured.items()}
    versions = []
    for package in ("boto3", "typer", "jinja2", "awsume"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:
            pass
    print(
        f"envgen benchmark: {rounds} rounds, median wall time of whole processes; "
        f"Python {platform.python_version()}, {', '.join(versions)}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print()
    print("| command | median | middle half | CPU | peak memory | ratio to its floor | target |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def cells(name: str) -> str:
        low, middle, high = wall[name]
        return (
            f"{middle * 1000:.0f} ms | {low * 1000:.0f}-{high * 1000:.0f} ms | "
            f"{cpu[name] * 1000:.0f} ms | {peaks[name] / 2**20:.1f} MiB"
        )

    for name, (label, _argv, _env, _before) in cases.items():
        if "@" in name:
            continue
        floors = [(floor, target) for floor, target in FLOORS.get(name, []) if floor in cases]
        for floor, target in floors:
            ratio = wall[name][1] / wall[floor][1]
            verdict = "met" if ratio <= target else "missed"
            print(
                f"| `{label}` | {cells(name)} | {ratio:.2f}x {cases[floor][0]} | "
                f"<= {target}x ({verdict}) |"
            )
        if not floors:
            print(f"| `{label}` | {cells(name)} | (floor) | |")
    print()
    print(
        f"With a 10-line config and with one of {LARGE_CONFIG_PROFILES:,} profiles "
        f"({LARGE_CONFIG_PROFILES * 5:,} lines); the differences are of median CPU times, "
        "which other work on the machine hardly moves, where a few milliseconds of wall time "
        "drown in it:"
    )
    print()
    print("| command | 10 lines: wall, CPU | 10,000 lines: wall, CPU | CPU difference | target |")
    print("|---|---:|---:|---:|---:|")
    parse_cost = cpu["parse@large"] - cpu[small_of["parse"]]
    for name, (label, _small, _large) in sizes.items():
        small, large = small_of[name], f"{name}@large"
        added = cpu[large] - cpu[small]
        if name == "parse":
            target = "(floor)"
        elif name == "miss":
            # botocore must read the whole file on a miss; envgen may add no more than a
            # hit may.
            allowed = parse_cost + LARGE_CONFIG_ALLOWANCE
            verdict = "met" if added <= allowed else "missed"
            target = (
                f"<= botocore's own reading ({parse_cost * 1000:+.0f} ms) "
                f"{LARGE_CONFIG_ALLOWANCE * 1000:+.0f} ms ({verdict})"
            )
        else:
            verdict = "met" if added <= LARGE_CONFIG_ALLOWANCE else "missed"
            target = f"<= {LARGE_CONFIG_ALLOWANCE * 1000:+.0f} ms ({verdict})"
        print(
            f"| `{label}` | {wall[small][1] * 1000:.0f} ms, {cpu[small] * 1000:.0f} ms | "
            f"{wall[large][1] * 1000:.0f} ms, {cpu[large] * 1000:.0f} ms | "
            f"{added * 1000:+.0f} ms | {target} |"
        )


if __name__ == "__main__":
    sys.exit(main())
