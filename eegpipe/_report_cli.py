"""``eegpipe report FILE... --out report.html``: one self-contained HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eegpipe._compare_cli import age_arg, numbers
from eegpipe._series_cli import expand

_EXAMPLES = """examples:
  eegpipe report sample_edf/series/ --out report.html
  eegpipe report rec.edf --out rec.html
  eegpipe report a.edf b.edf --days 0,30 --age-months 6 --out ab.html
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``report``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "report", help="write an HTML report of one recording or one infant's series",
        description="Write one self-contained HTML file (figures embedded, opens offline): verdict and "
                    "evidence, signal quality, the most abnormal pages with spikes marked, spectra, scalp "
                    "maps; for a series also the status and the trajectories of every feature family.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("paths", nargs="+", type=Path, help="EDF/BDF files or a folder holding them")
    p.add_argument("--out", type=Path, required=True, help="the .html file to write")
    p.add_argument("--title", help="report title")
    p.add_argument("--age-months", type=numbers, metavar="A[,A...]",
                   help="age at the first recording in months, or one per file (default: from the headers)")
    p.add_argument("--days", type=numbers, metavar="D,D,...", help="day of each recording, e.g. 0,30,180")
    p.add_argument("--show-identifiers", action="store_true",
                   help="show the patient name, birth date, codes and recording dates from the headers "
                        "(hidden by default)")  # fmt: skip
    return p


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe report``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 when the report was written, 1 otherwise.
    """
    from eegpipe.report import build_report

    files, problem = expand(args.paths)
    if problem:
        print(f"eegpipe: error: {problem}", file=sys.stderr)
        return 1
    if args.out.suffix.lower() not in (".html", ".htm"):
        print(f"eegpipe: error: {args.out}: the report is HTML; name it .html", file=sys.stderr)
        return 1
    try:
        out = build_report(files, args.out, days=args.days, age_months=age_arg(args.age_months),
                           show_identifiers=args.show_identifiers, title=args.title)  # fmt: skip
    except ValueError as err:
        print(f"eegpipe: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0
