"""envgen.sources.aws_cli_cache: the AWS CLI's cache of assumed-role credentials
(~/.aws/cli/cache), as envgen reads and writes it.

The fast cache path finds exactly the entry botocore itself would read or write: botocore is
the reference, its own AssumeRoleProvider, given a JSONFileCache in a temporary directory,
assumes each profile's role against moto's in-process STS and writes its cache files; the keys
envgen computes without botocore must name exactly those files. Profiles the fast path does not
fully understand are left to botocore, even when a matching cache entry exists.

Against a real STS endpoint: an entry envgen cannot trust is a miss that a real AssumeRole call
replaces; a cache that cannot be written costs a warning, never the credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen import config_files, regions
from envgen.credentials import read_stored_expiration
from envgen.sources import aws_cli_cache
from envgen.sources.request import Place, RoleOptions
from envgen_process import assert_failed_cleanly, run_envgen
from sts_server import BASE_SECRET, StsServer, role_arn

ROLE = "arn:aws:iam::123456789012:role/{}"
BASE_KEYS = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = base-secret\n"


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a config and a credentials file and point both botocore and envgen at them."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def write(config: str, credentials: str = "") -> None:
        config_path = tmp_path / "config"
        credentials_path = tmp_path / "credentials"
        config_path.write_text(textwrap.dedent(config))
        credentials_path.write_text(textwrap.dedent(credentials))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config_path))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_path))

    return write


def botocore_cache_keys(profile: str, cache_dir: Path) -> set[str]:
    """The cache files botocore's own assume-role provider writes for `profile`."""
    import botocore.session
    from botocore.credentials import AssumeRoleProvider, ProfileProviderBuilder
    from botocore.utils import JSONFileCache
    from moto import mock_aws

    session = botocore.session.Session(profile=profile)
    provider = AssumeRoleProvider(
        load_config=lambda: session.full_config,
        client_creator=session.create_client,
        cache=JSONFileCache(str(cache_dir)),
        profile_name=profile,
        prompter=lambda prompt: "123456",
        profile_provider_builder=ProfileProviderBuilder(session),
    )
    with mock_aws():
        loaded = provider.load()
        assert loaded is not None, "botocore did not treat the profile as a role"
        loaded.get_frozen_credentials()
    return {path.stem for path in cache_dir.glob("*.json")}


def envgen_cache_keys(*profiles: str) -> set[str]:
    found = config_files.read_profiles()
    keys = set()
    for name in profiles:
        arguments = aws_cli_cache.assume_role_arguments(found, name)
        assert arguments is not None, f"the fast path gave up on {name}"
        keys.add(aws_cli_cache.role_cache_key(arguments))
    return keys


