"""How fast envgen answers, as whole processes, against a local STS endpoint.

    python benchmarks/run.py [--rounds N]

Any python will do: one without envgen and moto hands over to the clone's .venv (which
scripts/test makes).

Starts moto's STS server on a free loopback port (scripts/local_sts.py; needs the
test extras), makes a throw-away HOME with fake keys and a role profile, then
runs every command below once per round, in turn, so that anything else the
machine does hits all of them alike. Prints the median wall time of each (and
its median CPU time, steadier on a busy machine) and the ratio of each envgen
command's wall time to its floor:

  envgen import                 vs  python -c "import boto3"
  envgen assume PROFILE (hit)   vs  python -c "import boto3"
  envgen assume SSO_PROFILE (hit)  vs  envgen assume PROFILE (hit): as fast as a role's
  envgen assume --role-arn      vs  a bare boto3 assume_role script (both call STS)

Stops the server and removes the temporary HOME when done, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
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
# An SSO profile's cache hit should cost what a role profile's does; 10% for noise.
TARGETS = {"import": 0.6, "hit": 0.6, "miss": 1.2, "sso": 1.1}
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


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole process; it must succeed."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            raise SystemExit(
                f"benchmark: {' '.join(argv[:3])} ... failed ({process.returncode}): "
                + stderr.read().decode(errors="replace").strip()[-500:]
            )
    return elapsed, usage.ru_utime + usage.ru_stime


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
        shell = ["--shell", "bash"]
        # Fill the cache for the profile; keep that entry, drop every other before a miss.
        run([*envgen, "assume", PROFILE, *shell], env)
        cache_sso_credentials(cache_dir)
        kept = set(cache_dir.glob("*.json"))
        check_hit_is_fast_path(envgen, env)
        check_hit_is_fast_path(envgen, env, SSO_PROFILE)

        def forget_other_roles() -> None:
            for entry in cache_dir.glob("*.json"):
                if entry not in kept:
                    entry.unlink()

        def nothing() -> None:
            pass

        cases: dict[str, tuple[str, list[str], Callable[[], None]]] = {
            "pass": ('python -c "pass"', [python, "-c", "pass"], nothing),
            "boto3": ('python -c "import boto3"', [python, "-c", "import boto3"], nothing),
            "script": ("boto3 assume_role script", [python, "-c", BOTO3_ASSUME_ROLE], nothing),
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
                nothing,
            ),
            "hit": (
                f"envgen assume {PROFILE} (cache hit)",
                [*envgen, "assume", PROFILE, *shell],
                nothing,
            ),
            "sso": (
                f"envgen assume {SSO_PROFILE} (SSO, cache hit)",
                [*envgen, "assume", SSO_PROFILE, *shell],
                nothing,
            ),
            "miss": (
                "envgen assume --role-arn ... (cache miss)",
                [*envgen, "assume", "--role-arn", ROLE_ARN, *shell],
                forget_other_roles,
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu_times: dict[str, list[float]] = {name: [] for name in cases}
        for _label, argv, before in cases.values():  # warm-up: file caches, .pyc files
            before()
            run(argv, env)
        for round_number in range(rounds):
            names = list(cases)
            # Rotate the order each round so no command always follows the same one.
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                _label, argv, before = cases[name]
                before()
                wall, cpu = run(argv, env)
                times[name].append(wall)
                cpu_times[name].append(cpu)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu_times.items()}
    floors = {"import": "boto3", "hit": "boto3", "sso": "hit", "miss": "script"}
    versions = []
    for package in ("boto3", "typer", "jinja2"):
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
    print("| command | median | CPU | ratio to its floor | target |")
    print("|---|---:|---:|---:|---:|")
    for name, (label, _argv, _before) in cases.items():
        cell = f"{median[name] * 1000:.0f} ms | {median_cpu[name] * 1000:.0f} ms"
        if name in floors:
            floor = floors[name]
            ratio = median[name] / median[floor]
            verdict = "met" if ratio <= TARGETS[name] else "missed"
            print(
                f"| `{label}` | {cell} | {ratio:.2f}x {cases[floor][0]} | "
                f"<= {TARGETS[name]}x ({verdict}) |"
            )
        else:
            print(f"| `{label}` | {cell} | (floor) | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
