"""--persist for shells that read a startup file: a managed file, and one block that applies it.

The variables go into a file of their own under envgen's config directory,
private from the moment it exists. The shell's startup file gets one block,
between two marker lines, that applies that file when it is there. Nothing
else in the startup file changes: a second --persist replaces the managed
file and leaves the block as it is, and `clear --persist` removes both.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.errors import EnvgenError, UsageError
from envgen.persist import atomic
from envgen.persist.line_endings import newline_of

if TYPE_CHECKING:
    from envgen.credentials import Changes
    from envgen.dialects.base import Dialect, KeptUntil, RenderContext
    from envgen.places import UserPlaces

BEGIN_MARKER = "# >>> envgen --persist >>>"
END_MARKER = "# <<< envgen --persist <<<"
# Added to the begin marker when the file's last line had no newline and the
# block had to end it: removing the block then takes that newline away too,
# so the file comes back byte-for-byte.
ENDED_LINE_NOTE = " (envgen ended the line above)"
# Added to the begin marker of a file envgen created: once the block is all there is, it
# goes again, with the directories envgen created for it.
CREATED_NOTE = " (envgen created this file)"
CREATED_WITH_DIRECTORIES_NOTE = re.compile(
    r" \(envgen created this file and the (\d+) director(?:y|ies) above it\)\Z"
)
BLOCK_COMMENT = "# Written by `envgen --persist`; `envgen clear --persist` removes it."


@dataclasses.dataclass(frozen=True)
class Markers:
    """The lines that delimit one kind of envgen block; each kind is found only by its own."""

    begin: str
    end: str
    comment: str


PERSIST_MARKERS = Markers(BEGIN_MARKER, END_MARKER, BLOCK_COMMENT)
COMPLETION_MARKERS = Markers(
    "# >>> envgen completion >>>",
    "# <<< envgen completion <<<",
    "# Written by `envgen completion install`; `envgen completion uninstall` removes it.",
)
ALL_MARKERS = (PERSIST_MARKERS, COMPLETION_MARKERS)


def _lines(text: str) -> list[str]:
    # Only `\n` ends a line for a shell; str.splitlines() would also split at
    # form feeds and Unicode separators and so move bytes around.
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _content(line: str) -> str:
    return line.rstrip("\r\n")


@dataclasses.dataclass(frozen=True)
class _Block:
    first: int  # index of the begin marker line
    last: int  # index of the end marker line
    ended_line: bool
    newline: str  # how its lines end, and so the line end it may have added
    # The directories envgen created for the file it created; None when the file was there.
    created_directories: int | None = None


def _created_directories(begin_line: str) -> int | None:
    content = _content(begin_line)
    if content.endswith(CREATED_NOTE):
        return 0
    found = CREATED_WITH_DIRECTORIES_NOTE.search(content)
    return int(found.group(1)) if found else None


def _created_note(directories: int | None) -> str:
    if directories is None:
        return ""
    if directories == 0:
        return CREATED_NOTE
    plural = "directory" if directories == 1 else "directories"
    return f" (envgen created this file and the {directories} {plural} above it)"


def _blocks(lines: list[str], where: Path, markers: Markers) -> list[_Block]:
    blocks: list[_Block] = []
    begin: int | None = None
    for number, line in enumerate(lines):
        content = _content(line)
        if content.startswith(markers.begin):
            if begin is not None:
                raise _unbalanced(where, begin)
            begin = number
        elif content == markers.end:
            if begin is None:
                raise EnvgenError(
                    f"{where} line {number + 1}: an envgen end marker without its begin "
                    "marker; remove the envgen lines by hand and try again"
                )
            ended = _content(lines[begin]).endswith(ENDED_LINE_NOTE)
            newline = "\r\n" if lines[begin].endswith("\r\n") else "\n"
            created = _created_directories(lines[begin])
            blocks.append(_Block(begin, number, ended, newline, created))
            begin = None
    if begin is not None:
        raise _unbalanced(where, begin)
    return blocks


def _unbalanced(where: Path, begin: int) -> EnvgenError:
    return EnvgenError(
        f"{where} line {begin + 1}: an envgen begin marker without its end marker; "
        "remove the envgen lines by hand and try again"
    )


def with_block(
    text: str,
    body: str,
    where: Path,
    created_directories: int | None = None,
    markers: Markers = PERSIST_MARKERS,
) -> str:
    """`text` with exactly one envgen block holding `body`, every other byte unchanged.

    `created_directories` says that envgen is creating the file (and that many directories
    above it); a block already there keeps what its marker said.
    """
    lines = _lines(text)
    blocks = _blocks(lines, where, markers)
    newline = blocks[0].newline if blocks else newline_of(text)
    ended_line = blocks[0].ended_line if blocks else bool(text) and not text.endswith("\n")
    if blocks:
        created_directories = blocks[0].created_directories
    note = ENDED_LINE_NOTE if ended_line else _created_note(created_directories)
    block = [markers.begin + note, markers.comment]
    block += _content(body).split("\n") if body.strip() else []
    block.append(markers.end)
    block_lines = [line.rstrip("\r") + newline for line in block]
    if not blocks:
        prefix = text + newline if ended_line else text
        return prefix + "".join(block_lines)
    kept = _without(lines, blocks[1:])
    # Earlier blocks shift nothing: only later ones were dropped.
    first = blocks[0]
    return "".join(kept[: first.first] + block_lines + kept[first.last + 1 :])


def _without(lines: list[str], blocks: list[_Block]) -> list[str]:
    dropped = {n for block in blocks for n in range(block.first, block.last + 1)}
    return [line for n, line in enumerate(lines) if n not in dropped]


def without_block(text: str, where: Path, markers: Markers = PERSIST_MARKERS) -> str:
    """`text` with every envgen block removed, as it was before the first was added."""
    lines = _lines(text)
    blocks = _blocks(lines, where, markers)
    if not blocks:
        return text
    remaining = "".join(_without(lines, blocks))
    last = blocks[-1]
    if last.ended_line and last.last == len(lines) - 1 and remaining.endswith(last.newline):
        remaining = remaining[: -len(last.newline)]
    return remaining


def created_by_envgen(text: str, where: Path, markers: Markers = PERSIST_MARKERS) -> int | None:
    """How many directories envgen created along with the file, if a block of envgen's says
    it created the file; None when the file was the user's."""
    for kind in ALL_MARKERS:
        for block in _blocks(_lines(text), where, kind):
            if block.created_directories is not None:
                return block.created_directories
    return None


