"""No stale identity beside new keys: AWS_PROFILE, AWS_DEFAULT_PROFILE and AWS_SECURITY_TOKEN.

The JavaScript SDK takes AWS_PROFILE over keys in the environment, botocore takes
AWS_DEFAULT_PROFILE over AWS_PROFILE and AWS_SECURITY_TOKEN over AWS_SESSION_TOKEN. Each real
shell applies envgen's output over such leftovers, then asks both SDKs whose identity the
environment now gives.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HARNESS, require_javascript_sdk, require_program
from shell_harness import MANAGED, REAL_SHELLS, RealShell, real_shell

HERE = HARNESS
DUMPER = HERE / "dump_environment.py"
JAVASCRIPT_READER = HERE / "sdk_identity.cjs"
BOTOCORE_READER = HERE / "sdk_identity.py"

OLD_PROFILE_KEY = "AKIDOLDPROFILE"
LEFTOVERS = {
    "AWS_PROFILE": "old",  # exists, with other keys: the JavaScript SDK would use it
    "AWS_DEFAULT_PROFILE": "gone",  # does not exist: botocore would fail on it
    "AWS_SECURITY_TOKEN": "stale-security-token",  # botocore would pair it with new keys
    "AWS_SESSION_TOKEN": "stale-session-token",
}

TEMPORARY = {
    "AccessKeyId": "ASIANEWTEMPORARY",
    "SecretAccessKey": "new/temporary+secret",
    "SessionToken": "new-session-token",
    "Expiration": "2099-12-31T23:59:59Z",
}
LONG_TERM = {"AccessKeyId": "AKIDNEWLONGTERM", "SecretAccessKey": "new/long+term"}

SHELL_PARAMS = [
    pytest.param(shell, id=shell.name, marks=pytest.mark.shell(shell.name)) for shell in REAL_SHELLS
]


def identity_env(clean_env: dict[str, str], modules: Path) -> dict[str, str]:
    """A user with an `old` profile in the credentials file and the leftovers exported."""
    credentials = Path(clean_env["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(
        f"[old]\naws_access_key_id = {OLD_PROFILE_KEY}\naws_secret_access_key = old-secret\n"
    )
    return dict(clean_env, ENVGEN_TEST_NODE_MODULES=str(modules), **LEFTOVERS)


def readers(shell: RealShell, workdir: Path, label: str) -> list[str]:
    """The lines that ask both SDKs for the identity, and dump the managed variables."""
    node = shutil.which("node")
    commands = [
        [node, str(JAVASCRIPT_READER), str(workdir / f"{label}-javascript.json")],
        [sys.executable, str(BOTOCORE_READER), str(workdir / f"{label}-botocore.json")],
        [sys.executable, str(DUMPER), str(workdir / f"{label}-dump.json"), *MANAGED],
    ]
    return [
        shell.run.format(command=" ".join(str(word) for word in command)) for command in commands
    ]


def read(workdir: Path, label: str, reader: str) -> dict[str, str | None]:
    path = workdir / f"{label}-{reader}.json"
    assert path.exists(), f"{label}: the {reader} reader never ran"
    found = json.loads(path.read_text())
    if reader == "dump":
        return {
            name: bytes.fromhex(v).decode() if v is not None else None for name, v in found.items()
        }
    return found


def run_script(
    shell: RealShell, lines: list[str], workdir: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    require_program(shell.program)
    script = workdir / "script"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run(
        [*shell.argv, str(script)],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=180,
    )


def document(workdir: Path, name: str, fields: dict[str, str]) -> Path:
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


@pytest.mark.parametrize("shell", SHELL_PARAMS)
def test_new_keys_are_the_identity_both_sdks_see(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    env = identity_env(clean_env, require_javascript_sdk())
    steps = {
        "temporary": f"envgen import {document(tmp_path, 'temporary', TEMPORARY)} "
        f"--shell {shell.name}",
        "long-term": f"envgen import {document(tmp_path, 'long-term', LONG_TERM)} "
        f"--shell {shell.name}",
        "clear": f"envgen clear --shell {shell.name}",
    }
    lines = []
    for label, command in steps.items():
        lines.append(shell.apply.format(command=command))
        lines += readers(shell, tmp_path, label)

    completed = run_script(shell, lines, tmp_path, env)

    stderr = completed.stderr.decode(errors="replace")
    for reader in ("javascript", "botocore"):
        assert read(tmp_path, "temporary", reader) == {
            "accessKeyId": "ASIANEWTEMPORARY",
            "sessionToken": "new-session-token",
        }, f"{reader} after temporary keys; {stderr}"
        assert read(tmp_path, "long-term", reader) == {
            "accessKeyId": "AKIDNEWLONGTERM",
            "sessionToken": None,
        }, f"{reader} after long-term keys; {stderr}"
    after_clear = read(tmp_path, "clear", "dump")
    assert after_clear == dict.fromkeys(MANAGED), stderr


@pytest.mark.parametrize("shell_name", ["bash", "fish"])
def test_a_saved_profile_is_the_identity_both_sdks_see(
    shell_name: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    shell = real_shell(shell_name)
    env = identity_env(clean_env, require_javascript_sdk())
    env.update(AWS_ACCESS_KEY_ID="AKIDSTALEKEY", AWS_SECRET_ACCESS_KEY="stale-secret")
    command = (
        f"envgen import {document(tmp_path, 'temporary', TEMPORARY)} --shell {shell.name} "
        "--save-profile saved"
    )
    lines = [shell.apply.format(command=command), *readers(shell, tmp_path, "saved")]

    completed = run_script(shell, lines, tmp_path, env)

    stderr = completed.stderr.decode(errors="replace")
    for reader in ("javascript", "botocore"):
        assert read(tmp_path, "saved", reader) == {
            "accessKeyId": "ASIANEWTEMPORARY",
            "sessionToken": "new-session-token",
        }, f"{reader}; {stderr}"
    dump = read(tmp_path, "saved", "dump")
    assert dump["AWS_PROFILE"] == "saved"
    assert [
        dump[name]
        for name in (
            "AWS_DEFAULT_PROFILE",
            "AWS_SECURITY_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "AWS_SESSION_TOKEN",
        )
    ] == [None] * 4
