"""A plain `pip install .` into a new virtual environment gives a working envgen anywhere.

The wheel must carry the templates: an installed envgen run from another directory has no
checkout beside it to find them in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values
from filelock import FileLock

from conftest import REPOSITORY
from envgen.credentials import MANAGED_VARIABLES, Changes
from envgen.dialects import FORMATS, SHELLS
from envgen.records import DEFAULT_WINDOW_SECONDS, Origin, key_digest, variables
from envgen.sources.imported import parse_document
from envgen_process import ACCESS_KEY_ID, FUTURE, SECRET, TOKEN, run_envgen, sts_document
from refusals import UTF8_LOCALE


def program(venv: Path, name: str) -> str:
    """A program of the virtual environment: in bin/, or on Windows Scripts/NAME.exe."""
    if os.name == "nt":
        return str(venv / "Scripts" / f"{name}.exe")
    return str(venv / "bin" / name)


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """One virtual environment per test run, shared by every xdist worker, holding the wheel."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has its own base inside the run's directory: build there once.
    root = base if worker_id == "master" else base.parent
    venv = root / "installed-venv"
    with FileLock(str(root / "installed-venv.lock")):
        if not (venv / "installed").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            build = subprocess.run(
                [
                    program(venv, "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-compile",
                    str(REPOSITORY),
                ],
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert build.returncode == 0, build.stdout + build.stderr
            (venv / "installed").touch()
    return venv


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory far from the checkout, holding the credentials file."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    (directory / "creds.json").write_text(sts_document())
    return directory


def test_the_install_is_a_copy_not_a_link_to_the_checkout(
    installed_venv: Path, elsewhere: Path, clean_env: dict[str, str]
) -> None:
    probe = (
        "import envgen, envgen.render; print(envgen.__file__); print(envgen.render.templates_dir())"
    )
    result = subprocess.run(
        [program(installed_venv, "python"), "-c", probe],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=clean_env,
        timeout=60,
        check=True,
    )
    module, templates = (Path(line) for line in result.stdout.splitlines())
    site_packages = next((installed_venv / "lib").glob("python*/site-packages"))
    assert module.is_relative_to(site_packages)
    assert templates == site_packages / "envgen" / "templates"
    assert REPOSITORY.as_posix() not in result.stdout
    assert sorted(p.name for p in templates.iterdir()) == sorted(
        p.name for p in (REPOSITORY / "templates").iterdir()
    )


@pytest.mark.parametrize("shell", list(SHELLS))
def test_the_installed_envgen_writes_for_every_shell(
    shell: str, installed_venv: Path, elsewhere: Path, clean_env: dict[str, str]
) -> None:
    envgen = program(installed_venv, "envgen")
    credentials = parse_document(sts_document(), "creds.json")
    origin = Origin("imported", key_digest(credentials.access_key_id))
    recorded = variables(origin, credentials.expiration, DEFAULT_WINDOW_SECONDS)
    for command, changes, values in (
        (
            ["import", "creds.json"],
            Changes.from_credentials(credentials, recorded),
            [ACCESS_KEY_ID, FUTURE],
        ),
        (["clear"], Changes.clearing(), []),
    ):
        installed = run_envgen(
            [*command, "--shell", shell], clean_env, cwd=elsewhere, executable=envgen
        )
        assert installed.returncode == 0, installed.stderr.decode()
        text = installed.stdout.decode()
        assert text.endswith("\n")
        for word in (*MANAGED_VARIABLES, *values):
            assert word in text
        # Byte for byte what the checkout renders, whose output the dialect tests check.
        assert text == SHELLS[shell].render(changes, UTF8_LOCALE)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_the_installed_envgen_writes_every_format(
    format_name: str, installed_venv: Path, elsewhere: Path, clean_env: dict[str, str]
) -> None:
    result = run_envgen(
        ["import", "creds.json", "--format", format_name],
        clean_env,
        cwd=elsewhere,
        executable=program(installed_venv, "envgen"),
    )
    assert result.returncode == 0, result.stderr.decode()
    if format_name == "json":
        assert json.loads(result.stdout) == {
            "Version": 1,
            "AccessKeyId": ACCESS_KEY_ID,
            "SecretAccessKey": SECRET,
            "SessionToken": TOKEN,
            "Expiration": FUTURE,
        }
    else:
        path = elsewhere / ".env"
        path.write_bytes(result.stdout)
        assert dotenv_values(path) == {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_SESSION_TOKEN": TOKEN,
            "AWS_CREDENTIAL_EXPIRATION": FUTURE,
            "AWS_SESSION_EXPIRATION": FUTURE,
        }


def test_the_installed_module_runs_with_python_dash_m(
    installed_venv: Path, elsewhere: Path, clean_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [
            program(installed_venv, "python"),
            "-m",
            "envgen",
            "import",
            "creds.json",
            "--shell",
            "fish",
        ],
        capture_output=True,
        cwd=elsewhere,
        env=clean_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"set -gx -- AWS_ACCESS_KEY_ID '{ACCESS_KEY_ID}';\n".encode())


def test_the_installed_distribution_carries_the_mit_license(
    installed_venv: Path, elsewhere: Path, clean_env: dict[str, str]
) -> None:
    probe = (
        "from importlib.metadata import distribution\n"
        "envgen = distribution('envgen')\n"
        "print(envgen.metadata['License-Expression'] or envgen.metadata['License'])\n"
        "licenses = [f for f in envgen.files if f.name == 'LICENSE']\n"
        "print(licenses[0].read_text() if licenses else 'no LICENSE file')\n"
    )
    result = subprocess.run(
        [program(installed_venv, "python"), "-c", probe],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=clean_env,
        timeout=60,
        check=True,
    )
    expression, text = result.stdout.split("\n", 1)
    assert expression == "MIT"
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the envgen authors\n")
    assert text.rstrip("\n") == (REPOSITORY / "LICENSE").read_text().rstrip("\n")
