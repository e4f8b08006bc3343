"""Drift of each feature family between sessions of unchanged infants: the figures behind
``eegpipe.status.FAMILY_MIN_CHANGE``, ``MIN_INDEX_CHANGE`` and ``MIN_BACKGROUND_CHANGE``.

Simulates the non-responders of the given treatment-response sets (the same series as
``benchmarks/treatment_response.py`` with the same first seeds: every third series, whose
disease does not change while sleep-wake state, age and electrode gain do), compares
first with last recording as ``eegpipe.compare.series`` does, and prints for each family
and the overall index: the standard deviation of the change, three of them (the smallest
detectable change the status rule uses), the largest changes, and how many series moved
by at least the rule's current threshold.

    python benchmarks/family_drift.py --jobs 2 --sets 7030 7130 7660 7720 7780 7840 7900 8000 8060 8120

Seeds of spent held-out sets only: a set's seeds are no longer held out once looked at.
``--save DIR`` also pickles each series' first and last recording as compared
(``eegpipe.compare.Timepoint``); ``--saved DIR`` then measures the drift again from those
files in seconds, each recording placed anew on the current reference and index (the
same epochs and bootstrap resamples), after a change to either; nothing is simulated.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

#: Series per treatment-response set (a third of them non-responders).
SET_SIZE = 60


def drift_one(seed: int, out: str, duration_s: int, save: str | None = None) -> dict:
    """Simulate one non-responder series; return its first-to-last index changes (and
    pickle its first and last recording to ``save/<seed>.pkl`` when ``save`` is given)."""
    from eegpipe.compare import series
    from eegpipe.simulate import simulate_series

    paths = simulate_series(Path(out) / f"s{seed}", "non_responder", seed=seed, duration_s=duration_s)
    c = series(paths).overall
    if save:
        with open(Path(save) / f"{seed}.pkl", "wb") as fh:
            pickle.dump({"seed": seed, "pre": c.pre, "post": c.post, "status": c.status}, fh)
    return changes(seed, c.status, c.pre, c.post)


def changes(seed: int, status: str, pre, post) -> dict:
    """Change of the overall index, its background part (``eegpipe.reference.background``)
    and each family's index from ``pre`` to ``post``."""
    from eegpipe.reference import background

    if status == "indeterminate":
        return {"seed": seed, "status": status}
    fam0, fam1 = pre.index["families"], post.index["families"]
    return {"seed": seed, "status": status, "overall": post.index["overall"] - pre.index["overall"],
            "background": float(background(fam1)) - float(background(fam0)),
            **{f: fam1[f] - fam0[f] for f in fam0}}  # fmt: skip


def replaced(folder: Path) -> list[dict]:
    """Changes of the series saved in ``folder``, each recording placed anew on the current
    reference and index with its saved epochs and bootstrap settings."""
    from status_sweep import load, place_on  # the same loading and re-placing

    from eegpipe.reference import REFERENCE_PATH

    rows = load([folder])
    place_on(rows, REFERENCE_PATH)
    return [changes(r["seed"], r["status"], r["pre"], r["post"]) for r in rows]


def main(argv: list[str] | None = None) -> int:
    """Run and print the drift table.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments.

    Returns
    -------
    status : int
    """
    from eegpipe.reference import FAMILIES
    from eegpipe.simulate import RESPONSES
    from eegpipe.status import FAMILY_MIN_CHANGE, MIN_BACKGROUND_CHANGE, MIN_INDEX_CHANGE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", type=int, nargs="+", help="first seeds of spent sets of 60")
    p.add_argument("--duration-s", type=int, default=300, help="length of each recording")
    p.add_argument("--jobs", type=int, default=1, help="series simulated in parallel")
    p.add_argument("--save", type=Path, metavar="DIR", help="pickle each series' compared recordings here")
    p.add_argument("--saved", type=Path, metavar="DIR", help="measure from series saved by --save instead")
    args = p.parse_args(argv)
    if (args.sets is None) == (args.saved is None):
        p.error("give --sets or --saved")
    t0 = time.perf_counter()
    if args.saved:
        rows, what = replaced(args.saved), f"saved in {args.saved}, placed on the current reference"
    else:
        k = RESPONSES.index("non_responder")
        seeds = [s for first in args.sets for s in range(first, first + SET_SIZE)
                 if (s - first) % len(RESPONSES) == k]  # fmt: skip
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as out, ProcessPoolExecutor(args.jobs) as ex:
            rows = list(ex.map(drift_one, seeds, [out] * len(seeds), [args.duration_s] * len(seeds),
                               [str(args.save) if args.save else None] * len(seeds)))  # fmt: skip
        what = f"sets {', '.join(map(str, args.sets))}"
    rows = [r for r in rows if r["status"] != "indeterminate"]
    print(f"{len(rows)} non-responder series ({what}), first against last "
          f"recording, in {time.perf_counter() - t0:.0f} s\n")  # fmt: skip
    thresholds = {**{f: FAMILY_MIN_CHANGE.get(f) for f in FAMILIES}, "overall": MIN_INDEX_CHANGE,
                  "background": MIN_BACKGROUND_CHANGE}
    print(f"{'family':<14}{'SD':>7}{'3 SD':>7}{'rule':>7}{'|change| >= rule':>18}   largest changes (seed)")
    for fam, rule in thresholds.items():
        d = np.array([r[fam] for r in rows], float)
        ok = np.isfinite(d)
        sd = float(np.std(d[ok], ddof=1))
        beyond = "-" if rule is None else f"{int(np.sum(np.abs(d[ok]) >= rule))}/{int(ok.sum())}"
        top = sorted((r for r in rows if np.isfinite(r[fam])), key=lambda r: -abs(r[fam]))[:3]
        tops = ", ".join(f"{r[fam]:+.2f} ({r['seed']})" for r in top)
        print(f"{fam:<14}{sd:>7.3f}{3 * sd:>7.2f}{'-' if rule is None else f'{rule:.2f}':>7}{beyond:>18}   {tops}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
