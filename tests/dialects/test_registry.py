"""The registry's shape: formats are not shells, each shell's persistence is data in its entry,
and rendering depends only on what it is handed."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from envgen.credentials import Changes
from envgen.dialects import FORMATS, SHELLS, Dialect, RenderContext, UnsupportedValue
from envgen.places import UserPlaces
from shell_harness import REAL_SHELLS
from windows_shells import WINDOWS_SHELLS

DIALECTS_PACKAGE = Path(__file__).resolve().parents[2] / "envgen" / "dialects"
DIALECT_MODULES = sorted(DIALECTS_PACKAGE.glob("*.py"))


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_format_is_no_shell_and_has_nothing_to_persist(name: str) -> None:
    output = FORMATS[name]
    assert not isinstance(output, Dialect)
    for shell_only in ("persistence", "render_persist", "render_startup_block", "apply_hint"):
        assert not hasattr(output, shell_only), shell_only


@pytest.mark.parametrize("name", list(SHELLS))
def test_every_shell_states_how_it_keeps_variables(name: str, tmp_path: Path) -> None:
    facts = SHELLS[name].persistence
    for windows in (False, True):
        places = UserPlaces(tmp_path, {}, windows=windows)
        if facts.kept_in_output(places) is None:
            # Kept through a startup file, then: a managed file of the shell's own kind.
            assert facts.startup_file is not None, f"{name} on windows={windows}"
            assert facts.startup_file(places).is_absolute()
            assert facts.managed_file.startswith("persist.")


def test_shells_that_share_a_startup_file_share_its_managed_file() -> None:
    # sh and ksh may both read ~/.profile: one managed file, one block, whichever wrote it.
    by_family: dict[str, set[str]] = {}
    for dialect in SHELLS.values():
        if dialect.persistence.managed_file:
            by_family.setdefault(dialect.family, set()).add(dialect.persistence.managed_file)
    assert all(len(names) == 1 for names in by_family.values()), by_family


def _imports(module: Path) -> set[str]:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return imported


@pytest.mark.parametrize("module", DIALECT_MODULES, ids=lambda path: path.name)
def test_dialects_know_nothing_of_persistence_code(module: Path) -> None:
    # envgen.persist acts on the facts the registry holds; the arrow points one way only.
    assert not {name for name in _imports(module) if name.startswith("envgen.persist")}


def _nodes(module: Path, wanted: Callable[[ast.AST], bool]) -> list[str]:
    """The source of every node of `module` that `wanted` picks."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return [ast.unparse(node) for node in ast.walk(tree) if wanted(node)]


def _reads_process_state(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and (node.value.id, node.attr) in {("os", "environ"), ("sys", "platform"), ("os", "name")}
    )


def _compares_a_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Compare) and any(
        isinstance(part, ast.Attribute) and part.attr == "name"
        for part in (node.left, *node.comparators)
    )


@pytest.mark.parametrize("module", DIALECT_MODULES, ids=lambda path: path.name)
def test_dialects_read_neither_the_environment_nor_the_platform(module: Path) -> None:
    assert _nodes(module, _reads_process_state) == []


@pytest.mark.parametrize("module", DIALECT_MODULES, ids=lambda path: path.name)
def test_dialects_do_not_branch_on_their_own_name(module: Path) -> None:
    assert _nodes(module, _compares_a_name) == []


def test_tcsh_locale_comes_from_the_context_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Long output with non-ASCII text, which tcsh reads back whole only in a UTF-8 locale.
    changes = Changes({"AWS_SESSION_TOKEN": "\u00e9" * 3000}, ())
    monkeypatch.setenv("LC_ALL", "C")
    assert SHELLS["tcsh"].render(changes, RenderContext(utf8_locale=True))
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    with pytest.raises(UnsupportedValue, match="tcsh outside a UTF-8 locale"):
        SHELLS["tcsh"].render(changes, RenderContext(utf8_locale=False))


@pytest.mark.parametrize(
    ("environ", "utf8"),
    [
        ({"LC_ALL": "C.UTF-8", "LANG": "C"}, True),
        ({"LC_ALL": "", "LC_CTYPE": "en_US.utf8"}, True),
        ({"LANG": "de_DE.UTF-8"}, True),
        ({"LC_ALL": "C", "LANG": "C.UTF-8"}, False),
        ({"LANG": "en_US.ISO-8859-1"}, False),
        ({}, False),
    ],
)
def test_the_context_reads_the_locale_as_the_c_library_does(
    environ: dict[str, str], utf8: bool
) -> None:
    assert RenderContext.from_environ(environ).utf8_locale is utf8


def test_every_registry_shell_is_run_for_real() -> None:
    # The real-shell tests iterate over the harnesses' tables: a shell missing from both
    # would be checked by no real shell at all.
    posix_like = {shell.name for shell in REAL_SHELLS}
    windows = {shell.name for shell in WINDOWS_SHELLS}
    assert posix_like | windows == set(SHELLS)
    assert not posix_like & windows
