"""Reading an input that is a file or `-` for stdin, with one-line errors that quote no content."""

from __future__ import annotations

import sys
from pathlib import Path

from envgen.errors import UsageError


def read_text(source: str, *, label: str = "", hint: str = "") -> tuple[str, str]:
    """The text of SOURCE (a path, or `-` for stdin) and a name for it in messages.

    `label` starts every message (an option name, say); `hint` ends it with what to do.
    """
    prefix = f"{label}: " if label else ""
    if source == "-":
        # Bytes, decoded here: the text-mode stdin would follow the locale,
        # and its decoding error would quote the offending bytes.
        try:
            return sys.stdin.buffer.read().decode("utf-8-sig"), "standard input"
        except UnicodeDecodeError:
            raise UsageError(f"{prefix}standard input: not UTF-8 text{hint}") from None
    path = Path(source).expanduser()
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except FileNotFoundError:
        raise UsageError(f"{prefix}{path}: no such file{hint}") from None
    except IsADirectoryError:
        raise UsageError(f"{prefix}{path}: is a directory{hint}") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise UsageError(f"{prefix}{path}: cannot read it ({reason})") from None
