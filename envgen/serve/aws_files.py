"""Private copies of the AWS config and credentials files for the command of `exec --serve`.

botocore looks for credentials in the default profile (keys in the credentials or config file,
a role, SSO, credential_process, ...) before it asks the container endpoint, and so does the
JavaScript SDK: the usual `[default]` with long-term keys would silently win over the endpoint.
The command therefore gets copies of both files in a private directory, with every setting that
gives the default profile credentials left out; its region, its other settings and every other
profile stay as they are, so `--profile other` still works inside the command. A boto config
file with AWS keys (which botocore also reads first) gets a copy without them. The copies are
removed when the command ends.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping

from envgen.config_files import (
    CONFIG_FILE_VARIABLE,
    CREDENTIALS_FILE_VARIABLE,
    ConfigUnreadable,
    config_file_path,
    credentials_file_path,
    read_sections,
    section_profile_name,
)
from envgen.errors import EnvgenError

# The settings through which botocore or an AWS SDK gets a profile's credentials.
CREDENTIAL_SETTINGS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "aws_credential_expiration",
        "aws_account_id",
        "role_arn",
        "source_profile",
        "credential_source",
        "role_session_name",
        "external_id",
        "mfa_serial",
        "duration_seconds",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "sso_registration_scopes",
        "credential_process",
        "login_session",
    }
)
DEFAULT_PROFILE = "default"

# botocore still reads AWS keys from boto 2's config (its BotoProvider, before the container):
# the file BOTO_CONFIG names, else these, the first that has keys winning.
BOTO_CONFIG_VARIABLE = "BOTO_CONFIG"
BOTO_CONFIG_FILES = ("/etc/boto.cfg", os.path.join("~", ".boto"))
BOTO_KEYS = ("aws_access_key_id", "aws_secret_access_key")


def boto_config_without_keys(
    environ: Mapping[str, str],
) -> configparser.RawConfigParser | None:
    """When a boto config file in effect holds AWS keys: the files' settings as boto reads them
    (later files over earlier ones, as gsutil merges them), without the keys; else None."""
    named = environ.get(BOTO_CONFIG_VARIABLE)
    locations = [named] if named is not None else list(BOTO_CONFIG_FILES)
    read = []
    for location in locations:
        try:
            read.append(read_sections(os.path.expanduser(os.path.expandvars(location))))
        except ConfigUnreadable:
            # botocore stops at such a file too: nothing of it reaches the command's SDK.
            continue
    if not any(BOTO_KEYS[0] in sections.get("Credentials", {}) for sections in read):
        return None
    copy = configparser.RawConfigParser()
    for sections in read:
        for section, values in sections.items():
            if not copy.has_section(section):
                copy.add_section(section)
            for key, value in values.items():
                if not (section == "Credentials" and key in BOTO_KEYS):
                    copy.set(section, key, value)
    return copy


def without_default_credentials(
    sections: Mapping[str, Mapping[str, str]], is_default: Mapping[str, bool]
) -> configparser.RawConfigParser:
    """The sections as they are, but those of the default profile without credential settings."""
    copy = configparser.RawConfigParser()
    for section, values in sections.items():
        copy.add_section(section)
        for key, value in values.items():
            if is_default[section] and key in CREDENTIAL_SETTINGS:
                continue
            copy.set(section, key, value)
    return copy


def _write(parser: configparser.RawConfigParser, path: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w", encoding="utf-8") as file:
        parser.write(file)


@contextlib.contextmanager
def private_copies(environ: Mapping[str, str] = os.environ) -> Iterator[dict[str, str]]:
    """The variables that point the command at the copies; the copies exist until the end."""
    try:
        config = read_sections(config_file_path(environ))
        credentials = read_sections(credentials_file_path(environ))
    except ConfigUnreadable as error:
        raise EnvgenError(
            f"{error}; the command cannot be given a copy without the default profile's "
            "credentials: correct the file"
        ) from None
    # XDG_RUNTIME_DIR is the user's own and in memory; the system's temporary directory is
    # shared, so the copies live in a directory only the user can open (mkdtemp: mode 0700).
    runtime = environ.get("XDG_RUNTIME_DIR")
    parent = runtime if runtime and os.path.isdir(runtime) else None
    config_copy = without_default_credentials(
        config, {name: section_profile_name(name) == DEFAULT_PROFILE for name in config}
    )
    # In the credentials file every section is a profile, named as it stands.
    credentials_copy = without_default_credentials(
        credentials, {name: name == DEFAULT_PROFILE for name in credentials}
    )
    boto_copy = boto_config_without_keys(environ)
    directory = None
    try:
        directory = tempfile.mkdtemp(prefix="envgen-serve-", dir=parent)
        paths = {
            CONFIG_FILE_VARIABLE: os.path.join(directory, "config"),
            CREDENTIALS_FILE_VARIABLE: os.path.join(directory, "credentials"),
        }
        _write(config_copy, paths[CONFIG_FILE_VARIABLE])
        _write(credentials_copy, paths[CREDENTIALS_FILE_VARIABLE])
        if boto_copy is not None:
            paths[BOTO_CONFIG_VARIABLE] = os.path.join(directory, "boto")
            _write(boto_copy, paths[BOTO_CONFIG_VARIABLE])
    except OSError as error:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        raise EnvgenError(
            f"cannot write the command's private copies of the AWS files ({error.strerror}); "
            "free some space, or set TMPDIR to a writable directory"
        ) from None
    try:
        yield paths
    finally:
        shutil.rmtree(directory, ignore_errors=True)
