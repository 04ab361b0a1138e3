"""What each command imports, seen from inside the real process after it ran.

Commands that make no AWS call never load boto3 or botocore; nothing loads
pydantic (typer would, to convert plain values); the plain `assume` and `import`
command lines load neither typer (envgen.launch reads them) nor Jinja2 (their
templates are compiled ahead of time). A cached role is answered without botocore
and prints exactly what the botocore path prints. Speed itself is measured by
benchmarks/run.py, not here.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import REPOSITORY
from sso_server import SsoServer, signed_in_as_the_aws_cli

AWS_MODULES = ("boto3", "botocore")
# What only a person's commands need, never the runs machines make at every prompt and AWS
# command: typer, Jinja2 and pydantic, and the dataclasses and typing modules, which cost those
# runs a fifth of their time.
NOT_ON_MACHINE_RUNS = ("typer", "jinja2", "pydantic", "dataclasses", "inspect", "typing")
ROLE = "arn:aws:iam::123456789012:role/{}"
BASE_KEYS = (
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
)

# Runs envgen's own main() as the console script does, and on the way out (main
# always ends in sys.exit, or in exec for `envgen exec`) writes every loaded
# module's name to the file named by argv[1]. With "botocore-only" as argv[2] the cache's fast
# path and the direct road to STS are switched off, so the same run goes through botocore.
PROBE = """\
import atexit, sys
report_path, mode = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
sys.argv[0] = "envgen"

def report():
    with open(report_path, "w") as report:
        report.write("\\n".join(sorted(sys.modules)))

atexit.register(report)
import os
run_command = os.execvpe

def report_then_exec(*args):
    report()
    run_command(*args)

os.execvpe = report_then_exec
if mode == "botocore-only":
    import envgen.sources.aws_cli_cache
    os.environ["_ENVGEN_THROUGH_BOTOCORE"] = "1"
    envgen.sources.aws_cli_cache.cached_assumption = lambda *args, **kwargs: None