# (config file, credentials file, profile to assume, every role profile on its chain)
SHAPES = {
    "role_arn only": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "external_id": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "external_id = partner-4711\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "mfa_serial": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "role_session_name": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "role_session_name = alice-laptop\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "empty role_session_name": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "role_session_name =\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "duration_seconds": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "duration_seconds = 3600\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "duration_seconds int() refuses": (
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "duration_seconds = one hour\n",
        f"[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "every setting, unicode, base keys in the config file": (
        f"[profile dev]\nregion = eu-west-1\nrole_arn = {ROLE.format('dev')}\n"
        "source_profile = base\nexternal_id = ext-ü\nmfa_serial = GAHT12345678\n"
        "role_session_name = alice\nduration_seconds = 7200\noutput = json\n"
        f"[profile base]\n{BASE_KEYS}",
        "",
        "dev",
        ["dev"],
    ),
    "source_profile chain, two levels": (
        f"[profile prod]\nrole_arn = {ROLE.format('prod')}\nsource_profile = hub\n"
        "external_id = prod-ext\n"
        f"[profile hub]\nrole_arn = {ROLE.format('hub')}\nsource_profile = base\n"
        "role_session_name = hub-session\nduration_seconds = 1800\n",
        f"[base]\n{BASE_KEYS}",
        "prod",
        ["prod", "hub"],
    ),
    "self-referencing profile with its own keys": (
        f"[profile solo]\nrole_arn = {ROLE.format('solo')}\nsource_profile = solo\n",
        f"[solo]\n{BASE_KEYS}",
        "solo",
        ["solo"],
    ),
    "role in the credentials file, quoted profile name": (
        '[profile "team a"]\nregion = us-west-2\n',
        f"[team a]\nrole_arn = {ROLE.format('team-a')}\nsource_profile = base\n[base]\n{BASE_KEYS}",
        "team a",
        ["team a"],
    ),
    "credentials file overrides the config file": (
        f"[profile dev]\nrole_arn = {ROLE.format('from-config')}\nsource_profile = base\n",
        f"[dev]\nrole_arn = {ROLE.format('from-credentials')}\n[base]\n{BASE_KEYS}",
        "dev",
        ["dev"],
    ),
    "default profile, [profile default] after [default]": (
        f"[default]\nrole_arn = {ROLE.format('first')}\nsource_profile = base\n"
        f"[profile default]\nrole_arn = {ROLE.format('second')}\nsource_profile = base\n",
        f"[base]\n{BASE_KEYS}",
        "default",
        ["default"],
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_key_names_the_file_botocore_writes(shape: str, aws_files, tmp_path: Path) -> None:
    config, credentials, profile, role_profiles = SHAPES[shape]
    aws_files(config, credentials)
    assert envgen_cache_keys(*role_profiles) == botocore_cache_keys(profile, tmp_path / "cache")


def test_command_line_settings_change_the_key_as_in_botocore(aws_files, tmp_path: Path) -> None:
    # `envgen assume dev --duration-seconds 3600 --external-id x` lays the flags over the
    # profile before botocore sees it: the same key as a profile holding those settings.
    aws_files(
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "duration_seconds = 3600\nexternal_id = from-flags\n",
        f"[base]\n{BASE_KEYS}",
    )
    expected = botocore_cache_keys("dev", tmp_path / "cache")
    aws_files(
        f"[profile dev]\nrole_arn = {ROLE.format('dev')}\nsource_profile = base\n"
        "external_id = from-profile\n",
        f"[base]\n{BASE_KEYS}",
    )
    (entry_key,) = expected
    write_entry(tmp_path / "cache", entry_key, timedelta(hours=1))
    place = Place(profile="dev")
    with_flags = RoleOptions(duration_seconds=3600, external_id="from-flags")
    assert aws_cli_cache.cached_assumption(place, with_flags, cache_dir=str(tmp_path / "cache"))
    assert (
        aws_cli_cache.cached_assumption(place, RoleOptions(), cache_dir=str(tmp_path / "cache"))
        is None
    )


class KeyRecordingCache:
    """A cache that holds one fresh entry under whatever key botocore asks for, and notes the key."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __contains__(self, key: str) -> bool:
        self.keys.append(key)
        return True

    def __getitem__(self, key: str) -> dict:
        expiration = datetime.now(timezone.utc) + timedelta(hours=1)
        return {
            "Credentials": {
                "AccessKeyId": "A",
                "SecretAccessKey": "S",
                "SessionToken": "T",
                "Expiration": expiration.isoformat(),
            }
        }


def test_policy_documents_hash_with_sorted_keys() -> None:
    from botocore.credentials import AssumeRoleCredentialFetcher

    arguments = {
        "RoleSessionName": "alice",
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}),
        "DurationSeconds": 900,
    }
    recorder = KeyRecordingCache()
    AssumeRoleCredentialFetcher(
        client_creator=None,
        source_credentials=None,
        role_arn=ROLE.format("p"),
        extra_args=arguments,
        cache=recorder,
    ).fetch_credentials()
    assert recorder.keys == [
        aws_cli_cache.role_cache_key({**arguments, "RoleArn": ROLE.format("p")})
    ]


def write_entry(
    cache_dir: Path, key: str, left: timedelta, expiration_format: str = "%Y-%m-%dT%H:%M:%SUTC"
) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    expiration = (datetime.now(timezone.utc) + left).strftime(expiration_format)
    entry = {
        "Credentials": {
            "AccessKeyId": "ASIACACHEDEXAMPLE",
            "SecretAccessKey": "cached-secret",
            "SessionToken": "cached-token",
            "Expiration": expiration,
        }
    }
    (cache_dir / f"{key}.json").write_text(json.dumps(entry))


UNCLEAR = {
    "credential_source": f"[profile x]\nrole_arn = {ROLE.format('x')}\n"
    "credential_source = Environment\n",
    "web identity": f"[profile x]\nrole_arn = {ROLE.format('x')}\n"
    "web_identity_token_file = /tmp/token\n",
    "sso keys": f"[profile x]\nrole_arn = {ROLE.format('x')}\nsource_profile = base\n"
    "sso_session = corp\n[profile base]\n" + BASE_KEYS,
    "source profile runs a process": f"[profile x]\nrole_arn = {ROLE.format('x')}\n"
    "source_profile = base\n[profile base]\ncredential_process = /bin/false\n",
    "source profile is missing": f"[profile x]\nrole_arn = {ROLE.format('x')}\n"
    "source_profile = nowhere\n",
    "no source at all": f"[profile x]\nrole_arn = {ROLE.format('x')}\n",
    "loop": f"[profile x]\nrole_arn = {ROLE.format('x')}\nsource_profile = y\n"
    f"[profile y]\nrole_arn = {ROLE.format('y')}\nsource_profile = x\n",
    "half a key pair": f"[profile x]\nrole_arn = {ROLE.format('x')}\nsource_profile = base\n"
    "[profile base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "nested value": f"[profile x]\nrole_arn = {ROLE.format('x')}\nsource_profile = base\n"
    "external_id =\n  a = b\n[profile base]\n" + BASE_KEYS,
    "not a role": "[profile x]\n" + BASE_KEYS,
    "syntax botocore refuses": f"[profile x]\nrole_arn = {ROLE.format('x')}\n"
    "source_profile = base\n[profile base]\n" + BASE_KEYS + "[profile x]\nregion = a\n",
}


@pytest.mark.parametrize("shape", list(UNCLEAR))
def test_unclear_profiles_are_left_to_botocore(shape: str, aws_files, tmp_path: Path) -> None:
    aws_files(UNCLEAR[shape])
    # A fresh entry under the key the role's bare arguments would have: still not served.
    for arguments in ({"RoleArn": ROLE.format("x")},):
        write_entry(tmp_path / "cache", aws_cli_cache.role_cache_key(arguments), timedelta(hours=1))
    found = aws_cli_cache.cached_assumption(
        Place(profile="x"), RoleOptions(), cache_dir=str(tmp_path / "cache")
    )
    assert found is None


@pytest.mark.parametrize(
    "left, served",
    [(timedelta(minutes=16), True), (timedelta(minutes=14), False), (timedelta(hours=-1), False)],
)
def test_entries_are_served_only_with_botocore_margin_left(
    left: timedelta, served: bool, aws_files, tmp_path: Path
) -> None:
    aws_files(SHAPES["role_arn only"][0], SHAPES["role_arn only"][1])
    write_entry(
        tmp_path / "cache", aws_cli_cache.role_cache_key({"RoleArn": ROLE.format("dev")}), left
    )
    found = aws_cli_cache.cached_assumption(
        Place(profile="dev"), RoleOptions(), cache_dir=str(tmp_path / "cache")
    )
    assert (found is not None) is served
    if found is not None:
        assert found.credentials.session_token == "cached-token"
        assert found.whose == f"{ROLE.format('dev')} (profile dev)"


def test_an_expiry_without_a_zone_is_left_to_botocore(aws_files, tmp_path: Path) -> None:
    aws_files(SHAPES["role_arn only"][0], SHAPES["role_arn only"][1])
    write_entry(
        tmp_path / "cache",
        aws_cli_cache.role_cache_key({"RoleArn": ROLE.format("dev")}),
        timedelta(hours=5),
        "%Y-%m-%dT%H:%M:%S",
    )
    found = aws_cli_cache.cached_assumption(
        Place(profile="dev"), RoleOptions(), cache_dir=str(tmp_path / "cache")
    )
    assert found is None


@pytest.mark.parametrize(
    "expiration_format", ["%Y-%m-%dT%H:%M:%SUTC", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+00:00"]
)
def test_expiry_formats_read_as_botocore_reads_them(expiration_format: str, tmp_path: Path) -> None:
    from botocore.utils import parse_timestamp

    write_entry(tmp_path, "k", timedelta(hours=2), expiration_format)
    text = json.loads((tmp_path / "k.json").read_text())["Credentials"]["Expiration"]
    assert read_stored_expiration(text) == parse_timestamp(text)


def test_environment_keys_do_not_hide_a_named_profile_but_an_unnamed_one_is_left(
    aws_files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_files(SHAPES["role_arn only"][0], SHAPES["role_arn only"][1])
    write_entry(
        tmp_path / "cache",
        aws_cli_cache.role_cache_key({"RoleArn": ROLE.format("dev")}),
        timedelta(hours=1),
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
    cache_dir = str(tmp_path / "cache")
    assert aws_cli_cache.cached_assumption(Place(profile="dev"), RoleOptions(), cache_dir=cache_dir)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert aws_cli_cache.cached_assumption(Place(), RoleOptions(), cache_dir=cache_dir)
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "dev")
    assert aws_cli_cache.cached_assumption(Place(), RoleOptions(), cache_dir=cache_dir) is None
    assert (
        aws_cli_cache.cached_assumption(
            Place(profile="dev"), RoleOptions(role_arn=ROLE.format("dev")), cache_dir=cache_dir
        )
        is None
    )


CONFIG_READINGS = {
    "quoted and spaced names": '[profile "a b"]\nregion = x\n[profile  c ]\nregion = y\n'
    "[profilefoo]\nregion = z\n[profile]\nregion = w\n[profile d e f]\nregion = v\n",
    "default twice": "[profile default]\nregion = a\n[default]\nregion = b\noutput = json\n",
    "DEFAULT section": "[DEFAULT]\nregion = everywhere\n[profile a]\noutput = text\n",
    "case of keys": "[profile a]\nRole_ARN = arn\nREGION = r\n",
    "not profiles": "[sso-session corp]\nsso_region = r\n[services s]\nx = 1\n[preview]\ny = 2\n",
}


@pytest.mark.parametrize("shape", list(CONFIG_READINGS))
def test_profiles_read_as_botocore_reads_them(shape: str, aws_files) -> None:
    import botocore.session

    aws_files(CONFIG_READINGS[shape], "[a]\nextra = from-credentials\n[only-here]\nk = v\n")
    expected = botocore.session.Session().full_config["profiles"]
    assert config_files.read_profiles() == expected
    assert config_files.profile_names() == list(expected)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"AWS_DEFAULT_REGION": "ap-south-1"},
        {"AWS_DEFAULT_REGION": ""},
        {"AWS_REGION": "sa-east-1"},
        {"AWS_REGION": "sa-east-1", "AWS_DEFAULT_REGION": "ca-central-1"},
    ],
)
@pytest.mark.parametrize("profile_region", ["region = eu-west-3\n", ""])
def test_region_setting_read_as_botocore_reads_it(
    environment: dict[str, str], profile_region: str, aws_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import botocore.session

    aws_files(f"[profile dev]\n{profile_region}role_arn = {ROLE.format('dev')}\n")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    expected = botocore.session.Session(profile="dev").get_config_variable("region")
    assert regions.botocore_setting(config_files.read_profiles()["dev"], os.environ) == expected


PLANTED_KEY = "ASIAPLANTEDBYSOMEONE"
NOBODY = 65534

HOP_CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default
"""

# The profile's role takes envgen's cached path first; --role-arn goes through botocore's fetcher.
COMMANDS = {
    "profile": ["assume", "hop", "--format", "json"],
    "role-arn": ["assume", "--role-arn", role_arn("Hop"), "--format", "json"],
}


def cache_of(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "cli" / "cache"


def issued_key(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)["AccessKeyId"]


def planted(hours: float = 1.0) -> dict[str, object]:
    expiry = datetime.now(timezone.utc) + timedelta(hours=hours)
    return {
        "Credentials": {
            "AccessKeyId": PLANTED_KEY,
            "SecretAccessKey": "planted-secret",
            "SessionToken": "planted-token",
            "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SUTC"),
        }
    }


def _write(entry: Path, data: bytes, mode: int = 0o600) -> None:
    entry.write_bytes(data)
    entry.chmod(mode)


# Each way an entry can be one envgen must not serve, made in place of the real entry.
BAD_ENTRIES: dict[str, Callable[[Path, Path], None]] = {
    "empty": lambda entry, elsewhere: _write(entry, b""),
    "truncated": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode()[:60]),
    "not-an-object": lambda entry, elsewhere: _write(entry, b'["Credentials"]'),
    "credentials-not-an-object": lambda entry, elsewhere: _write(entry, b'{"Credentials": 1}'),
    "key-not-a-string": lambda entry, elsewhere: _write(
        entry, json.dumps({"Credentials": {**planted()["Credentials"], "AccessKeyId": 7}}).encode()
    ),
    "expiry-unreadable": lambda entry, elsewhere: _write(
        entry,
        json.dumps({"Credentials": {**planted()["Credentials"], "Expiration": "soon"}}).encode(),
    ),
    "not-utf8": lambda entry, elsewhere: _write(entry, b'{"Credentials": "\xff"}'),
    "directory": lambda entry, elsewhere: entry.mkdir(),
    "symlink": lambda entry, elsewhere: (
        _write(elsewhere, json.dumps(planted()).encode()),
        entry.symlink_to(elsewhere),
    ),
    "fifo": lambda entry, elsewhere: os.mkfifo(entry),
    "oversized": lambda entry, elsewhere: _write(
        entry, json.dumps({**planted(), "Padding": "x" * (5 * 1024 * 1024)}).encode()
    ),
    "other-owner": lambda entry, elsewhere: (
        _write(entry, json.dumps(planted()).encode()),
        os.chown(entry, NOBODY, NOBODY),
    ),
    "group-writable": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode(), 0o620),
    "world-writable": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode(), 0o606),
    "thirteen-hours-ahead": lambda entry, elsewhere: _write(
        entry, json.dumps(planted(hours=13)).encode()
    ),
}


