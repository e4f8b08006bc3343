"""``eegpipe compare PRE POST``: has one infant's EEG normalized after treatment?

Also holds what ``eegpipe series`` and ``eegpipe report`` share: parsing of ``--days``
and ``--age-months``, and the readable text output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eegpipe.compare import CI_LEVEL, RULE, Comparison, Series

_EXAMPLES = """examples:
  eegpipe compare baseline.edf followup.edf
  eegpipe compare baseline.edf followup.edf --format json --out compare.json
  eegpipe compare pre.edf post.edf --age-months 6   # when the headers have no birth date
"""


def numbers(text: str) -> list[float]:
    """Parse ``"0,30,180"`` into floats (argparse type).

    Parameters
    ----------
    text : str
        Comma-separated numbers.

    Returns
    -------
    values : list of float
    """
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def add_common(p: argparse.ArgumentParser, *, days: bool = True) -> None:
    """Options shared by ``compare``, ``series`` and ``report``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser.
    days : bool
        Add ``--days``.
    """
    p.add_argument("--age-months", type=numbers, metavar="A[,A...]",
                   help="age at the first recording in months (the others follow from the dates), or one "
                        "age per file; default: from each header's birth date")  # fmt: skip
    if days:
        p.add_argument("--days", type=numbers, metavar="D,D,...",
                       help="day of each recording, e.g. 0,30,180 (default: the headers' start times)")
    p.add_argument("--epoch-s", type=float, default=10.0, help="epoch length in seconds")


def age_arg(values: list[float] | None):
    """One age applies to the first recording; several are one per file.

    Parameters
    ----------
    values : list of float or None
        Parsed ``--age-months``.

    Returns
    -------
    age : float or list of float or None
    """
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``compare``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "compare", help="compare an infant's EEG before and after treatment",
        description="Compare two recordings of one infant (earlier first): per feature family the change "
                    "with a bootstrap confidence interval and effect size, the normalization index (0 = "
                    "typical hypsarrhythmia, 1 = typical normal EEG for the age) and a status: "
                    "normalized, improved, unchanged or worsened. " + RULE,
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("pre", type=Path, help="earlier recording (EDF/EDF+/BDF)")
    p.add_argument("post", type=Path, help="later recording")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--out", type=Path, help="also write the JSON to this file")
    add_common(p, days=False)
    return p


def format_comparison(c: Comparison, *, title: str | None = None) -> str:
    """Readable text: status, the two recordings, the family table, the reasons.

    Parameters
    ----------
    c : Comparison
        A comparison.
    title : str or None
        First line (default: the status).

    Returns
    -------
    text : str
    """
    lines = [title or f"status: {c.status.upper()}"]
    for tag, tp in (("before", c.pre), ("after", c.post)):
        idx = tp.index_dict()
        ix = "-" if idx["overall"] is None else f"{idx['overall']:.2f} [{idx['ci_low']:.2f}, {idx['ci_high']:.2f}]"
        s = tp.score
        what = f"error: {s.error}" if s.error else f"{s.verdict} (grade {s.based_grade})"
        day = "" if tp.days is None else f"day {tp.days:g}, "
        age = "age ?" if tp.age_months is None else f"age {tp.age_months:.1f} mo"
        lines.append(f"  {tag:<7}{Path(tp.file).name}: {what}; {day}{age}; {len(tp.table)} clean epochs; "
                     f"index {ix}")  # fmt: skip
    if c.families:
        lines.append("")
        lines.append(f"  {'family':<26}{'index before -> after':<23}{f'change [{CI_LEVEL:.0%} CI]':<24}effect size")
        for d in c.families.values():
            lines.append(f"  {d['label']:<26}{d['index_pre']:.2f} -> {d['index_post']:.2f}{'':<11}"
                         f"{d['index_change']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]{'':<5}"
                         f"{d['effect_size']:+.2f}")  # fmt: skip
        v = c.change
        lines.append(f"  {'OVERALL':<26}{c.pre.index['overall']:.2f} -> {c.post.index['overall']:.2f}{'':<11}"
                     f"{v['value']:+.2f} [{v['ci_low']:+.2f}, {v['ci_high']:+.2f}]")  # fmt: skip
    lines.append("")
    lines += [f"  why: {r}" for r in c.reasons]
    lines += [f"  note: {n}" for n in c.notes]
    return "\n".join(lines)


def format_series(s: Series) -> str:
    """Readable text of a series: the overall status, then each step.

    Parameters
    ----------
    s : Series
        A series.

    Returns
    -------
    text : str
    """
    how = "first recording against the last" if not s.held else \
        f"an improvement held; the first recording against the last alone: {s.overall.status.upper()}"  # fmt: skip
    lines = [f"overall status: {s.status.upper()}  ({how})"]
    lines += [f"  why: {r}" for r in s.reasons[:1]] if s.held else []
    for tp in s.timepoints:
        idx = tp.index_dict()
        ix = "-" if idx["overall"] is None else f"{idx['overall']:.2f} [{idx['ci_low']:.2f}, {idx['ci_high']:.2f}]"
        day = "?" if tp.days is None else f"{tp.days:g}"
        lines.append(f"  day {day:>5}  {Path(tp.file).name}: {tp.score.verdict or 'error'}, index {ix}")
    for c in s.steps:
        lines += ["", format_comparison(c, title=f"step {Path(c.pre.file).name} -> {Path(c.post.file).name}: "
                                                 f"{c.status.upper()}")]  # fmt: skip
    if len(s.timepoints) > 2:
        lines += ["", format_comparison(s.overall, title=f"first against last: {s.overall.status.upper()}")]
    lines += [f"note: {n}" for n in s.notes]
    return "\n".join(lines)


def emit(obj, text: str, args: argparse.Namespace) -> None:
    """Print text or JSON, and write the JSON to ``--out`` when asked.

    Parameters
    ----------
    obj : Comparison or Series
        What to print.
    text : str
        The readable form.
    args : argparse.Namespace
        With ``format`` and ``out``.
    """
    as_json = json.dumps(obj.to_dict(), indent=1, ensure_ascii=False)
    print(as_json if args.format == "json" else text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(as_json + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe compare``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 when both recordings were compared, 1 otherwise.
    """
    from eegpipe.compare import compare

    for p in (args.pre, args.post):
        if not p.is_file():
            print(f"eegpipe: error: {p}: no such file", file=sys.stderr)
            return 1
    try:
        c = compare(args.pre, args.post, age_months=age_arg(args.age_months), epoch_s=args.epoch_s)
    except ValueError as err:
        print(f"eegpipe: error: {err}", file=sys.stderr)
        return 1
    emit(c, format_comparison(c), args)
    return 1 if c.status == "indeterminate" else 0
