"""The CI set-up: which missing programs fail a test under CI, and the GitHub Actions workflow
that runs the suite on Linux, macOS and Windows."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import conftest
from conftest import REPOSITORY, require_program

WORKFLOW = REPOSITORY / ".github" / "workflows" / "ci.yml"


@pytest.fixture
def nothing_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.usefixtures("nothing_installed")
@pytest.mark.parametrize(
    ("platform", "program"),
    [("linux", "fish"), ("linux", "node"), ("darwin", "fish"), ("win32", "pwsh"), ("win32", "cmd")],
)
def test_under_ci_a_program_ci_installs_there_fails_when_missing(
    platform: str, program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(pytest.fail.Exception, match=f"{program} is not installed"):
        require_program(program)


@pytest.mark.usefixtures("nothing_installed")
@pytest.mark.parametrize(
    ("platform", "program"),
    [("win32", "fish"), ("win32", "tcsh"), ("darwin", "busybox"), ("linux", "pwsh")],
)
def test_under_ci_a_program_the_platform_cannot_have_skips(
    platform: str, program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GitHub sets CI=true on every runner: fish cannot be had on Windows, nor cmd on Linux.
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(pytest.skip.Exception, match=f"{program} is not installed"):
        require_program(program)


@pytest.mark.usefixtures("nothing_installed")
def test_outside_ci_a_missing_program_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="fish is not installed"):
        require_program("fish")


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _steps(runner_os: str) -> list[dict[str, Any]]:
    """The steps that run on `runner_os` (Linux, macOS, Windows)."""
    steps = _workflow()["jobs"]["test"]["steps"]
    return [
        step
        for step in steps
        if step.get("if", f"runner.os == '{runner_os}'") == f"runner.os == '{runner_os}'"
    ]


def test_the_workflow_runs_every_supported_python_on_three_systems() -> None:
    workflow = _workflow()
    # YAML 1.1 reads the key `on` as true.
    assert set(workflow[True]) == {"push", "pull_request"}
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    pyproject = (REPOSITORY / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'requires-python = ">=3\.(\d+)"', pyproject)
    assert floor is not None
    assert matrix["python"] == [f"3.{minor}" for minor in range(int(floor[1]), 14)]
    assert workflow["jobs"]["test"]["strategy"]["fail-fast"] is False


def test_linux_runs_ci_run_and_the_others_the_readme_test_command() -> None:
    assert [step["run"] for step in _steps("Linux") if "run" in step] == ["bash .ci/run"]
    assert [step["run"] for step in _steps("macOS") if "run" in step][-1] == "scripts/test"
    (windows,) = [step for step in _steps("Windows") if "run" in step]
    assert (windows["shell"], windows["run"]) == ("bash", "scripts/test")
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    assert "\n    scripts/test\n" in readme


# What macOS has of itself or on GitHub's runner image; Homebrew installs the rest.
MACOS_OWN = {"zsh", "dash", "ksh", "tcsh", "csh", "ps", "node", "pwsh"}
FORMULA_PROGRAMS = {"nushell": "nu"}


def test_macos_installs_what_conftest_expects_there() -> None:
    (install,) = [step["run"] for step in _steps("macOS") if step.get("run", "").startswith("brew")]
    formulae = install.split()[2:]
    installed = {FORMULA_PROGRAMS.get(formula, formula) for formula in formulae}
    assert installed | MACOS_OWN == conftest.CI_PROGRAMS["darwin"]


def test_posix_only_tests_skip_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    conftest.posix_only("a pseudo-terminal")  # runs here
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(pytest.skip.Exception, match="POSIX only: needs a pseudo-terminal"):
        conftest.posix_only("a pseudo-terminal")