@pytest.mark.posix("file modes, owners and FIFOs")
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", sorted(BAD_ENTRIES))
def test_an_untrusted_entry_is_a_miss_and_is_replaced(
    sts_env, sts: StsServer, tmp_path: Path, bad: str, command: str
):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    args = COMMANDS[command]
    first = issued_key(run_envgen(args, sts_env))
    (entry,) = cache_of(sts_env).glob("*.json")
    entry.unlink()
    elsewhere = tmp_path / "elsewhere.json"
    BAD_ENTRIES[bad](entry, elsewhere)
    sts.log.reset()
    result = run_envgen(args, sts_env, timeout=30)
    key = issued_key(result)
    # A real call, and its answer is what was printed and what the cache now holds.
    assert sts.log.counts() == {"AssumeRole": 1}
    assert key not in (PLANTED_KEY, first)
    found = os.lstat(entry)
    assert stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid()
    assert stat.S_IMODE(found.st_mode) == 0o600
    assert json.loads(entry.read_text())["Credentials"]["AccessKeyId"] == key
    assert result.stderr.decode().count("\n") == 1, result.stderr.decode()
    if bad == "symlink":
        assert PLANTED_KEY in elsewhere.read_text()
    # ...and the replaced entry is served from then on.
    sts.log.reset()
    assert issued_key(run_envgen(args, sts_env)) == key
    assert sts.log.counts() == {}


