"""Reading an input that is a file or `-` for stdin, with one-line errors that quote no content.

Every read is bounded: at most `limit` bytes are taken in (one more, to tell that there was
more), and a path must name a regular file. A FIFO would block until someone writes to it and a
device such as /dev/zero never ends, so both are refused before they are opened for reading.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from envgen.errors import UsageError

# Far more than any credentials document (a few kilobytes), far less than would hurt to hold.
DEFAULT_LIMIT = 1024 * 1024
_CHUNK = 64 * 1024


def describe_size(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_at_most(read: Callable[[int], bytes], limit: int) -> bytes:
    """Up to limit + 1 bytes from `read(n)`, which returns b"" at the end."""
    chunks: list[bytes] = []
    taken = 0
    while taken <= limit:
        chunk = read(min(_CHUNK, limit + 1 - taken))
        if not chunk:
            break
        chunks.append(chunk)
        taken += len(chunk)
    return b"".join(chunks)


def _stdin_bytes(limit: int) -> bytes:
    from envgen.streams import current

    stdin = current().stdin
    if stdin is None:
        return b""
    reader = getattr(stdin, "buffer", None)
    if reader is None:
        # A text stream without bytes underneath (an embedding host's, say).
        return _read_at_most(lambda n: stdin.read(n).encode("utf-8"), limit)
    return _read_at_most(reader.read, limit)


def _file_bytes(path: Path, limit: int, prefix: str, hint: str) -> bytes:
    try:
        found = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{prefix}{path}: no such file{hint}") from None
    except OSError as error:
        raise UsageError(f"{prefix}{path}: cannot read it ({error.strerror})") from None
    if stat.S_ISDIR(found.st_mode):
        raise UsageError(f"{prefix}{path}: is a directory{hint}")
    if not stat.S_ISREG(found.st_mode):
        raise UsageError(
            f"{prefix}{path}: is {_kind(found.st_mode)}, not a regular file; give a file, "
            "or - to read stdin"
        )
    # O_NONBLOCK: should the path have become a FIFO since the check, opening it still
    # returns at once and the check below refuses it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise UsageError(f"{prefix}{path}: cannot read it ({error.strerror})") from None
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            raise UsageError(
                f"{prefix}{path}: is {_kind(opened.st_mode)}, not a regular file; give a file, "
                "or - to read stdin"
            )
        return _read_at_most(lambda n: os.read(descriptor, n), limit)
    except OSError as error:
        raise UsageError(f"{prefix}{path}: cannot read it ({error.strerror})") from None
    finally:
        os.close(descriptor)


def check_readable_file(path: Path, limit: int, label: str) -> None:
    """Refuse PATH, which another program will read whole, unless it is a regular file of at
    most `limit` bytes."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{label}: {path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{label}: {path}: cannot read it ({error.strerror})") from None
    if not stat.S_ISREG(found.st_mode):
        kind = "a directory" if stat.S_ISDIR(found.st_mode) else _kind(found.st_mode)
        raise UsageError(f"{label}: {path} is {kind}, not a regular file; point it at a file")
    if found.st_size > limit:
        raise UsageError(
            f"{label}: {path} is more than {describe_size(limit)}, larger than any valid input"
        )


def read_text(
    source: str, *, label: str = "", hint: str = "", limit: int = DEFAULT_LIMIT
) -> tuple[str, str]:
    """The text of SOURCE (a path, or `-` for stdin) and a name for it in messages.

    `label` starts every message (an option name, say); `hint` ends it with what to do;
    `limit` is the most bytes accepted.
    """
    prefix = f"{label}: " if label else ""
    if source == "-":
        origin = "standard input"
        # Bytes, decoded here: the text-mode stdin would follow the locale,
        # and its decoding error would quote the offending bytes.
        try:
            data = _stdin_bytes(limit)
        except OSError as error:
            raise UsageError(f"{prefix}{origin}: cannot read it ({error.strerror})") from None
    else:
        path = Path(source).expanduser()
        origin = str(path)
        data = _file_bytes(path, limit, prefix, hint)
    if len(data) > limit:
        raise UsageError(
            f"{prefix}{origin}: more than {describe_size(limit)}, larger than any valid input{hint}"
        )
    try:
        return data.decode("utf-8-sig"), origin
    except UnicodeDecodeError:
        raise UsageError(f"{prefix}{origin}: not UTF-8 text{hint}") from None
