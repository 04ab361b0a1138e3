"""envgen.regular_files: the one bounded reader, on real files of every kind it must refuse."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from envgen.regular_files import (
    NotARegularFile,
    check_regular_file,
    kind_of,
    read_regular_file,
)


def test_a_small_regular_file_is_read_and_a_missing_one_is_none(tmp_path: Path) -> None:
    path = tmp_path / "small"
    path.write_bytes(b"x" * 10)
    assert read_regular_file(path, 10) == b"x" * 10
    assert read_regular_file(tmp_path / "missing") is None
    check_regular_file(path, 10)
    with pytest.raises(FileNotFoundError):
        check_regular_file(tmp_path / "missing")


def test_a_file_one_byte_over_the_limit_is_refused_by_both(tmp_path: Path) -> None:
    path = tmp_path / "large"
    path.write_bytes(b"x" * 2049)
    for refuse in (read_regular_file, check_regular_file):
        with pytest.raises(NotARegularFile) as refused:
            refuse(path, 2048)
        assert (refused.value.kind, refused.value.limit) == (None, 2048)
        assert str(refused.value) == "larger than 2 KiB, too large to read"


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)  # no writer ever comes: a blocking read would wait for good
    return path


def _socket(tmp_path: Path) -> Path:
    path = tmp_path / "socket"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()
    return path


@pytest.mark.parametrize(
    ("make", "kind", "said"),
    [
        (_fifo, "a FIFO", "is a FIFO, not a regular file"),
        (lambda tmp_path: Path("/dev/zero"), "a device", "is a device, not a regular file"),
        (lambda tmp_path: tmp_path, "a directory", "is a directory"),
        (_socket, "a socket", "is a socket, not a regular file"),
    ],
)
def test_what_is_no_regular_file_is_refused_with_its_kind(make, kind, said, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(path)
    for where in (path, link):
        for refuse in (read_regular_file, check_regular_file):
            with pytest.raises(NotARegularFile) as refused:
                refuse(where)
            assert (refused.value.kind, refused.value.limit, str(refused.value)) == (
                kind,
                None,
                said,
            )


def test_a_symlink_is_refused_when_links_are_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("x")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_regular_file(link) == b"x"
    with pytest.raises(OSError):
        read_regular_file(link, follow_symlinks=False)


def test_a_check_sees_the_open_files_status_and_may_refuse(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    path.write_text("{}")
    seen: list[int] = []

    def refuse_others(status: os.stat_result) -> None:
        seen.append(status.st_size)
        raise NotARegularFile("owned by another user")

    with pytest.raises(NotARegularFile) as refused:
        read_regular_file(path, check=refuse_others)
    assert seen == [2] and str(refused.value) == "owned by another user"


def test_kind_of_a_regular_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    assert kind_of(path.stat().st_mode) is None
    assert kind_of(os.stat("/dev/null").st_mode) == "a device"
