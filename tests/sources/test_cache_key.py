"""The fast cache path finds exactly the entry botocore itself would read or write.

botocore is the reference: its own AssumeRoleProvider, given a JSONFileCache in a
temporary directory, assumes each profile's role against moto's in-process STS
and writes its cache files; the keys envgen computes without botocore must name
exactly those files. Profiles the fast path does not fully understand must be
left to botocore, even when a matching cache entry exists.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from envgen import cache, config_files, regions
from envgen.sources.role_request import Place, RoleOptions

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
        arguments = cache.assume_role_arguments(found, name)
        assert arguments is not None, f"the fast path gave up on {name}"
        keys.add(cache.role_cache_key(arguments))
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
    assert cache.cached_assumption(place, with_flags, cache_dir=str(tmp_path / "cache"))
    assert cache.cached_assumption(place, RoleOptions(), cache_dir=str(tmp_path / "cache")) is None


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
    assert recorder.keys == [cache.role_cache_key({**arguments, "RoleArn": ROLE.format("p")})]


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
        write_entry(tmp_path / "cache", cache.role_cache_key(arguments), timedelta(hours=1))
    found = cache.cached_assumption(
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
    write_entry(tmp_path / "cache", cache.role_cache_key({"RoleArn": ROLE.format("dev")}), left)
    found = cache.cached_assumption(
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
        cache.role_cache_key({"RoleArn": ROLE.format("dev")}),
        timedelta(hours=5),
        "%Y-%m-%dT%H:%M:%S",
    )
    found = cache.cached_assumption(
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
    assert cache.parse_cached_expiration(text) == parse_timestamp(text)


def test_environment_keys_do_not_hide_a_named_profile_but_an_unnamed_one_is_left(
    aws_files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_files(SHAPES["role_arn only"][0], SHAPES["role_arn only"][1])
    write_entry(
        tmp_path / "cache",
        cache.role_cache_key({"RoleArn": ROLE.format("dev")}),
        timedelta(hours=1),
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
    cache_dir = str(tmp_path / "cache")
    assert cache.cached_assumption(Place(profile="dev"), RoleOptions(), cache_dir=cache_dir)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert cache.cached_assumption(Place(), RoleOptions(), cache_dir=cache_dir)
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "dev")
    assert cache.cached_assumption(Place(), RoleOptions(), cache_dir=cache_dir) is None
    assert (
        cache.cached_assumption(
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