def only_envgen_blocks(text: str, where: Path) -> bool:
    """Whether `text` holds nothing but envgen's blocks, of whichever kind."""
    for kind in ALL_MARKERS:
        text = without_block(text, where, kind)
    return text == ""


def noting_created(text: str, where: Path, created_directories: int) -> str:
    """`text` whose first envgen block says envgen created the file: the note moves to a
    block that stays when the block that carried it goes."""
    lines = _lines(text)
    for kind in ALL_MARKERS:
        blocks = _blocks(lines, where, kind)
        if blocks:
            first = blocks[0]
            if first.created_directories is None and not first.ended_line:
                lines[first.first] = kind.begin + _created_note(created_directories) + first.newline
            return "".join(lines)
    return text


def _decode(data: bytes) -> str:
    # Whatever the encoding, the bytes outside the block go back as they came.
    return data.decode("utf-8", "surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclasses.dataclass
class ManagedBlock:
    """A file envgen manages under its config directory, applied by one marked block in a
    shell's startup file; with no managed text, both go again.

    Every message is worded by `plan`-time code, before anything is written.
    """

    shell: str
    managed_file: Path
    # The shell code to keep (secrets, for --persist); None removes the file and the block.
    managed_text: str | None = dataclasses.field(repr=False)
    startup_file: Path
    block_body: str
    markers: Markers
    outcome: str = ""

    @property
    def keeps(self) -> bool:
        return self.managed_text is not None

    @property
    def report(self) -> str:
        return self.outcome

    def removal_parts(self) -> list[str]:
        """What removing would remove, read before anything is written."""
        removed = [str(self.managed_file)] if self.managed_file.is_file() else []
        text, after, created = self._startup_without_block()
        if after == "" and created is not None and not self.startup_file.is_symlink():
            removed.append(f"{self.startup_file}, which envgen had created")
        elif after != text:
            removed.append(f"the envgen block in {self.startup_file}")
        return removed

    def _startup_without_block(self) -> tuple[str, str, int | None]:
        """The startup file's text, the text without this kind of block, and how many
        directories envgen created with the file (None when the file was the user's)."""
        before = atomic.read_existing(
            atomic.real_target(self.startup_file), shown=self.startup_file
        )
        text = _decode(before) if before is not None else ""
        after = without_block(text, self.startup_file, self.markers)
        return text, after, created_by_envgen(text, self.startup_file)

    def apply(self) -> None:
        envgen_directory = self.managed_file.parent
        created = atomic.make_directory(envgen_directory)
        # One lock for every managed file and startup block: sh and ksh, say,
        # may share ~/.profile, and completion shares ~/.bashrc with --persist.
        with atomic.locked(envgen_directory / "persist"):
            if self.managed_text is None:
                self._remove()
            else:
                self._keep(self.managed_text)
        if self.managed_text is None:
            # What removal leaves is what was there before: envgen's own directory goes
            # once it holds nothing, like any directory this run had to create.
            _remove_empty_directories(
                [envgen_directory, *(d for d in reversed(created) if d != envgen_directory)]
            )

    def _keep(self, managed_text: str) -> None:
        # The block goes in first: a block envgen cannot place must neither leave new
        # secrets in a file nothing applies nor replace the values kept before. A block
        # whose managed file is missing or old applies what is there, when it is there.
        startup = atomic.real_target(self.startup_file)
        before = atomic.read_existing(startup, shown=self.startup_file)
        text = _decode(before) if before is not None else ""
        created_directories = None
        if before is None:
            created_directories = len(atomic.make_directory(startup.parent))
        after = with_block(
            text, self.block_body, self.startup_file, created_directories, self.markers
        )
        if after != text or before is None:
            mode = atomic.existing_mode(startup, atomic.PRIVATE_MODE)
            atomic.replace_file(self.startup_file, _encode(after), mode)
        atomic.replace_file(self.managed_file, _encode(managed_text), atomic.PRIVATE_MODE)

    def _remove(self) -> None:
        startup = atomic.real_target(self.startup_file)
        text, after, created_directories = self._startup_without_block()
        atomic.remove_file(self.managed_file)
        if after == "" and created_directories is not None and not self.startup_file.is_symlink():
            # The file envgen created holds nothing else: it goes, as do the directories
            # created for it once they are empty.
            atomic.remove_file(startup)
            _remove_empty_directories(list(startup.parents)[:created_directories])
            return
        if created_directories is not None and only_envgen_blocks(after, self.startup_file):
            # Another kind of envgen block stays: it carries the note on from now on.
            after = noting_created(after, self.startup_file, created_directories)
        if after != text:
            mode = atomic.existing_mode(startup, atomic.PRIVATE_MODE)
            atomic.replace_file(self.startup_file, _encode(after), mode)


@dataclasses.dataclass
class StartupFilePersistence(ManagedBlock):
    """Keep (or, with no assignments, remove) a shell's variables through its startup file."""

    variables: tuple[str, ...] = ()
    output: str = ""

    @classmethod
    def plan(
        cls,
        dialect: Dialect,
        changes: Changes,
        context: RenderContext,
        places: UserPlaces,
        kept_until: KeptUntil | None = None,
    ) -> StartupFilePersistence:
        """`kept_until`: when the values expire; the managed file applies them until then."""
        facts = dialect.persistence
        if facts.startup_file is None:
            raise UsageError(f"--persist is not available for {dialect.name}")
        startup_file = facts.startup_file(places)
        managed_file = places.envgen_directory / facts.managed_file
        # Rendered now, before anything is written: a refused value stops
        # the command while the user's files are still untouched.
        managed_text = (
            dialect.render_managed(changes, context, kept_until) if changes.assignments else None
        )
        planned = cls(
            shell=dialect.name,
            managed_file=managed_file,
            managed_text=managed_text,
            startup_file=startup_file,
            block_body=dialect.render_startup_block(managed_file),
            markers=PERSIST_MARKERS,
            variables=tuple(changes.assignments),
        )
        # Worded now, so that every message is known before the first byte of stdout.
        if managed_text is not None:
            planned.outcome = (
                f"kept {', '.join(planned.variables)} for future {planned.shell} sessions in "
                f"{managed_file}, applied by {startup_file}"
            )
        else:
            removed = planned.removal_parts()
            planned.outcome = (
                f"removed {' and '.join(removed)}"
                if removed
                else f"nothing kept for future {planned.shell} sessions to remove"
            )
        return planned


def _remove_empty_directories(directories: list[Path]) -> None:
    """Remove each directory in turn while it is empty; the first one in use ends it."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return
