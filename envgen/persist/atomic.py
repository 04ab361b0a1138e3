"""Replacing a file so that readers see the old bytes or the new ones, never a mixture."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from envgen.errors import EnvgenError
from envgen.regular_files import NotARegularFile, read_regular_file

# typing.TYPE_CHECKING without loading typing: see envgen.values (the AWS CLI cache is
# written through this module on every cache miss).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PRIVATE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def real_target(path: Path) -> Path:
    """The file a (possibly symlinked) path names, so a replace keeps the link in place."""
    # A link is followed to where it points, even to a file not yet there:
    # replacing the link itself would turn it into a plain file.
    return Path(os.path.realpath(path))


def describe_os_error(error: OSError) -> str:
    return error.strerror or type(error).__name__


def make_directory(directory: Path, mode: int = PRIVATE_DIRECTORY_MODE) -> list[Path]:
    """Create `directory` and every missing one above it with exactly `mode`.

    mkdir's mode loses what the umask takes away, and mkdir -p gives the levels above
    the umask's default: each level envgen creates is chmod'ed to `mode` instead.
    Returns the directories created, the deepest last.
    """
    missing: list[Path] = []
    level = directory
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    created: list[Path] = []
    try:
        for level in reversed(missing):
            try:
                level.mkdir(mode=mode)
            except FileExistsError:
                continue  # made meanwhile by someone else: theirs, not ours
            created.append(level)
            os.chmod(level, mode)
        if not directory.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    except OSError as error:
        raise EnvgenError(f"cannot create {directory} ({describe_os_error(error)})") from None
    return created


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


TEMPORARY_SUFFIX = ".envgen-tmp"
# A temporary file this old belongs to no run still writing: every write happens under a
# lock that others wait for at most a minute, and takes a moment.
STALE_TEMPORARY_SECONDS = 600


def _temporary_name(name: str) -> re.Pattern[str]:
    # What _make_temporary makes of replace_file's prefix and suffix: 8 characters between.
    return re.compile(
        r"\." + re.escape(name) + r"\.[a-z0-9_]{8}" + re.escape(TEMPORARY_SUFFIX) + r"\Z"
    )


def remove_stale_temporaries(directory: Path, name: str) -> None:
    """Remove what a run killed outright (SIGKILL, power loss) left of a write to `name`.

    Only envgen's own kind of file goes: named as replace_file names it, a regular file
    (never what a symlink points to), owned by this user, and too old to be in use.
    """
    user = getattr(os, "geteuid", None)
    if user is None:
        return
    pattern = _temporary_name(name)
    try:
        entries = [entry for entry in os.listdir(directory) if pattern.match(entry)]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        leftover = directory / entry
        try:
            found = os.lstat(leftover)
        except OSError:
            continue
        if (
            stat.S_ISREG(found.st_mode)
            and found.st_uid == user()
            and now - found.st_mtime > STALE_TEMPORARY_SECONDS
        ):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


class _Terminated(BaseException):
    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


@contextlib.contextmanager
def _unwinding_on_termination() -> Iterator[None]:
    """While a temporary file exists, let SIGTERM and SIGHUP unwind like Ctrl-C does.

    Their default action ends the process on the spot, leaving the temporary file behind;
    raised as an exception instead, they pass through the cleanup, and envgen then ends by
    the same signal. A signal the user chose to ignore (nohup) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signal_number: int, _frame: object) -> None:
        raise _Terminated(signal_number)

    replaced = {}
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            replaced[number] = signal.signal(number, unwind)
    try:
        yield
    except _Terminated as terminated:
        for number, previous in replaced.items():
            signal.signal(number, previous)
        replaced = {}
        os.kill(os.getpid(), terminated.signal_number)
        raise SystemExit(128 + terminated.signal_number) from None
    finally:
        for number, previous in replaced.items():
            signal.signal(number, previous)


def replace_file(path: Path, data: bytes, mode: int, *, durable: bool = True) -> None:
    """Write `data` to `path` atomically, with permissions `mode` from the first byte on.

    The temporary file lives in the target's own directory (a rename across
    file systems is a copy), is created with `mode` and then fchmod'ed to it,
    because the umask may have taken bits away at creation. A symlinked `path`
    stays a symlink: its target is what gets replaced. The temporary file goes
    on any failure, Ctrl-C, SIGTERM or SIGHUP; one left by a SIGKILL goes at the
    next write to the same file.

    `durable` waits for the disk (fsync of the file and of its directory), so a power cut
    cannot lose what was written; a cache that is only a shortcut passes False: after such a
    cut its entry may be gone or empty, which its reader takes for a miss.
    """
    target = real_target(path)
    directory = target.parent
    remove_stale_temporaries(directory, target.name)
    with _unwinding_on_termination():
        _write_then_rename(target, data, mode, durable)
    if durable:
        _fsync_directory(directory)


# The characters tempfile.mkstemp draws a name's random part from, as many as it draws.
_NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_RANDOM_CHARACTERS = 8
# How often a name already taken is drawn again (tempfile.TMP_MAX).
_NAME_ATTEMPTS = 10000