from envgen.launch import main
main()
"""


def run_probed(
    args: list[str], env: dict[str, str], tmp_path: Path, mode: str = "normal"
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    report = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.txt"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), mode, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return result, set(report.read_text().split("\n"))


def loaded(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


NO_RENDERING = {
    "--help": ["--help"],
    "--version": ["--version"],
    "import --help": ["import", "--help"],
    "assume --help": ["assume", "--help"],
    "no command": [],
    "misspelt command": ["assum"],
}


@pytest.mark.parametrize("name", list(NO_RENDERING))
def test_commands_that_render_nothing_load_neither_aws_nor_jinja(
    name: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    result, modules = run_probed(NO_RENDERING[name], clean_env, tmp_path)
    assert "typer" in modules, "the probe did not run envgen"
    assert loaded(modules, *AWS_MODULES, "pydantic", "jinja2") == []


def test_import_loads_neither_typer_nor_jinja_nor_aws(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    result, modules = run_probed(
        [
            "import",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
            "--secret-access-key",
            "s3cr3t",
            "--session-token",
            "t0ken",
            "--expiration",
            "2099-01-01T00:00:00Z",
            "--shell",
            "bash",
            "--region",
            "eu-west-1",
            "--format",
            "shell",
        ],
        clean_env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'" in result.stdout
    assert "envgen.launch" in modules, "the probe did not run envgen"
    assert loaded(modules, *AWS_MODULES, "pydantic", "typer", "jinja2") == []


def test_import_from_stdin_loads_no_aws_module(clean_env: dict[str, str], tmp_path: Path) -> None:
    document = (
        '{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s",'
        ' "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}}'
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(tmp_path / "m.txt"),
            "normal",
            "import",
            "-",
            "--format",
            "json",
        ],
        env=clean_env,
        input=document,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert loaded(set((tmp_path / "m.txt").read_text().split("\n")), *AWS_MODULES) == []


def test_clear_loads_no_aws_module(clean_env: dict[str, str], tmp_path: Path) -> None:
    result, modules = run_probed(["clear", "--shell", "fish"], clean_env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "set -e" in result.stdout
    assert loaded(modules, *AWS_MODULES, "pydantic") == []


def test_completion_loads_neither_aws_nor_jinja(clean_env: dict[str, str], tmp_path: Path) -> None:
    aws = Path(clean_env["HOME"]) / ".aws"
    aws.mkdir()
    Path(clean_env["AWS_CONFIG_FILE"]).write_text("[profile prod]\nregion = eu-west-1\n")
    env = {
        **clean_env,
        "_ENVGEN_COMPLETE": "complete_bash",
        "COMP_WORDS": "envgen assume ",
        "COMP_CWORD": "2",
    }
    result, modules = run_probed([], env, tmp_path)
    assert result.stdout.split() == ["prod"], result.stderr
    assert loaded(modules, *AWS_MODULES, "pydantic", "jinja2") == []


def test_version_reports_without_aws(clean_env: dict[str, str], tmp_path: Path) -> None:
    result, modules = run_probed(["--version"], clean_env, tmp_path)
    assert result.stdout.startswith("envgen ")
    # The botocore version comes from its package metadata, not from importing it.
    assert f"botocore {version('botocore')})" in result.stdout
    assert loaded(modules, *AWS_MODULES) == []


# The cache: botocore's path fills it, the fast path answers from it.


@pytest.fixture(scope="module")
def sts_url() -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, str(REPOSITORY / "scripts" / "local_sts.py"), "--until-stdin-closes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), "the local STS server did not start"
    yield url
    assert server.stdin is not None
    server.stdin.close()
    server.wait(timeout=30)


PROFILE_SHAPES = {
    "one role": (
        f"[profile dev]\nregion = eu-west-1\nrole_arn = {ROLE.format('dev')}\n"
        "source_profile = base\n",
        "dev",
        [],
    ),
    "two-level chain with settings, flags laid over them": (
        f"[profile prod]\nrole_arn = {ROLE.format('prod')}\nsource_profile = hub\n"
        "external_id = prod-ext\nrole_session_name = alice\n"
        f"[profile hub]\nrole_arn = {ROLE.format('hub')}\nsource_profile = base\n"
        "duration_seconds = 3600\n",
        "prod",
        ["--duration-seconds", "2400", "--region", "ap-south-1"],
    ),
}
LEFT = re.compile(r"\(\d+ (h \d+ )?min left\)|\(\d+ s left\)")


def write_aws_files(clean_env: dict[str, str], config: str) -> Path:
    """The config for one profile shape and the base keys; returns the ~/.aws folder."""
    aws = Path(clean_env["HOME"]) / ".aws"
    aws.mkdir()
    Path(clean_env["AWS_CONFIG_FILE"]).write_text(config)
    Path(clean_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text("[base]\n" + BASE_KEYS)
    return aws


@pytest.mark.parametrize("shape", list(PROFILE_SHAPES))
def test_cache_hit_answers_without_botocore_exactly_as_botocore_does(
    shape: str, clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    config, profile, flags = PROFILE_SHAPES[shape]
    aws = write_aws_files(clean_env, config)
    command = ["assume", profile, *flags, "--shell", "bash"]

    miss, miss_modules = run_probed(
        command, {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url}, tmp_path, mode="botocore-only"
    )
    assert miss.returncode == 0, miss.stderr
    assert "botocore" in miss_modules, "the first run had nothing cached to answer from"
    assert list((aws / "cli" / "cache").glob("*.json")), "botocore wrote no cache entry"

    # From here on STS is a closed port: an answer can only come from the cache.
    offline = {**clean_env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    slow_hit, slow_modules = run_probed(command, offline, tmp_path, mode="botocore-only")
    fast_hit, fast_modules = run_probed(command, offline, tmp_path)

    assert slow_hit.returncode == 0, slow_hit.stderr
    assert "botocore" in slow_modules
    assert fast_hit.returncode == 0, fast_hit.stderr
    assert loaded(fast_modules, *AWS_MODULES, "pydantic", "typer", "jinja2") == []
    assert fast_hit.stdout == slow_hit.stdout == miss.stdout
    assert "export AWS_SESSION_TOKEN=" in fast_hit.stdout
    assert (
        LEFT.sub("", fast_hit.stderr) == LEFT.sub("", slow_hit.stderr) == LEFT.sub("", miss.stderr)
    )


def test_an_expiring_entry_goes_back_to_sts(
    clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    config, profile, _ = PROFILE_SHAPES["one role"]
    aws = write_aws_files(clean_env, config)
    env = {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url}
    first, _ = run_probed(["assume", profile, "--shell", "bash"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    (entry,) = (aws / "cli" / "cache").glob("*.json")
    from datetime import datetime, timedelta, timezone

    def expiring_soon() -> None:
        # Ten minutes left: inside botocore's fifteen-minute margin, so no road may use it.
        text = entry.read_text()
        expiration = re.search(r'"Expiration": "([^"]+)"', text)
        assert expiration is not None
        soon = datetime.now(timezone.utc) + timedelta(minutes=10)
        entry.write_text(text.replace(expiration.group(1), soon.strftime("%Y-%m-%dT%H:%M:%SUTC")))

    expiring_soon()
    second, modules = run_probed(
        ["assume", profile, "--shell", "bash"], env, tmp_path, mode="botocore-only"
    )
    assert second.returncode == 0, second.stderr
    assert "botocore" in modules
    assert second.stdout != first.stdout
    # The direct road to STS, which the cache's fast path hands a miss to, refuses it alike.
    expiring_soon()
    third, modules = run_probed(["assume", profile, "--shell", "bash"], env, tmp_path)
    assert third.returncode == 0, third.stderr
    assert loaded(modules, *AWS_MODULES) == []
    assert third.stdout not in (first.stdout, second.stdout)


def test_exec_uses_the_cache_without_botocore_too(
    clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    config, profile, _ = PROFILE_SHAPES["one role"]
    write_aws_files(clean_env, config)
    filled, _ = run_probed(
        ["assume", profile, "--format", "json"],
        {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url},
        tmp_path,
    )
    assert filled.returncode == 0, filled.stderr
    offline = {**clean_env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    ran, modules = run_probed(["exec", profile, "--", "env"], offline, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert loaded(modules, *AWS_MODULES) == []
    token = re.search(r'"SessionToken": "([^"]+)"', filled.stdout)
    assert token is not None
    assert f"AWS_SESSION_TOKEN={token.group(1)}\n" in ran.stdout


def test_sso_cache_hit_answers_without_botocore(
    sso_env: dict[str, str], sso_server: SsoServer, tmp_path: Path
) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    miss, miss_modules = run_probed(["assume", "dev", "--shell", "bash"], sso_env, tmp_path)
    assert miss.returncode == 0, miss.stderr
    assert "botocore" in miss_modules, "the first run had nothing cached to answer from"
    hit, hit_modules = run_probed(["assume", "dev", "--shell", "bash"], sso_env, tmp_path)
    assert hit.returncode == 0, hit.stderr
    assert loaded(hit_modules, *AWS_MODULES, "pydantic") == []
    assert hit.stdout == miss.stdout
    assert len(sso_server.calls_of("GetRoleCredentials")) == 1


def test_a_credential_process_hit_loads_only_what_it_prints_with(
    clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    """`assume PROFILE --format json` on a cache hit, what a credential_process line runs once
    per AWS command: no typer, no Jinja2, no botocore, no dataclasses, no typing and no shell
    detection."""
    config, profile, _ = PROFILE_SHAPES["one role"]
    write_aws_files(clean_env, config)
    command = ["assume", profile, "--format", "json"]
    filled, _ = run_probed(command, {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url}, tmp_path)
    assert filled.returncode == 0, filled.stderr
    offline = {**clean_env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    hit, modules = run_probed(command, offline, tmp_path)
    assert hit.returncode == 0, hit.stderr
    assert hit.stdout == filled.stdout
    assert loaded(modules, *AWS_MODULES, *NOT_ON_MACHINE_RUNS) == []
    assert "envgen.detect" not in modules


def shell_after(output: str, env: dict[str, str]) -> dict[str, str]:
    """ENV once bash has applied envgen's OUTPUT (export and unset lines, values quoted)."""
    after = dict(env)
    for line in output.splitlines():
        if line.startswith("unset "):
            after.pop(line[len("unset ") :].rstrip(";"), None)
        elif line.startswith("export "):
            name, _, value = line[len("export ") :].rstrip(";").partition("=")
            after[name] = shlex.split(value)[0]
    return after


