"""The one Jinja2 environment over templates/, shared by every dialect."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

_PACKAGE_DIR = Path(__file__).resolve().parent


def templates_dir() -> Path:
    # An installed wheel carries the templates inside the package; a source
    # checkout (or an editable install) keeps them at the top of the repository.
    for candidate in (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"envgen's templates are missing: looked in {_PACKAGE_DIR}")


@functools.cache
def _environment() -> jinja2.Environment:
    # Imported here so commands that render nothing never pay for Jinja2.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context)
