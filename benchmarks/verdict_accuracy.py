"""Accuracy of the rule-based verdict on held-out simulated recordings.

    python benchmarks/verdict_accuracy.py [--n 75] [--seed 3000] [--duration 180] [--jobs 2]

Makes ``n`` recordings with ``simulate_corpus`` (every class, subtype, artifact kind,
sampling rate and label style), scores each with ``eegpipe.score.score_recording`` and
prints the confusion matrix, sensitivity and specificity for "hypsarrhythmia or
modified", per-subtype hits, and the BASED-like grade against the simulated severity.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

from eegpipe.score import score_recording
from eegpipe.simulate import SUBTYPES, simulate_corpus

CLASSES = ("normal", "hypsarrhythmia", "modified_hypsarrhythmia")


def _score(path: str) -> dict:
    truth = json.loads(Path(path).with_suffix(".json").read_text())
    r = score_recording(path)
    return {"truth": truth, "result": r.to_dict()}


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1 + z**2 / n
    c = (p + z**2 / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / d
    return c - h, c + h


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=75)
    ap.add_argument("--seed", type=int, default=3000)
    ap.add_argument("--duration", type=int, default=180)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in simulate_corpus(tmp, args.n, seed=args.seed,
                                                  duration_s=args.duration)]  # fmt: skip
        t_sim = time.perf_counter() - t0
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(_score, paths))
    t_all = time.perf_counter() - t0
    print(f"{args.n} held-out simulated recordings (corpus seed {args.seed}, {args.duration} s "
          f"each); simulated in {t_sim:.0f} s, scored in {t_all - t_sim:.0f} s")  # fmt: skip
    truth = [r["truth"]["label"] for r in rows]
    pred = [r["result"]["verdict"] or "error" for r in rows]
    cols = (*CLASSES, "indeterminate", "error")
    print("\nconfusion matrix (rows: truth, columns: verdict)")
    print(" " * 26 + "".join(f"{c[:13]:>14}" for c in cols))
    for t in CLASSES:
        print(f"{t:<26}" + "".join(f"{sum(1 for a, b in zip(truth, pred, strict=True) if a == t and b == c):>14}"
                                   for c in cols))  # fmt: skip
    abn_t = np.array([t != "normal" for t in truth])
    abn_p = np.array([p in ("hypsarrhythmia", "modified_hypsarrhythmia") for p in pred])
    tp, fn = int((abn_t & abn_p).sum()), int((abn_t & ~abn_p).sum())
    tn, fp = int((~abn_t & ~abn_p).sum()), int((~abn_t & abn_p).sum())
    lo, hi = _wilson(tp, tp + fn)
    print(f"\nsensitivity (hypsarrhythmia or modified): {tp}/{tp + fn} = {tp / max(tp + fn, 1):.3f}"
          f"  (95% CI {lo:.2f}-{hi:.2f})")  # fmt: skip
    lo, hi = _wilson(tn, tn + fp)
    print(f"specificity:                              {tn}/{tn + fp} = {tn / max(tn + fp, 1):.3f}"
          f"  (95% CI {lo:.2f}-{hi:.2f})")  # fmt: skip
    print("\nsubtypes (modified recordings scored as abnormal): hits / present, false alarms")
    for s in SUBTYPES:
        present = [s in r["truth"]["subtypes"] for r in rows]
        found = [s in (r["result"]["subtypes"] or []) for r in rows]
        hit = sum(p and f for p, f in zip(present, found, strict=True))
        fa = sum(f and not p for p, f in zip(present, found, strict=True))
        print(f"  {s:<18} {hit:>3} / {sum(present):<3}  false alarms {fa}")
    sev = np.array([r["truth"]["severity"] for r in rows])
    grade = np.array([r["result"]["based_grade"] if r["result"]["based_grade"] is not None
                      else np.nan for r in rows], dtype=float)  # fmt: skip
    ok = np.isfinite(grade)
    rho, p = stats.spearmanr(sev[ok], grade[ok])
    print(f"\nBASED-like grade vs simulated severity: Spearman rho {rho:.2f} (p={p:.1e})")
    for lo_, hi_ in ((0, 0.01), (0.01, 0.5), (0.5, 0.75), (0.75, 1.01)):
        sel = ok & (sev >= lo_) & (sev < hi_)
        if sel.any():
            print(f"  severity {lo_:.2f}-{min(hi_, 1):.2f}: n={sel.sum():>3}  mean grade "
                  f"{grade[sel].mean():.2f}  grades {np.bincount(grade[sel].astype(int), minlength=6)}")  # fmt: skip
    abnormal_verdicts = ("hypsarrhythmia", "modified_hypsarrhythmia")
    misses = [(Path(r["truth"]["file"]).name, r["truth"]["label"], r["truth"]["subtypes"],
               r["result"]["verdict"], r["result"]["based_grade"]) for r in rows
              if (r["truth"]["label"] != "normal") != (r["result"]["verdict"] in abnormal_verdicts)]
    print(f"\nmisclassified ({len(misses)}):")
    for row in misses:
        print("  ", *row)


if __name__ == "__main__":
    main()
