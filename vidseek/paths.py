"""Which files a path that someone else wrote may reach: one containment rule for the server (`POST
/api/index`), the MCP tools' `video` and `path` arguments, and the video ids of a benchmark file.

Such a path is checked in two steps before anything opens, hashes or even stats the file it names. First
on its text alone: made absolute (a relative path is taken from the first folder) and `..` taken out, it
must lie in one of the folders, so a path that plainly points elsewhere touches nothing on disk. Then
resolved (links followed): a link inside a folder that leads out of every folder is refused too. Outside
is the same one line whether or not the file exists, so the reply tells nothing about the rest of the disk;
an OSError while resolving (a name too long, a loop of links) is a one-line refusal as well, never a crash.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vidseek.errors import BadRequest, NotFound


class OutsideFolders(BadRequest):
    """A path that leads out of the folders it may use: the message is the same whether the file exists."""

    status = 403


class UnreadablePath(BadRequest):
    """A path inside the folders that cannot be resolved or read (a name too long, a loop of links)."""


@dataclass(frozen=True)
class Folders:
    """The folders paths may lead into, both as given (for the check on the text alone) and resolved."""

    given: tuple[Path, ...]  # absolute, `..` taken out, links not followed; the first takes relative paths
    real: tuple[Path, ...]  # the same folders with links followed
    what: str = "the folders this server may read"  # how a refusal names them

    @classmethod
    def of(cls, folders: Iterable[str | os.PathLike[str]], what: str = "the folders this server may read") -> Folders:
        given = tuple(Path(os.path.abspath(f)) for f in folders)
        if not given:
            raise BadRequest("give at least one folder")
        return cls(given, tuple(g.resolve() for g in given), what)

    def inside(self, path: str | os.PathLike[str]) -> Path:
        """The real path (links followed) of `path` if it lies in one of the folders; raises OutsideFolders
        (the same line whether or not the file exists) or UnreadablePath. Does not ask whether it exists."""
        text = os.fspath(path)
        if "\0" in text:
            raise BadRequest(f"{text!r}: a path cannot hold a NUL byte")
        joined = Path(self.given[0], text)  # an absolute `text` replaces the folder
        if not _under(Path(os.path.normpath(joined)), self.given + self.real):
            raise OutsideFolders(f"'{text}' is outside {self.what}")  # decided on the text: nothing touched
        try:
            resolved = joined.resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a loop of links; a name the file system cannot encode
            raise UnreadablePath(f"'{text}' cannot be read: {_reason(exc)}") from None
        if not _under(resolved, self.real):
            raise OutsideFolders(f"'{text}' is outside {self.what}")
        return resolved

    def file(self, path: str | os.PathLike[str]) -> Path:
        """The real path of a regular file in one of the folders: `inside`, then NotFound for a missing file
        and BadRequest for a folder, a pipe or a device."""
        resolved = self.inside(path)
        text = os.fspath(path)
        try:
            mode = resolved.stat().st_mode
        except FileNotFoundError:
            raise NotFound(f"'{text}' does not exist") from None
        except (OSError, ValueError) as exc:
            raise UnreadablePath(f"'{text}' cannot be read: {_reason(exc)}") from None
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise BadRequest(f"'{text}' is {what}, not a video")
        return resolved


def _under(path: Path, folders: Iterable[Path]) -> bool:
    return any(path.is_relative_to(folder) for folder in folders)


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def looks_like_id(text: str) -> bool:
    """Hex digits only: a video's id (or a prefix of one), never read as a file name, so looking it up touches
    nothing on disk whatever folder the process runs in."""
    return 0 < len(text) <= 64 and all(c in "0123456789abcdef" for c in text)
