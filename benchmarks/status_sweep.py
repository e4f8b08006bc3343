"""Re-decide saved treatment-response series under other status-rule thresholds.

``benchmarks/treatment_response.py --save DIR`` pickles each series' first and last
recording as compared (features, bootstrap and score of each).  This script loads every
``*.pkl`` under the given folders, decides the overall status again with
``eegpipe.status.decide_status`` (and, for series saved with every timepoint, the series
rule, ``eegpipe.status.SERIES_RULE``) under the current thresholds and under each ``--try``
setting, and prints for each setting how many series of each true response are right and
which series changed status.  Nothing is simulated or measured again, so a setting takes
seconds; the thresholds still have to be justified on their own (a drift measurement, a
source), and a setting chosen here has to be checked on fresh seeds: the saved series are
spent.

    python benchmarks/status_sweep.py /tmp/sweep --try spikes=0.25,synchrony=0.39 --try overall=0.36

``--reference FILE`` first places every saved recording on another reference file (as
``python -m eegpipe.reference build --out FILE`` writes it) from its saved pooled and
bootstrap values, as ``eegpipe.compare`` does, so that two references can be compared on
the same series; the saved series must hold every feature the reference has.

Names a ``--try`` can set: ``overall`` (``MIN_INDEX_CHANGE``), ``background``
(``MIN_BACKGROUND_CHANGE``), ``resolution`` (``SPIKE_RESOLUTION``) and each family of
``FAMILY_MIN_CHANGE``.  The reasons printed under a ``--try`` quote the families'
thresholds as the rule's text has them (the current ones); the decisions use the tried ones.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from contextlib import contextmanager
from pathlib import Path

from treatment_response import EXPECTED  # the benchmark whose saved series this re-decides


@contextmanager
def thresholds(setting: dict[str, float]):
    """Set the status rule's thresholds in ``eegpipe.status`` for the duration of the block."""
    from eegpipe import status

    saved = (status.MIN_INDEX_CHANGE, status.SPIKE_RESOLUTION, status.MIN_BACKGROUND_CHANGE,
             dict(status.FAMILY_MIN_CHANGE))
    try:
        for name, value in setting.items():
            if name == "overall":
                status.MIN_INDEX_CHANGE = value
            elif name == "background":
                status.MIN_BACKGROUND_CHANGE = value
            elif name == "resolution":
                status.SPIKE_RESOLUTION = value
            elif name in status.FAMILY_MIN_CHANGE:
                status.FAMILY_MIN_CHANGE[name] = value
            else:
                raise SystemExit(f"status_sweep: unknown threshold {name!r}")
        yield
    finally:
        status.MIN_INDEX_CHANGE, status.SPIKE_RESOLUTION, status.MIN_BACKGROUND_CHANGE = saved[:3]
        status.FAMILY_MIN_CHANGE.clear()
        status.FAMILY_MIN_CHANGE.update(saved[3])


def load(dirs: list[Path]) -> list[dict]:
    """Every ``*.pkl`` saved under the folders (by ``--save``), in order of seed."""
    rows = []
    for d in dirs:
        for f in sorted(d.rglob("*.pkl")):
            with open(f, "rb") as fh:
                rows.append(pickle.load(fh))
    return sorted(rows, key=lambda r: r["seed"])


def place_on(rows: list[dict], path: Path) -> None:
    """Place every saved recording again on the reference file at ``path`` (in place), with
    the bootstrap it was compared with (same resamples), and recompute the overall change."""
    from eegpipe.compare import _place, overall_change
    from eegpipe.reference import Reference

    ref = Reference.load(path)
    for r in rows:
        for tp in (r["pre"], r["post"], *r.get("timepoints", [])):
            _place(tp, ref, *tp._placement[1:])
        if r["pre"].comparable and r["post"].comparable:
            r["change"] = overall_change(r["pre"], r["post"])


