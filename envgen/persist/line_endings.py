"""The one line-ending rule for the files envgen edits (startup files, the AWS files)."""

from __future__ import annotations

import re


def newline_of(text: str) -> str:
    """The line ending for the lines envgen adds to `text`.

    CRLF only when every line already ends so, as in a file kept by a Windows editor;
    otherwise LF, which every shell and configparser reads. A file that mixes the two gets LF:
    a `\\r` before the newline would reach a POSIX shell as part of the last word.
    """
    ends = re.findall(r"\r?\n", text)
    return "\r\n" if ends and all(end == "\r\n" for end in ends) else "\n"
