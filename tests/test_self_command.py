"""The command that starts this envgen again, and the one line that carries it to botocore."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from botocore.compat import compat_shell_split

from conftest import ENVGEN
from envgen.self_command import command_line, running_envgen

# Each word is what a path or a profile name may hold and a splitter may get wrong.
AWKWARD_WORDS = [
    r"C:\Program Files\envgen\envgen.exe",
    "/home/o'brien/my tools/envgen",
    'say "hi"',
    "ends in a backslash\\",
    "two\\\\",
    'back\\"quote',
    "tab\there",
    "",
    "$HOME `id` $(id) %PATH% !x ^y &z |w ;v <u >t *s ?r [q] {p} ~o #n",
    '--profile=ops it\'s "blue"',
    "ünïcödé ✓",
]


@pytest.mark.parametrize("windows", [False, True], ids=["posix", "windows"])
def test_every_word_comes_back_from_botocores_own_splitting(windows: bool) -> None:
    line = command_line(AWKWARD_WORDS, windows=windows)
    assert compat_shell_split(line, "win32" if windows else "linux") == AWKWARD_WORDS


@pytest.mark.parametrize("word", AWKWARD_WORDS)
@pytest.mark.parametrize("windows", [False, True], ids=["posix", "windows"])
def test_each_word_alone_comes_back(word: str, windows: bool) -> None:
    words = ["envgen", word, "assume"]
    line = command_line(words, windows=windows)
    assert compat_shell_split(line, "win32" if windows else "linux") == words


def test_the_console_script_it_was_started_as_is_named_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "bin" / "envgen"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    assert running_envgen("bin/envgen", "/usr/bin/python3", windows=False) == [str(script)]


def test_the_windows_launcher_is_named_with_its_extension(tmp_path: Path) -> None:
    launcher = tmp_path / "Scripts" / "envgen.exe"
    launcher.parent.mkdir()
    launcher.write_bytes(b"MZ")
    started_as = str(tmp_path / "Scripts" / "envgen")
    assert running_envgen(started_as, "python.exe", windows=True) == [str(launcher)]


def test_run_as_a_module_it_names_the_interpreter_and_the_module(tmp_path: Path) -> None:
    interpreter = tmp_path / "venv" / "bin" / "python"
    main = tmp_path / "site" / "envgen" / "__main__.py"
    assert running_envgen(str(main), str(interpreter), windows=False) == [
        str(interpreter),
        "-m",
        "envgen",
    ]


@pytest.mark.posix("symlinks without privileges")
def test_the_interpreter_is_not_resolved_out_of_its_virtual_environment(tmp_path: Path) -> None:
    real = tmp_path / "python3.11"
    real.write_text("")
    linked = tmp_path / "venv" / "bin" / "python"
    linked.parent.mkdir(parents=True)
    linked.symlink_to(real)
    main = tmp_path / "envgen" / "__main__.py"
    assert running_envgen(str(main), str(linked), windows=False)[0] == str(linked)


def test_run_inside_another_program_it_names_the_script_beside_the_interpreter() -> None:
    # As under pytest: argv[0] is no envgen at all.
    assert running_envgen(sys.argv[0]) == [ENVGEN]


def test_without_a_script_beside_the_interpreter_it_runs_the_module(tmp_path: Path) -> None:
    interpreter = tmp_path / "python"
    assert running_envgen("/usr/bin/pytest", str(interpreter), windows=os.name == "nt") == [
        str(interpreter),
        "-m",
        "envgen",
    ]
