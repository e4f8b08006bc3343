"""``eegpipe score PATH...``: a verdict per recording, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from eegpipe.model import DEFAULT_MODEL, ModelError
from eegpipe.pipeline import EPOCH_S
from eegpipe.score import ScoreResult, get_model, score_paths

CSV_COLUMNS = ("file", "verdict", "probability", "decided_by", "based_grade", "subtypes", "usable_minutes",
               "artifact_share", "bad_channels", "spike_events_per_min", "n_foci",
               "median_ptp_uv", "error")  # fmt: skip

_EXAMPLES = """examples:
  eegpipe score sample_edf/
  eegpipe score rec1.edf rec2.bdf --format json --out results/
  eegpipe score archive/ --figures pages/
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``score``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "score", help="say whether recordings show hypsarrhythmia, with the evidence",
        description="Score EDF/EDF+/BDF recordings (files or folders, searched recursively) "
                    "for hypsarrhythmia and its modified variants.", epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("paths", nargs="+", help="EDF/BDF files or folders")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (default: a readable table)")
    p.add_argument("--out", type=Path, help="also write the results to this folder "
                   "(scores.json and scores.csv)")  # fmt: skip
    p.add_argument("--figures", type=Path, help="write a PNG of each file's most abnormal page "
                   "(double banana, clinical scale, spikes marked) to this folder")  # fmt: skip
    p.add_argument("--epoch-s", type=float, default=EPOCH_S, help="epoch length in seconds")
    p.add_argument("--overlap", type=float, default=0.0, help="epoch overlap, 0-0.9")
    m = p.add_mutually_exclusive_group()
    m.add_argument("--model", default=DEFAULT_MODEL, help="trained model: a name under models/ or a "
                   "model folder (default: the shipped model, models/default)")  # fmt: skip
    m.add_argument("--no-model", dest="model", action="store_const", const=None,
                   help="rule-based verdict only (no trained model)")
    return p


def _row(r: ScoreResult) -> dict:
    q, m = r.quality, r.measures
    return {
        "file": r.file, "verdict": r.verdict or "", "probability": r.probability, "decided_by": r.decided_by,
        "based_grade": r.based_grade, "subtypes": ";".join(r.subtypes),
        "usable_minutes": q.get("usable_minutes"), "artifact_share": q.get("artifact_share"),
        "bad_channels": ";".join(q.get("bad_channels", {})),
        "spike_events_per_min": m.get("spike_events_per_min"), "n_foci": m.get("n_foci"),
        "median_ptp_uv": m.get("median_ptp_uv"), "error": r.error or "",
    }  # fmt: skip


def _fmt(v, digits=2) -> str:
    if v is None or v == "":
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def format_table(results: list[ScoreResult]) -> str:
    """A plain-text table, one line per file, failures at the end of their line.

    Parameters
    ----------
    results : list of ScoreResult
        The scored files.

    Returns
    -------
    table : str
    """
    head = ("file", "verdict", "grade", "prob", "subtypes", "clean min", "artifact", "spikes/min")
    rows = []
    for r in results:
        d = _row(r)
        if r.error:
            rows.append((r.file, "ERROR", "", "", r.error, "", "", ""))
            continue
        rows.append((r.file, d["verdict"], _fmt(d["based_grade"]), _fmt(d["probability"]),
                     d["subtypes"] or "-", _fmt(d["usable_minutes"], 1),
                     f"{100 * (d['artifact_share'] or 0):.0f}%",
                     _fmt(d["spike_events_per_min"], 1)))  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    widths[4] = min(widths[4], 60)
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _csv(results: list[ScoreResult]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in results:
        w.writerow(_row(r))
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe score``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 when every file was scored, 1 when any failed.
    """
    try:
        get_model(args.model)  # a broken or untrusted model stops here, once, in one line
    except ModelError as err:
        print(f"eegpipe score: error: {err}", file=sys.stderr)
        return 2
    results = []
    for r in score_paths(args.paths, epoch_s=args.epoch_s, overlap=args.overlap,
                         figures_dir=args.figures, model=args.model):  # fmt: skip
        results.append(r)
        if r.error and args.format == "table":
            print(f"eegpipe: {r.file}: {r.error}", file=sys.stderr)
    as_json = json.dumps([r.to_dict() for r in results], indent=1, ensure_ascii=False)
    if args.format == "json":
        print(as_json)
    elif args.format == "csv":
        print(_csv(results), end="")
    else:
        print(format_table(results))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "scores.json").write_text(as_json + "\n", encoding="utf-8")
        (args.out / "scores.csv").write_text(_csv(results), encoding="utf-8")
    return 1 if any(r.error for r in results) else 0