def role_profile_shell(clean_env: dict[str, str], sts_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a bash session that applied `envgen assume` for a role profile, its
    role's answer now in the AWS CLI cache."""
    config, profile, _ = PROFILE_SHAPES["one role"]
    write_aws_files(clean_env, config)
    env = {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url}
    assumed, _ = run_probed(["assume", profile, "--shell", "bash"], env, tmp_path)
    assert assumed.returncode == 0, assumed.stderr
    return shell_after(assumed.stdout, env)


@pytest.mark.parametrize("state", ["fresh", "expired"])
def test_the_prompt_hook_loads_neither_typer_nor_jinja_before_renewing(
    state: str, clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    """`envgen refresh --hook`, which prompt hooks run: with credentials that are still fresh
    it only puts the next check off, and with expired ones it unsets them; neither loads
    typer, Jinja2, botocore, dataclasses or typing."""
    shell = role_profile_shell(clean_env, sts_url, tmp_path)
    # The hook is due now; the credentials expired a while ago, or have an hour left.
    shell["ENVGEN_CHECK_AT"] = "0"
    if state == "expired":
        shell["ENVGEN_EXPIRATION"] = "1000"
    refreshed, modules = run_probed(["refresh", "--hook", "--shell", "bash"], shell, tmp_path)
    assert refreshed.returncode == 0, refreshed.stderr
    expected = "unset AWS_ACCESS_KEY_ID;" if state == "expired" else "export ENVGEN_CHECK_AT="
    assert expected in refreshed.stdout
    assert "envgen.refresh" in modules, "the probe did not refresh"
    assert loaded(modules, *AWS_MODULES, *NOT_ON_MACHINE_RUNS) == []


# The direct road: a cache miss, and the renewal at a prompt, ask STS without botocore.


@pytest.mark.parametrize("shape", list(PROFILE_SHAPES))
def test_a_cache_miss_for_a_role_profile_loads_no_botocore(
    shape: str, clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    config, profile, flags = PROFILE_SHAPES[shape]
    aws = write_aws_files(clean_env, config)
    env = {**clean_env, "AWS_ENDPOINT_URL_STS": sts_url}
    miss, modules = run_probed(["assume", profile, *flags, "--format", "json"], env, tmp_path)
    assert miss.returncode == 0, miss.stderr
    assert '"SessionToken"' in miss.stdout
    assert list((aws / "cli" / "cache").glob("*.json")), "no cache entry written"
    assert loaded(modules, *AWS_MODULES, *NOT_ON_MACHINE_RUNS) == []


def test_a_renewal_at_the_prompt_loads_no_botocore(
    clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    shell = role_profile_shell(clean_env, sts_url, tmp_path)
    # A window longer than the credentials' life: the renewal is due at once, and the entry
    # the first run cached is inside it, so STS is asked again.
    renewal, modules = run_probed(
        ["refresh", "--hook", "--shell", "bash"],
        {**shell, "ENVGEN_CHECK_AT": "0", "ENVGEN_REFRESH_BEFORE": "86400"},
        tmp_path,
    )
    assert renewal.returncode == 0, renewal.stderr
    assert renewal.stderr.startswith("envgen: renewed the credentials for "), renewal.stderr
    renewed = shell_after(renewal.stdout, shell)
    assert renewed["AWS_ACCESS_KEY_ID"] != shell["AWS_ACCESS_KEY_ID"]
    assert "envgen.refresh" in modules, "the probe did not refresh"
    assert loaded(modules, *AWS_MODULES, *NOT_ON_MACHINE_RUNS) == []


def test_a_renewal_the_cache_answers_arms_no_deadline(
    clean_env: dict[str, str], sts_url: str, tmp_path: Path
) -> None:
    """At the window, after the renewal ahead has filled the cache, the hook's renewal is a
    cache hit: it sends nothing, so it sets no alarm (the signal module) and asks no other
    source (IAM Identity Center's modules) first."""
    shell = role_profile_shell(clean_env, sts_url, tmp_path)
    # The shell's credentials are inside a 10-minute window; the cached entry has an hour.
    inside = {
        **shell,
        "ENVGEN_CHECK_AT": "0",
        "ENVGEN_REFRESH_BEFORE": "600",
        "ENVGEN_EXPIRATION": str(int(time.time()) + 300),
    }
    renewal, modules = run_probed(["refresh", "--hook", "--shell", "bash"], inside, tmp_path)
    assert renewal.returncode == 0, renewal.stderr
    assert renewal.stderr.startswith("envgen: renewed the credentials for "), renewal.stderr
    assert "envgen.refresh" in modules, "the probe did not refresh"
    assert sorted(modules & {"signal", "envgen.sources.sso", "envgen.sources.direct_sts"}) == []
