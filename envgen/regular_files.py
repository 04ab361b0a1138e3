"""The one way envgen reads a file it did not write: bounded, never blocking, and only when it
is a regular file.

A FIFO would block until someone writes to it and a device such as /dev/zero never ends, so
both are refused before a byte is read (and opened, if at all, without blocking and without
becoming the controlling terminal, in case the path changed in between); a file larger than the
caller's limit is refused after at most one byte more than the limit.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

# The most envgen reads of a config, credentials, startup or cache file. Real ones hold a few
# kilobytes; a multi-gigabyte file (or /dev/zero behind a link) must not be read whole.
MAX_FILE_BYTES = 4 * 1024 * 1024

# What `kind_of` may answer besides None; other kinds are refusals a caller's check made.
FILE_KINDS = ("a directory", "a FIFO", "a device", "a socket", "not a regular file")


def describe_size(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def kind_of(mode: int) -> str | None:
    """What a file of this mode is, for a message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotARegularFile(OSError):
    """Something other than a small regular file where one belongs.

    `kind` is one of FILE_KINDS, or what a caller's check refused ("owned by another user");
    `limit` is set instead when the file is a regular one, only larger than the limit.
    """

    def __init__(self, kind: str | None = None, limit: int | None = None) -> None:
        super().__init__(kind or f"larger than {limit}")
        self.kind = kind
        self.limit = limit

    def __str__(self) -> str:
        if self.limit is not None:
            return f"larger than {describe_size(self.limit)}, too large to read"
        if self.kind in ("a directory", "not a regular file"):
            return f"is {self.kind}"
        if self.kind in FILE_KINDS:
            return f"is {self.kind}, not a regular file"
        return str(self.kind)


def _refuse_unless_regular(status: os.stat_result) -> None:
    kind = kind_of(status.st_mode)
    if kind is not None:
        raise NotARegularFile(kind)


def check_regular_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> None:
    """Refuse PATH, which another program will read whole, unless it is a regular file of at
    most `limit` bytes. FileNotFoundError and other OSErrors pass on."""
    status = os.stat(path)
    _refuse_unless_regular(status)
    if status.st_size > limit:
        raise NotARegularFile(limit=limit)


def read_regular_file(
    path: str | os.PathLike[str],
    limit: int = MAX_FILE_BYTES,
    *,
    follow_symlinks: bool = True,
    check: Callable[[os.stat_result], None] | None = None,
) -> bytes | None:
    """The bytes of the regular file at `path`, None when there is none; never blocks.

    Anything but a regular file of at most `limit` bytes is refused with NotARegularFile, and
    so is whatever `check` raises it for, given the open file's status. Other OSErrors (a
    symlink where `follow_symlinks` is False, permissions) pass on.
    """
    try:
        _refuse_unless_regular(os.stat(path, follow_symlinks=follow_symlinks))
    except FileNotFoundError:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(descriptor)
        # Checked again on what was opened: the path may have changed since it was looked at.
        _refuse_unless_regular(status)
        if check is not None:
            check(status)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile(limit=limit)
    return data
