"""--persist and clear --persist in the real shells: what a fresh shell sees afterwards.

Each shell gets a private HOME with a startup file of its own content. Hostile values are
packed into the three credential fields, so one envgen run carries every one of them.
A fresh shell, started the way a user starts one (so it reads its startup file), then
reports what it exported, byte for byte, through dump_environment.py.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import require_program
from envgen.dialects import SHELLS as DIALECTS
from envgen.places import UserPlaces
from envgen_in_process import invoke_envgen
from hostile_values import carried_values
from shell_harness import KEEP, MANAGED, REAL_SHELLS, RealShell, fresh_session, real_shell

EXPIRATION = "2099-01-31T12:00:00Z"
BLOCK = re.compile(rb"# >>> envgen --persist >>>[^\n]*\n.*?# <<< envgen --persist <<<\r?\n", re.S)


def _applies_output(shell: RealShell) -> bool:
    """Whether the output's own commands keep the values (fish), by the registry's facts."""
    return DIALECTS[shell.name].persistence.kept_in_output(UserPlaces.current()) is not None


def _hostile_fields(shell: str, rotation: int) -> dict[str, str]:
    """Every value the shell must carry, packed into the three credential fields.

    The first and last value of each field change with `rotation`, so values that are
    special at an edge (a leading dash, a trailing newline or backslash) sit there once.
    """
    values = [value for _, value in carried_values(shell)]
    if shell == "csh":
        # bsd-csh stops at "Word too long" near 8 KiB, in eval and source alike: how the
        # dialect deals with that belongs to its own tests, not to persistence.
        values = [value for value in values if len(value) < 4000]
    values = values[rotation:] + values[:rotation]
    thirds = [values[i::3] for i in range(3)]
    return {
        "AccessKeyId": "".join(thirds[0]),
        "SecretAccessKey": "".join(thirds[1]),
        "SessionToken": "".join(thirds[2]),
    }


def _import_document(tmp_path: Path, fields: dict[str, str], name: str) -> Path:
    document = tmp_path / name
    document.write_text(
        json.dumps({"Credentials": {**fields, "Expiration": EXPIRATION}}), encoding="utf-8"
    )
    return document


def _expected(fields: dict[str, str], region: str) -> dict[str, str | None]:
    return {
        "AWS_ACCESS_KEY_ID": fields["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": fields["SecretAccessKey"],
        "AWS_SESSION_TOKEN": fields.get("SessionToken"),
        "AWS_CREDENTIAL_EXPIRATION": EXPIRATION,
        "AWS_SESSION_EXPIRATION": EXPIRATION,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


def _apply_output(case: RealShell, env: dict[str, str], output: bytes, tmp_path: Path) -> None:
    """Run envgen's output in the shell, the way `envgen ... | source` does."""
    script = tmp_path / "envgen-output.fish"
    script.write_bytes(output)
    done = subprocess.run(
        [case.program, "-c", f"source {script}"], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def _persist(case: RealShell, env: dict[str, str], tmp_path: Path, args: list[str]) -> str:
    result = invoke_envgen([*args, "--shell", case.name], env)
    assert result.returncode == 0, result.stderr.decode()
    if _applies_output(case):
        _apply_output(case, env, result.stdout, tmp_path)
    return result.stderr.decode()


def _persist_example_keys(shell: str, secret: str = "secret") -> list[str]:
    """The command line that persists an example key pair for `shell`."""
    return [
        "import",
        "--access-key-id",
        "AKIAEXAMPLE",
        "--secret-access-key",
        secret,
        "--persist",
        "--shell",
        shell,
    ]


def _without_blocks(data: bytes) -> tuple[bytes, int]:
    return BLOCK.subn(b"", data)


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.name, marks=pytest.mark.shell(case.name)) for case in REAL_SHELLS],
)
@pytest.mark.posix("file modes")
def test_persist_then_clear_in_a_fresh_shell(
    case: RealShell, clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program(case.program)
    config = Path(clean_env["XDG_CONFIG_HOME"])
    startup = case.startup_file(clean_env) if case.startup else None
    if startup is not None:
        startup.parent.mkdir(parents=True, exist_ok=True)
        startup.write_bytes(case.startup_text)
    env = dict(clean_env)
    out = tmp_path / "seen.json"
    region = "eu-west-1"
    env_with_region = {**env, "AWS_REGION": region}

    # First --persist: every hostile value reaches a fresh shell exactly.
    first = _hostile_fields(case.name, 0)
    stderr = _persist(
        case,
        env_with_region,
        tmp_path,
        ["import", str(_import_document(tmp_path, first, "first.json")), "--persist"],
    )
    assert "expire" in stderr
    seen = fresh_session(case, env, out).seen
    for name, value in _expected(first, region).items():
        assert seen[name] == value, name
    if startup is not None:
        managed = config / "envgen"
        (managed_file,) = [p for p in managed.iterdir() if not p.name.endswith(".lock")]
        assert stat.S_IMODE(managed_file.stat().st_mode) == 0o600
        assert str(managed_file) in stderr and str(startup) in stderr
        assert seen[KEEP] == "kept"
        rest, blocks = _without_blocks(startup.read_bytes())
        assert blocks == 1
        assert rest == case.startup_text + (b"" if case.startup_text.endswith(b"\n") else b"\n")

    # Second --persist: new values replace the old ones; still one block.
    second = _hostile_fields(case.name, 1)
    second.pop("SessionToken")
    # Another region too; only region names pass --region, so the hostile values are the keys'.
    _persist(
        case,
        env,
        tmp_path,
        [
            "import",
            str(_import_document(tmp_path, second, "second.json")),
            "--persist",
            "--region",
            "ap-southeast-2",
        ],
    )
    seen = fresh_session(case, env, out).seen
    for name, value in _expected(second, "ap-southeast-2").items():
        assert seen[name] == value, name
    if startup is not None:
        rest, blocks = _without_blocks(startup.read_bytes())
        assert blocks == 1
        assert rest == case.startup_text + (b"" if case.startup_text.endswith(b"\n") else b"\n")

    # clear --persist: a fresh shell sees none of them, and the startup file is as it was.
    stderr = _persist(case, env, tmp_path, ["clear", "--persist"])
    seen = fresh_session(case, env, out).seen
    assert all(seen[name] is None for name in MANAGED), seen
    if startup is not None:
        assert startup.read_bytes() == case.startup_text
        assert not (config / "envgen" / managed_file.name).exists()
        assert seen[KEEP] == "kept"


@pytest.mark.parametrize("shell", ["bash", "nu", "elvish", "xonsh", "tcsh"])
def test_missing_startup_file_is_created(
    shell: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    case = real_shell(shell)
    require_program(case.program)
    startup = case.startup_file(clean_env)
    assert not startup.exists()
    result = invoke_envgen(
        _persist_example_keys(shell, secret="s3cr'et!"),
        clean_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert startup.exists()
    seen = fresh_session(case, clean_env, tmp_path / "seen.json").seen
    assert seen["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLE"
    assert seen["AWS_SECRET_ACCESS_KEY"] == "s3cr'et!"


@pytest.mark.posix("symlinks without privileges")
def test_symlinked_startup_file_stays_a_link(clean_env: dict[str, str], tmp_path: Path) -> None:
    require_program("bash")
    home = Path(clean_env["HOME"])
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_bytes(b"export ENVGEN_TEST_KEEP=kept\n")
    (home / ".bashrc").symlink_to(dotfiles / "bashrc")
    args = _persist_example_keys("bash")
    assert invoke_envgen(args, clean_env).returncode == 0
    assert (home / ".bashrc").is_symlink()
    assert b"envgen --persist" in (dotfiles / "bashrc").read_bytes()
    assert invoke_envgen(["clear", "--persist", "--shell", "bash"], clean_env).returncode == 0
    assert (home / ".bashrc").is_symlink()
    assert (dotfiles / "bashrc").read_bytes() == b"export ENVGEN_TEST_KEEP=kept\n"


def test_a_refused_value_leaves_every_file_untouched(clean_env: dict[str, str]) -> None:
    home, config = Path(clean_env["HOME"]), Path(clean_env["XDG_CONFIG_HOME"])
    (home / ".tcshrc").write_bytes(b"# mine\n")
    # tcsh cannot carry a newline: the refusal must come before any write.
    result = invoke_envgen(
        _persist_example_keys("tcsh", secret="two\nlines"),
        clean_env,
    )
    assert result.returncode != 0 and result.stdout == b""
    assert result.stderr.decode().count("\n") == 1
    assert (home / ".tcshrc").read_bytes() == b"# mine\n"
    assert not (config / "envgen").exists()


def test_persist_with_a_format_is_refused(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(
        [
            "import",
            "--access-key-id",
            "AKIAEXAMPLE",
            "--secret-access-key",
            "secret",
            "--persist",
            "--format",
            "dotenv",
        ],
        clean_env,
    )
    assert result.returncode == 2 and result.stdout == b""
    assert "--persist" in result.stderr.decode()


def test_persist_and_save_profile_keep_the_profile_name(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program("bash")
    (Path(clean_env["HOME"]) / ".bashrc").write_bytes(b"")
    result = invoke_envgen(
        [
            "import",
            "--access-key-id",
            "AKIAEXAMPLE",
            "--secret-access-key",
            "secret",
            "--session-token",
            "token",
            "--persist",
            "--save-profile",
            "work",
            "--shell",
            "bash",
        ],
        clean_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    names = ("AWS_PROFILE", "AWS_SECRET_ACCESS_KEY")
    seen = fresh_session(real_shell("bash"), clean_env, tmp_path / "seen.json", names=names).seen
    assert seen["AWS_PROFILE"] == "work"
    assert seen["AWS_SECRET_ACCESS_KEY"] is None
    assert os.path.exists(clean_env["AWS_SHARED_CREDENTIALS_FILE"])


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with a file's bytes (None for a directory)."""
    return {
        str(path.relative_to(root)): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("shell", ["bash", "nu", "elvish", "xonsh", "tcsh"])
def test_clear_removes_the_startup_file_persist_created(
    shell: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    case = real_shell(shell)
    require_program(case.program)
    home, config = Path(clean_env["HOME"]), Path(clean_env["XDG_CONFIG_HOME"])
    startup = case.startup_file(clean_env)
    config.mkdir()
    (config / "other-tool.conf").write_text("mine\n")
    before = _tree(home)
    persisted = invoke_envgen(
        _persist_example_keys(shell),
        clean_env,
    )
    assert persisted.returncode == 0, persisted.stderr.decode()
    assert startup.exists()
    cleared = invoke_envgen(["clear", "--persist", "--shell", shell], clean_env)
    assert cleared.returncode == 0, cleared.stderr.decode()
    assert str(startup) in cleared.stderr.decode()
    # Gone again: the startup file, the directory made for it, the managed file, the lock.
    assert _tree(home) == before


def test_clear_keeps_a_created_startup_file_the_user_added_to(clean_env: dict[str, str]) -> None:
    require_program("bash")
    home = Path(clean_env["HOME"])
    persist = _persist_example_keys("bash")
    assert invoke_envgen(persist, clean_env).returncode == 0
    with (home / ".bashrc").open("ab") as startup:
        startup.write(b"alias ll='ls -l'\n")
    # A second --persist keeps what the marker says about the file's origin.
    assert invoke_envgen(persist, clean_env).returncode == 0
    assert invoke_envgen(["clear", "--persist", "--shell", "bash"], clean_env).returncode == 0
    assert (home / ".bashrc").read_bytes() == b"alias ll='ls -l'\n"


def test_clear_leaves_no_lock_file(clean_env: dict[str, str]) -> None:
    require_program("bash")
    home, config = Path(clean_env["HOME"]), Path(clean_env["XDG_CONFIG_HOME"])
    (home / ".bashrc").write_bytes(b"# mine\n")
    (home / ".tcshrc").write_bytes(b"# mine too\n")
    for shell in ("bash", "tcsh"):
        assert (
            invoke_envgen(
                _persist_example_keys(shell),
                clean_env,
            ).returncode
            == 0
        )
    assert invoke_envgen(["clear", "--persist", "--shell", "bash"], clean_env).returncode == 0
    # tcsh's values are still kept; only the lock has gone.
    assert sorted(p.name for p in (config / "envgen").iterdir()) == ["persist.csh"]
    assert invoke_envgen(["clear", "--persist", "--shell", "tcsh"], clean_env).returncode == 0
    assert not (config / "envgen").exists()
    assert (home / ".bashrc").read_bytes() == b"# mine\n"
    assert (home / ".tcshrc").read_bytes() == b"# mine too\n"


@pytest.mark.shell("fish")
def test_clear_persist_erases_universal_profile_variables_in_fish(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    fish = require_program("fish")
    seeded = subprocess.run(
        [
            fish,
            "-c",
            "set -Ux AWS_PROFILE old; set -Ux AWS_DEFAULT_PROFILE gone; "
            "set -Ux AWS_SECURITY_TOKEN stale",
        ],
        env=clean_env,
        capture_output=True,
        timeout=60,
    )
    assert seeded.returncode == 0, seeded.stderr

    cleared = subprocess.run(
        [fish, "-c", "envgen clear --persist --shell fish | source"],
        env=clean_env,
        capture_output=True,
        timeout=60,
    )
    assert cleared.returncode == 0, cleared.stderr

    later = subprocess.run(
        [
            fish,
            "-c",
            "set --names -U; printf '[%s]' $AWS_PROFILE $AWS_DEFAULT_PROFILE $AWS_SECURITY_TOKEN",
        ],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert later.stdout.endswith("[]") and "AWS_" not in later.stdout, later.stdout