def decide_all(rows: list[dict]) -> dict[int, tuple[str, str]]:
    """Status and its first reason for each saved series, under the current thresholds: the
    first recording against the last, then, for a series saved with its ``timepoints``, the
    series rule (an improvement at a recording in between that held, ``SERIES_RULE``)."""
    from eegpipe.compare import _held_improvement, compare_timepoints
    from eegpipe.status import decide_status

    out = {}
    for r in rows:
        st, why = decide_status(r["pre"], r["post"], r["change"])
        tps = r.get("timepoints") or []
        if st == "unchanged" and len(tps) > 2:
            steps = [compare_timepoints(a, b) for a, b in zip(tps[:-1], tps[1:], strict=True)]
            held = _held_improvement(tps, steps, st)
            if held:
                st, why = "improved", [f"held from day {held[0].post.days:g}: {held[0].reasons[0]}"]
        out[r["seed"]] = st, (why[0] if why else "")
    return out


def summary(rows: list[dict], decided: dict[int, tuple[str, str]]) -> str:
    """One line: right per true response and in all."""
    parts, total = [], 0
    for resp, want in EXPECTED.items():
        sel = [r for r in rows if r["response"] == resp]
        right = sum(decided[r["seed"]][0] == want for r in sel)
        total += right
        parts.append(f"{resp} {right}/{len(sel)}")
    return f"{', '.join(parts)}; right {total}/{len(rows)}"


def parse_setting(text: str) -> dict[str, float]:
    """``spikes=0.25,overall=0.36`` -> ``{"spikes": 0.25, "overall": 0.36}``."""
    out = {}
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"status_sweep: --try {text!r}: {part!r} is not NAME=NUMBER") from None
    return out


def main(argv: list[str] | None = None) -> int:
    """Load, re-decide and print.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments.

    Returns
    -------
    status : int
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+", type=Path, help="folders with <seed>.pkl from treatment_response.py --save")
    p.add_argument("--try", dest="tries", action="append", default=[], metavar="NAME=V,...",
                   help="a setting of thresholds to compare with the current one (repeatable)")  # fmt: skip
    p.add_argument("--reference", type=Path, metavar="FILE",
                   help="place every saved recording on this reference file first")  # fmt: skip
    args = p.parse_args(argv)
    rows = load(args.dirs)
    if not rows:
        print(f"status_sweep: no .pkl files under {', '.join(map(str, args.dirs))}", file=sys.stderr)
        return 1
    if args.reference:
        place_on(rows, args.reference)
    from eegpipe import status

    base = decide_all(rows)
    print(f"{len(rows)} saved series (seeds {rows[0]['seed']}-{rows[-1]['seed']})")
    print(f"current (overall {status.MIN_INDEX_CHANGE}, background {status.MIN_BACKGROUND_CHANGE}, "
          f"resolution {status.SPIKE_RESOLUTION}, "
          f"{', '.join(f'{k} {v}' for k, v in status.FAMILY_MIN_CHANGE.items())}): {summary(rows, base)}")  # fmt: skip
    below = [r["seed"] for r in rows if r["response"] == "responder" and r["post"].comparable
             and r["post"].index["overall"] < 1.0]  # fmt: skip
    print(f"responders whose last recording reads below 1: {len(below)} {below}")
    wrong = [r for r in rows if base[r["seed"]][0] != EXPECTED[r["response"]]]
    for r in wrong:
        print(f"  wrong {r['seed']:<6}{r['response']:<15}{base[r['seed']][0]:<14}{base[r['seed']][1]}")
    for text in args.tries:
        setting = parse_setting(text)
        with thresholds(setting):
            got = decide_all(rows)
        print(f"\n--try {text}: {summary(rows, got)}")
        for r in rows:
            was, now = base[r["seed"]][0], got[r["seed"]][0]
            if was != now:
                mark = "fixed" if now == EXPECTED[r["response"]] else "broken" if was == EXPECTED[r["response"]] else ""
                print(f"  {r['seed']:<6}{r['response']:<15}{was} -> {now:<12}{mark:<8}{got[r['seed']][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
