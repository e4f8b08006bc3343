"""Command line entry point: ``eegpipe <command> ...``.

Each command lives in the module that owns the work and contributes two functions,
``add_parser(subparsers)`` and ``run(args) -> int``; this module only wires them up and
turns a :class:`~eegpipe.errors.RecordingError` into a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from eegpipe import __version__
from eegpipe.errors import RecordingError

#: command name -> module holding ``add_parser`` and ``run``
_COMMANDS: dict[str, str] = {
    "score": "eegpipe._score_cli",
    "simulate": "eegpipe.simulate._cli",
    "train": "eegpipe.train",
    "batch": "eegpipe._batch_cli",
    "compare": "eegpipe._compare_cli",
    "series": "eegpipe._series_cli",
    "report": "eegpipe._report_cli",
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command registered.

    Returns
    -------
    parser : argparse.ArgumentParser
        The top-level parser.
    """
    parser = argparse.ArgumentParser(
        prog="eegpipe",
        description="Score infant EEG for hypsarrhythmia and track its normalization.",
    )
    parser.add_argument("--version", action="version", version=f"eegpipe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS.values():
        mod = importlib.import_module(module)
        sp = mod.add_parser(sub)
        sp.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str or None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when some input failed, 2 on a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except RecordingError as err:
        print(f"eegpipe: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