def _make_temporary(directory: Path, prefix: str, suffix: str, created: list[str]) -> int:
    """A new file in DIRECTORY, created by this call alone (O_EXCL, never through a symlink),
    readable and writable by the user only, named PREFIX + 8 random characters + SUFFIX:
    what tempfile.mkstemp makes, without the modules tempfile loads (shutil, random and
    the compression modules), which a cache miss would pay for on every write.

    Its path is in CREATED before the file can exist, so a signal that unwinds the call at
    any point leaves the caller a path to remove."""
    flags = (
        os.O_RDWR
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    for _ in range(_NAME_ATTEMPTS):
        drawn = "".join(
            _NAME_CHARACTERS[byte % len(_NAME_CHARACTERS)]
            for byte in os.urandom(_RANDOM_CHARACTERS)
        )
        path = os.path.join(os.path.abspath(directory), f"{prefix}{drawn}{suffix}")
        created.append(path)
        try:
            return os.open(path, flags, 0o600)
        except FileExistsError:
            created.pop()  # someone else's
            continue
        except PermissionError:
            created.pop()
            # Windows answers so for a name a directory holds (as tempfile handles it).
            if os.name == "nt" and os.path.isdir(directory) and os.access(directory, os.W_OK):
                continue
            raise
        except OSError:
            created.pop()
            raise
    raise FileExistsError(errno.EEXIST, "no unused temporary file name found")


def _write_then_rename(target: Path, data: bytes, mode: int, durable: bool) -> None:
    directory = target.parent
    # The temporary file's path, there before the file is: whatever unwinds this (a failure,
    # Ctrl-C, SIGTERM), at whatever point, finds what to remove.
    created: list[str] = []
    try:
        try:
            descriptor = _make_temporary(directory, f".{target.name}.", TEMPORARY_SUFFIX, created)
        except OSError as error:
            raise EnvgenError(f"cannot write in {directory} ({describe_os_error(error)})") from None
        with os.fdopen(descriptor, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(created[0], mode)
        os.replace(created[0], target)
    except BaseException as error:
        for path in created:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if isinstance(error, OSError):
            raise EnvgenError(f"cannot write {target} ({describe_os_error(error)})") from None
        raise


def read_existing(path: Path, shown: Path | None = None) -> bytes | None:
    """The file's bytes, or None when there is no such file; named as `shown` in errors.

    Bounded and never blocking: a startup or credentials file that is a FIFO, a device
    or gigabytes long is refused before envgen waits on it or fills memory with it.
    """
    shown = shown or path
    try:
        return read_regular_file(path)
    except NotARegularFile as error:
        raise EnvgenError(f"{shown}: {error}; envgen left it unchanged") from None
    except OSError as error:
        raise EnvgenError(f"cannot read {shown} ({describe_os_error(error)})") from None


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


LOCK_WAIT_SECONDS = 60


class HeldLock:
    """The lock `locked` holds. Its file goes on every release (where the platform allows
    removing an open file); remove_on_release stays for callers that ask for it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remove_on_release(self) -> None:
        pass


@contextlib.contextmanager
def locked(path: Path) -> Iterator[HeldLock]:
    """Hold an exclusive lock beside `path` (its real target), so writers take turns.

    The lock file goes again on release, so envgen leaves none behind.
    """
    target = real_target(path)
    lock_path = target.with_name(target.name + ".lock")
    try:
        import fcntl
    except ImportError:  # Windows: no flock, and an open file cannot be removed anyway
        with _locked_by_filelock(target, lock_path):
            yield HeldLock(lock_path)
        return
    descriptor = _acquire(fcntl, target, lock_path)
    try:
        yield HeldLock(lock_path)
    finally:
        # Removed while still held: whoever waits on this file finds it gone and
        # starts over on a new one (see _acquire), so no two hold the lock at once.
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(descriptor)


def _acquire(fcntl: Any, target: Path, lock_path: Path) -> int:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            descriptor = os.open(
                lock_path,
                os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0),
                PRIVATE_MODE,
            )
        except OSError as error:
            raise EnvgenError(f"cannot lock {target} ({describe_os_error(error)})") from None
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise EnvgenError(
                            f"another envgen has held the lock on {target} for a minute; try again"
                        ) from None
                    time.sleep(0.05)
                except OSError as error:
                    raise EnvgenError(
                        f"cannot lock {target} ({describe_os_error(error)})"
                    ) from None
            held = os.fstat(descriptor)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                current = None
        except BaseException:
            os.close(descriptor)
            raise
        if current is not None and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
            return descriptor
        # The holder before us removed the file: this lock guards nothing any more.
        os.close(descriptor)


@contextlib.contextmanager
def _locked_by_filelock(target: Path, lock_path: Path) -> Iterator[None]:
    import filelock

    lock = filelock.FileLock(str(lock_path), mode=PRIVATE_MODE)
    try:
        lock.acquire(timeout=LOCK_WAIT_SECONDS)
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
