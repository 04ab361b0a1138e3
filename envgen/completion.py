"""Shell completion: profile names straight from the AWS config files, and its installation.

Completion runs on every TAB, so it reads the files itself (envgen.config_files)
instead of importing botocore. The scripts are typer's, asked for through click's
public completion classes; installing one is envgen's own, with the care --persist
takes: the script goes into a file of envgen's, and the startup file gets one marked
block whose path is quoted for the shell, written atomically, added once.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envgen.errors import UsageError
from envgen.launch import COMPLETE_VARIABLE as COMPLETE_VARIABLE

if TYPE_CHECKING:
    from envgen.places import UserPlaces

PROGRAM = "envgen"
# Shells typer writes a completion script for.
COMPLETION_SHELLS = ("bash", "zsh", "fish", "pwsh", "powershell")

# zsh's script registers itself with compdef, which exists only once compinit has run;
# most setups run it earlier in .zshrc, and running it twice would slow every start.
_ZSH_PREAMBLE = "(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }\n"


def complete_profile_names(incomplete: str) -> list[str]:
    """Profiles of AWS_CONFIG_FILE / ~/.aws/config and AWS_SHARED_CREDENTIALS_FILE /
    ~/.aws/credentials whose names start with what was typed so far."""
    from envgen.config_files import profile_names

    return sorted(name for name in profile_names() if name.startswith(incomplete))


def register_completion_protocol() -> None:
    """Make click answer completion requests with typer's classes, which the scripts expect.

    typer registers them only while it builds its own --install-completion option, which
    envgen leaves out; its public `typer.completion` module names the registration.
    """
    from typer.completion import completion_init

    completion_init()


def completion_script(shell: str) -> str:
    """The script that makes `shell` ask envgen for completions: typer's, which speaks the
    protocol register_completion_protocol sets up."""
    from typer.completion import get_completion_script

    check_shell(shell)
    script = get_completion_script(prog_name=PROGRAM, complete_var=COMPLETE_VARIABLE, shell=shell)
    return script + "\n"


def check_shell(shell: str) -> None:
    if shell not in COMPLETION_SHELLS:
        raise UsageError(
            f"completion is available for {', '.join(COMPLETION_SHELLS)}, not {shell}; "
            "name one: envgen completion install|show|uninstall --shell NAME"
        )


@dataclasses.dataclass
class FishCompletionFile:
    """fish loads completions/envgen.fish by itself: no startup file to edit."""

    path: Path
    script: str | None  # None removes it
    outcome: str = ""

    @property
    def keeps(self) -> bool:
        return self.script is not None

    @property
    def report(self) -> str:
        return self.outcome

    def apply(self) -> None:
        from envgen.persist import atomic

        if self.script is None:
            atomic.remove_file(self.path)
            # An empty completions directory is one the install made; fish needs none.
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()
            return
        atomic.make_directory(self.path.parent)
        # Its content never varies, so concurrent installs need no lock: the last
        # rename wins with the same bytes.
        atomic.replace_file(self.path, self.script.encode("utf-8"), atomic.PRIVATE_MODE)


def plan_completion(shell: str, script: str | None, places: UserPlaces | None = None) -> Any:
    """How to install (`script`) or uninstall (None) completion for `shell`; every message
    is worded and every path checked before anything is written."""
    from envgen.dialects import shell_named
    from envgen.persist.startup_file import COMPLETION_MARKERS, ManagedBlock
    from envgen.places import UserPlaces

    check_shell(shell)
    places = places or UserPlaces.current()
    if shell == "fish":
        path = places.config_home / "fish" / "completions" / f"{PROGRAM}.fish"
        if script is not None:
            return FishCompletionFile(path, script, f"installed fish completion in {path}")
        outcome = f"removed {path}" if path.is_file() else "no fish completion to remove"
        return FishCompletionFile(path, None, outcome)
    if shell in ("pwsh", "powershell") and places.windows:
        raise UsageError(
            f"installing {shell} completion on Windows is not supported; add the output of "
            f"`envgen completion show --shell {shell}` to your $PROFILE"
        )
    dialect = shell_named(shell)
    if dialect.persistence.startup_file is None:
        raise UsageError(f"{shell} has no startup file for envgen to load completion from")
    startup_file = dialect.persistence.startup_file(places)
    # PowerShell dot-sources only a .ps1 file.
    suffix = "ps1" if shell in ("pwsh", "powershell") else shell
    managed_file = places.envgen_directory / f"completion.{suffix}"
    if script is not None and shell == "zsh":
        script = _ZSH_PREAMBLE + script
    planned = ManagedBlock(
        shell=shell,
        managed_file=managed_file,
        managed_text=script,
        startup_file=startup_file,
        block_body=dialect.render_startup_block(managed_file),
        markers=COMPLETION_MARKERS,
    )
    if script is not None:
        planned.outcome = (
            f"installed {shell} completion in {managed_file}, loaded by {startup_file}; "
            "it takes effect in new shells"
        )
    else:
        removed = planned.removal_parts()
        planned.outcome = (
            f"removed {' and '.join(removed)}" if removed else f"no {shell} completion to remove"
        )
    return planned
