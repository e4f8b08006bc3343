"""``eegpipe series FILE...``: one infant's EEG over time, ordered by date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eegpipe._compare_cli import add_common, age_arg, emit, format_series

_EXAMPLES = """examples:
  eegpipe series sample_edf/series/
  eegpipe series baseline.edf month1.edf month6.edf --format json --out series.json
  eegpipe series a.edf b.edf c.edf --days 0,30,180 --age-months 6
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``series``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "series", help="follow one infant's EEG over several recordings",
        description="Order recordings of one infant by the start time in their headers (or --days), "
                    "place each on the normalization index, compare each step and the first with the "
                    "last, and give an overall status.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("paths", nargs="+", type=Path, help="EDF/BDF files or a folder holding them")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--out", type=Path, help="also write the JSON to this file")
    add_common(p)
    return p


def expand(paths: list[Path]) -> tuple[list[str], str | None]:
    """Files of a series: files as given, folders searched for .edf/.bdf.

    Parameters
    ----------
    paths : list of Path
        Command-line arguments.

    Returns
    -------
    files : list of str
    problem : str or None
        A one-line error naming the argument, when one is missing or empty.
    """
    from eegpipe.score import find_recordings

    files = []
    for path, problem in find_recordings(paths):
        if problem:
            return [], f"{path}: {problem}"
        files.append(path)
    return files, None


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe series``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 when the series was compared, 1 otherwise.
    """
    from eegpipe.compare import series

    files, problem = expand(args.paths)
    if problem or len(files) < 2:
        print(f"eegpipe: error: {problem or f'a series needs at least two recordings, found {len(files)}'}",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        s = series(files, days=args.days, age_months=age_arg(args.age_months), epoch_s=args.epoch_s)
    except ValueError as err:
        print(f"eegpipe: error: {err}", file=sys.stderr)
        return 1
    emit(s, format_series(s), args)
    return 1 if s.status == "indeterminate" else 0