@pytest.mark.posix("a umask and file modes")
def test_new_cache_directories_are_private_whatever_the_umask(sts_env, sts: StsServer):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    result = subprocess.run(
        [ENVGEN, *COMMANDS["profile"]],
        env=sts_env,
        capture_output=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o000),
    )
    issued_key(result)
    cache = cache_of(sts_env)
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (entry,) = cache.glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.fixture
def nobody_env(sts_env) -> Iterator[dict[str, str]]:
    """sts_env for the unprivileged user `nobody`: a home of its own that it can read."""
    home = Path(tempfile.mkdtemp(prefix="envgen-nobody-"))
    os.chmod(home, 0o755)
    (home / ".aws").mkdir()
    for name in ("credentials", "config"):
        shutil.copy(Path(sts_env["HOME"]) / ".aws" / name, home / ".aws" / name)
    (home / ".aws" / "config").write_text(HOP_CONFIG)
    for path in [home, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    env = dict(
        sts_env,
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        XDG_CONFIG_HOME=str(home / ".config"),
    )
    yield env
    shutil.rmtree(home)


def run_as_nobody(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", ENVGEN, *args],
        env=env,
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )


def _read_only(cache: Path) -> None:
    cache.mkdir(parents=True)
    os.chown(cache.parent, NOBODY, NOBODY)
    os.chown(cache, NOBODY, NOBODY)
    cache.chmod(0o500)


def _owned_by_root(cache: Path) -> None:
    cache.mkdir(parents=True, mode=0o755)
    os.chown(cache.parent, NOBODY, NOBODY)


@pytest.mark.posix("setpriv and file modes")
@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user"
)
@pytest.mark.parametrize("make", [_read_only, _owned_by_root], ids=["read-only", "root-owned"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_cache_that_cannot_be_written_still_delivers(
    nobody_env, sts: StsServer, make: Callable[[Path], None], command: str
):
    cache = cache_of(nobody_env)
    make(cache)
    result = run_as_nobody(COMMANDS[command], nobody_env)
    assert issued_key(result).startswith("ASIA")
    assert sts.log.counts() == {"AssumeRole": 1}
    warnings = [line for line in result.stderr.decode().splitlines() if "warning" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0], result.stderr.decode()
    assert "not cached" in warnings[0] and "Traceback" not in result.stderr.decode()
    assert list(cache.iterdir()) == []


@pytest.mark.posix("a file-size limit set before exec")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_disk_still_delivers(sts_env, sts: StsServer, command: str):
    # A file-size limit makes the entry's write fail as a full disk does (EFBIG for ENOSPC).
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)

    def small_files() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))

    result = subprocess.run(
        [ENVGEN, *COMMANDS[command]],
        env=sts_env,
        capture_output=True,
        timeout=60,
        preexec_fn=small_files,
    )
    assert issued_key(result).startswith("ASIA")
    warnings = [line for line in result.stderr.decode().splitlines() if "warning" in line]
    assert len(warnings) == 1 and "not cached" in warnings[0], result.stderr.decode()
    assert list(cache_of(sts_env).glob("*")) == []


@pytest.mark.parametrize("which", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_oversized_settings_file_is_refused_before_botocore_reads_it(
    sts_env, sts: StsServer, which: str, command: str
):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    with Path(sts_env[which]).open("a") as settings:
        settings.write("# padding\n" * (500 * 1024))
    result = run_envgen(COMMANDS[command], sts_env)
    message = assert_failed_cleanly(result, BASE_SECRET)
    assert sts_env[which] in message and "MiB" in message
    assert sts.log.counts() == {}


def test_a_cache_entry_is_not_waited_onto_the_disk_but_a_kept_file_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache entry lost to a power cut is only a miss; the files envgen keeps for the user
    (credentials, startup files) are still synced before envgen reports success."""
    from envgen.persist import atomic

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    entry = {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "Expiration": "2030-01-01T00:00:00Z"}}
    cache = aws_cli_cache.CredentialCache(tmp_path / "cache")
    cache["key"] = entry
    assert json.loads((tmp_path / "cache" / "key.json").read_text()) == entry
    assert synced == []
    atomic.replace_file(tmp_path / "credentials", b"[default]\n", atomic.PRIVATE_MODE)
    assert len(synced) == 2  # the file, then its directory
