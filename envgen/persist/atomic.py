"""Replacing a file so that readers see the old bytes or the new ones, never a mixture."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from envgen.errors import EnvgenError

PRIVATE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def real_target(path: Path) -> Path:
    """The file a (possibly symlinked) path names, so a replace keeps the link in place."""
    # A link is followed to where it points, even to a file not yet there:
    # replacing the link itself would turn it into a plain file.
    return Path(os.path.realpath(path))


def describe_os_error(error: OSError) -> str:
    return error.strerror or type(error).__name__


def make_directory(directory: Path, mode: int = PRIVATE_DIRECTORY_MODE) -> None:
    try:
        directory.mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as error:
        raise EnvgenError(f"cannot create {directory} ({describe_os_error(error)})") from None


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk; some
    # platforms (Windows) cannot open a directory, and then there is nothing to do.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def replace_file(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` atomically, with permissions `mode` from the first byte on.

    The temporary file lives in the target's own directory (a rename across
    file systems is a copy), is created with `mode` and then fchmod'ed to it,
    because the umask may have taken bits away at creation. A symlinked `path`
    stays a symlink: its target is what gets replaced.
    """
    target = real_target(path)
    directory = target.parent
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{target.name}.", suffix=".envgen-tmp"
        )
    except OSError as error:
        raise EnvgenError(f"cannot write in {directory} ({describe_os_error(error)})") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise EnvgenError(f"cannot write {target} ({describe_os_error(error)})") from None
    _fsync_directory(directory)


def read_existing(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no such file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise EnvgenError(f"cannot read {path} ({describe_os_error(error)})") from None


def new_file_mode() -> int:
    """The mode an editor would give a new file: rw for all, less the umask."""
    # The umask can only be read by setting it; envgen runs no threads meanwhile.
    umask = os.umask(0o077)
    os.umask(umask)
    return 0o666 & ~umask


def existing_mode(path: Path, default: int) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return default
    except OSError as error:
        raise EnvgenError(f"cannot read {path} ({describe_os_error(error)})") from None


def remove_file(path: Path) -> bool:
    """Remove `path`; False when it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise EnvgenError(f"cannot remove {path} ({describe_os_error(error)})") from None
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` (its real target), so writers take turns."""
    import filelock

    target = real_target(path)
    lock = filelock.FileLock(str(target.with_name(target.name + ".lock")), mode=PRIVATE_MODE)
    try:
        lock.acquire(timeout=60)
    except filelock.Timeout:
        raise EnvgenError(
            f"another envgen has held the lock on {target} for a minute; try again"
        ) from None
    except OSError as error:
        raise EnvgenError(f"cannot lock {target} ({describe_os_error(error)})") from None
    try:
        yield
    finally:
        lock.release()
