"""Which startup file --persist edits: $ENV and $ZDOTDIR read as the shells read them.

dash and ksh expand parameters in $ENV (ksh a leading `~` too); zsh takes $ZDOTDIR literally.
A value envgen cannot expand the same way, or one that ends up relative, is refused: the
shell would read it relative to wherever it starts, so no file envgen could write is the one
it reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_program
from envgen.dialects import SHELLS
from envgen.places import UserPlaces
from envgen_process import ACCESS_KEY_ID, SECRET, assert_failed_cleanly, run_envgen
from shell_harness import DUMPER

PERSIST = ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET, "--persist"]


def _seen_by(argv: list[str], env: dict[str, str], cwd: Path, out: Path) -> str | None:
    """AWS_SECRET_ACCESS_KEY as a fresh interactive shell started in `cwd` exports it."""
    command = f"{sys.executable} {DUMPER} {out} AWS_SECRET_ACCESS_KEY"
    subprocess.run(
        [*argv, command],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    raw = json.loads(out.read_text())["AWS_SECRET_ACCESS_KEY"]
    return None if raw is None else bytes.fromhex(raw).decode()


@pytest.mark.parametrize(
    ("shell", "value", "relative"),
    [
        ("dash", "$HOME/${SHRC_DIR}/rc", "shrc/rc"),
        ("dash", "${HOME}/shrc/$SHRC_NAME", "shrc/rc"),
        ("ksh", "~/shrc/rc", "shrc/rc"),
        ("ksh", "$HOME/$SHRC_DIR/rc", "shrc/rc"),
    ],
)
def test_env_is_expanded_as_the_shell_expands_it(
    shell: str, value: str, relative: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    program = require_program(shell)
    home = Path(clean_env["HOME"])
    env = {**clean_env, "ENV": value, "SHRC_DIR": "shrc", "SHRC_NAME": "rc"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_envgen([*PERSIST, "--shell", shell], env, cwd=elsewhere)
    assert result.returncode == 0, result.stderr.decode()
    assert (home / relative).is_file()
    assert list(elsewhere.iterdir()) == []
    # The shell itself finds the block where envgen put it.
    assert _seen_by([program, "-i", "-c"], env, elsewhere, tmp_path / "seen.json") == SECRET
    cleared = run_envgen(["clear", "--persist", "--shell", shell], env, cwd=elsewhere)
    assert cleared.returncode == 0, cleared.stderr.decode()
    assert _seen_by([program, "-i", "-c"], env, elsewhere, tmp_path / "seen.json") is None


@pytest.mark.parametrize(
    ("shell", "variable", "value"),
    [
        ("dash", "ENV", "shrc"),  # relative
        ("dash", "ENV", "~/shrc"),  # dash leaves `~` alone: relative
        ("dash", "ENV", "$UNSET_DIRECTORY_NAME"),  # expands to nothing
        ("dash", "ENV", "$(pwd)/shrc"),  # a command envgen will not run
        ("ksh", "ENV", "`pwd`/shrc"),
        ("ksh", "ENV", "$((1+1))/shrc"),
        ("ksh", "ENV", "${HOME:-/tmp}/shrc"),
        ("sh", "ENV", "$HOME/it's/shrc"),
        ("zsh", "ZDOTDIR", "zdot"),
        ("zsh", "ZDOTDIR", "~/zdot"),  # zsh expands nothing in ZDOTDIR
        ("zsh", "ZDOTDIR", "$HOME/zdot"),
        ("zsh", "ZDOTDIR", ""),  # zsh then reads /.zshrc
    ],
)
@pytest.mark.parametrize("command", ["persist", "clear"])
def test_a_relative_or_unexpandable_place_is_refused(
    shell: str,
    variable: str,
    value: str,
    command: str,
    clean_env: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {**clean_env, variable: value}
    home = Path(clean_env["HOME"])
    workdir = tmp_path / "work"
    workdir.mkdir()
    args = (
        [*PERSIST, "--shell", shell]
        if command == "persist"
        else ["clear", "--persist", "--shell", shell]
    )
    message = assert_failed_cleanly(run_envgen(args, env, cwd=workdir))
    assert variable in message
    assert list(workdir.iterdir()) == []
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("windows", "macos", "environ", "expected"),
    [
        (False, False, {}, "home/.config/nushell/config.nu"),
        (False, True, {}, "home/Library/Application Support/nushell/config.nu"),
        (False, True, {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/nushell/config.nu"),
        (
            False,
            True,
            {"XDG_CONFIG_HOME": "relative"},
            "home/Library/Application Support/nushell/config.nu",
        ),
        (True, False, {"APPDATA": "/appdata"}, "/appdata/nushell/config.nu"),
    ],
)
def test_nushell_config_follows_the_platform_it_is_told(
    windows: bool, macos: bool, environ: dict[str, str], expected: str, tmp_path: Path
) -> None:
    # The platform comes in with the places, so every platform's rule is checked here.
    places = UserPlaces(tmp_path / "home", environ, windows=windows, macos=macos)
    rule = SHELLS["nu"].persistence.startup_file
    assert rule is not None
    assert rule(places) == tmp_path / expected
