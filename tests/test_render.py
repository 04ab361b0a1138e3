"""Templates compiled ahead of time render exactly as Jinja2 renders them, and only when they
are the templates as they are now."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import REPOSITORY
from envgen import compiled_templates, render
from envgen.credentials import Changes, Credentials
from envgen.dialects import FORMATS, SHELLS, RenderContext, UnsupportedValue, base, cmd, csh, nu
from envgen.errors import UsageError

HOSTILE = 'it\'s $(id) `id` %PATH% !x \\ "q" ‘’ é\t\x7f'


def test_the_compiled_templates_are_up_to_date() -> None:
    """Each compiled template is the template as it is now; under the Jinja2 that compiled
    them (another release may write other code, which envgen runs all the same), the file is
    what scripts/compile-templates writes today."""
    import jinja2

    for name, (source, _variables, _code) in compiled_templates.TEMPLATES.items():
        current = (render.templates_dir() / name).read_text(encoding="utf-8")
        assert source == current, f"{name} changed: run scripts/compile-templates"
    if jinja2.__version__ == compiled_templates.JINJA2_VERSION:
        written = (REPOSITORY / "envgen" / "compiled_templates.py").read_text(encoding="utf-8")
        assert written == render.compiled_templates_source(), (
            "a template changed or was added: run scripts/compile-templates"
        )


def test_the_templates_shells_use_most_are_compiled() -> None:
    assert {"posix/set.j2", "fish/set.j2", "powershell/set.j2", "dotenv/set.j2"} <= set(
        compiled_templates.TEMPLATES
    )


def every_rendering(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, object]]]:
    """Each template and the variables the dialects render it with, over credentials with
    and without a token, hostile values, clearing, and a startup block's path."""
    calls: list[tuple[str, dict[str, object]]] = []
    original = render.render_template

    def recording(name: str, **context: object) -> str:
        calls.append((name, context))
        return original(name, **context)

    for module in (base, cmd, csh, nu):
        monkeypatch.setattr(module, "render_template", recording)
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    changes = [
        Changes.from_credentials(
            Credentials("ASIAEXAMPLE", "secret/+=", "token", expiration=later, region="eu-west-1")
        ),
        Changes.from_credentials(Credentials("AKIAEXAMPLE", HOSTILE)),
        Changes.from_credentials(Credentials("AKIAEXAMPLE", "x" * 5000, "y" * 3000)),
        Changes.clearing(),
    ]
    for utf8 in (True, False):
        context = RenderContext(utf8_locale=utf8)
        for output in [*SHELLS.values(), *FORMATS.values()]:
            for change in changes:
                try:
                    output.render(change, context)
                # A value the target cannot carry; JSON of a clearing, which has no keys.
                except (UnsupportedValue, UsageError):
                    pass
                persist = render.templates_dir() / output.family / "persist.j2"
                if isinstance(output, base.Dialect) and persist.exists():
                    try:
                        output.render_persist(change)
                    except UnsupportedValue:
                        pass
            block = render.templates_dir() / output.family / "persist-block.j2"
            if isinstance(output, base.Dialect) and block.exists():
                for path in ("/home/u/.config/envgen/env", "/tmp/it's a $(path)"):
                    try:
                        output.render_startup_block(Path(path))
                    except UnsupportedValue:
                        pass
    return calls


def test_compiled_templates_render_as_jinja_does(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = every_rendering(monkeypatch)
    compiled = {name for name, _context in calls if name in compiled_templates.TEMPLATES}
    assert compiled >= {"posix/set.j2", "fish/set.j2", "posix/persist-block.j2"}
    for name, context in calls:
        by_jinja = render.environment().get_template(name).render(**context)
        assert render.render_template(name, **context) == by_jinja, name


def test_rendering_a_compiled_template_loads_no_jinja() -> None:
    probe = (
        "import sys; from envgen.render import render_template; "
        "out = render_template('posix/set.j2', assignments=[('A', \"'b'\")], unsets=['C']); "
        "print(repr(out), 'jinja2' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == "\"export A='b';\\nunset C;\\n\" False\n"


def test_a_template_changed_since_it_was_compiled_renders_through_jinja(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, variables, code = compiled_templates.TEMPLATES["posix/set.j2"]
    # Code compiled from an older text of the template: it must not be run.
    stale = code.replace("yield 'export '", "yield 'stale '")
    monkeypatch.setitem(
        compiled_templates.TEMPLATES, "posix/set.j2", (source + "{# old #}", variables, stale)
    )
    render._load.cache_clear()
    try:
        out = render.render_template("posix/set.j2", assignments=[("A", "'b'")], unsets=[])
    finally:
        render._load.cache_clear()
    assert out == "export A='b';\n"


def test_a_variable_left_out_is_jinjas_error() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError, match="unsets"):
        render.render_template("posix/set.j2", assignments=[])


def test_code_that_needs_more_of_jinja_is_not_compiled() -> None:
    env = render.environment()
    for text in ("{{ x | length }}", "{{ x.y }}", "{% for a in b %}{{ loop.index }}{% endfor %}"):
        assert render.compiled_code_needs(env.compile(text, raw=True)) is None, text
    assert render.compiled_code_needs(env.compile("{{ a }}{{ b }}", raw=True)) == ("a", "b")
