"""The one family of errors vidseek raises for things a user can act on.

Every `VidseekError` carries a message that is shown to the user as it is (one line that says what is wrong
and, where it can, what to do), plus how each front end reports it: the CLI's exit code and the server's HTTP
status. The CLI and the server each handle the family once, so a new error needs no new handler. Anything
else that escapes is a bug, and is reported as one.
"""

from __future__ import annotations

BAD_INPUT = 2  # the CLI's exit code for input it cannot use (click's own usage errors use it too)


class VidseekError(Exception):
    """Shown to the user as it is: the message is the whole report."""

    exit_code: int = BAD_INPUT
    status: int = 400


class BadRequest(VidseekError, ValueError):
    """An argument or option that cannot be used: an empty question, an unknown source, k out of range.

    Also a ValueError, so callers of the Python API that catch ValueError keep working."""


class UnreadableInput(VidseekError):
    """A file that cannot be indexed or read: not a video, damaged, no stream that any source can use."""


class NotFound(VidseekError):
    """Something asked for by name that does not exist: a job, a picture at a time past the end."""

    status = 404


class NotIndexed(NotFound):
    """A video asked about that the library does not hold (or a prefix that matches several)."""


class LibraryError(UnreadableInput):
    """A library folder that cannot be read or written as asked: a damaged file in it, a full disk, a
    read-only folder. The message says what and where, in one line."""

    status = 503


class SourceUnavailable(VidseekError):
    """An evidence source that cannot run on a video: no stream it reads (no audio for speech), nothing to
    read (no subtitles), or no model. The indexer skips the source and reports this message as the reason."""

    status = 503


class ModelUnavailable(SourceUnavailable):
    """A role has no usable model; the message says how to add one."""

    status = 503


class BackendFailure(VidseekError):
    """A model server or endpoint that was reached but failed (an HTTP error, a reply that is not JSON)."""

    status = 502


# Older name of UnreadableInput, kept so code and tests written against it still work.
VideoError = UnreadableInput

__all__ = [
    "BAD_INPUT", "BackendFailure", "BadRequest", "LibraryError", "ModelUnavailable", "NotFound", "NotIndexed",
    "SourceUnavailable", "UnreadableInput", "VideoError", "VidseekError",
]
