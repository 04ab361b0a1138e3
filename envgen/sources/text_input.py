"""Reading an input that is a file or `-` for stdin, with one-line errors that quote no content.

Every read is bounded: at most `limit` bytes are taken in (one more, to tell that there was
more), and a path must name a regular file. A FIFO would block until someone writes to it and a
device such as /dev/zero never ends, so both are refused before they are opened for reading.
"""

from __future__ import annotations

from collections.abc import Callable

from envgen.errors import UsageError
from envgen.regular_files import NotARegularFile, describe_size, read_regular_file

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# Far more than any credentials document (a few kilobytes), far less than would hurt to hold.
DEFAULT_LIMIT = 1024 * 1024
_CHUNK = 64 * 1024


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
    """The bytes of the regular file at PATH, at most `limit`, or one line saying why not."""
    try:
        data = read_regular_file(path, limit)
    except NotARegularFile as refused:
        if refused.limit is not None:
            raise UsageError(
                f"{prefix}{path}: more than {describe_size(limit)}, larger than any valid "
                f"input{hint}"
            ) from None
        if refused.kind == "a directory":
            raise UsageError(f"{prefix}{path}: is a directory{hint}") from None
        raise UsageError(f"{prefix}{path}: {refused}; give a file, or - to read stdin") from None
    except OSError as error:
        raise UsageError(f"{prefix}{path}: cannot read it ({error.strerror})") from None
    if data is None:
        raise UsageError(f"{prefix}{path}: no such file{hint}")
    return data


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
        # pathlib only for a file named on the command line: the cache hit never needs it.
        from pathlib import Path

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
