"""The one error type for "this input cannot be scored"."""

from __future__ import annotations

from os import PathLike


class RecordingError(Exception):
    """A recording that cannot be read or scored, with the file and the reason.

    ``str(err)`` is a single line, ``"<file>: <reason>"``, meant to be shown to the
    user as it is (the command line prints it instead of a traceback).

    Parameters
    ----------
    source : str or path-like or None
        The file (or a description of the in-memory object) that failed.
    reason : str
        What is wrong and, where possible, what to do about it; one line.
    unscorable_montage : bool
        The file is readable EEG but its channels cannot be scored (e.g. only bipolar
        derivations): scoring reports an ``indeterminate`` verdict with the reason
        instead of an error.
    """

    def __init__(self, source: str | PathLike | None, reason: str, *,
                 unscorable_montage: bool = False) -> None:  # fmt: skip
        self.unscorable_montage = unscorable_montage
        self.source = None if source is None else str(source)
        self.reason = " ".join(str(reason).split())
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.source else self.reason
