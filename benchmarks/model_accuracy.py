"""Held-out accuracy of the shipped model, of the rules, and of the verdict combining them.

    python benchmarks/model_accuracy.py [--data data/heldout] [--n 150] [--seed 3100] [--jobs 2]

Scores every recording of a held-out simulated corpus (seed 3100: never used in training
or development; made here when ``--data`` holds no ``labels.csv``) with
``eegpipe.score.score_recording`` and prints, with 95% bootstrap intervals:

* the model: AUC, sensitivity and specificity for 'hypsarrhythmia or modified', 3-class
  accuracy, F1 per subtype;
* the rule-based verdict (BASED-like grade) on the same recordings, and the AUC of the
  grade as a score;
* the final verdict (model and rules combined, as ``eegpipe score`` reports it), and
  which of the two decided how often.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from eegpipe.model import load_model
from eegpipe.score import score_recording
from eegpipe.simulate import SUBTYPES, simulate_corpus
from eegpipe.train import bootstrap_ci, evaluate, f1_binary, read_labels

CLASSES = ("hypsarrhythmia", "modified_hypsarrhythmia", "normal")


def _score(path: str) -> dict:
    return score_recording(path).to_dict()


def _fmt(name: str, value: float, ci: list[float]) -> str:
    return f"  {name:<34}{value:6.3f}   (95% CI {ci[0]:.3f}-{ci[1]:.3f})"


def _binary_block(title: str, truth: np.ndarray, pred: np.ndarray) -> None:
    def sens(t, p):
        return (p[t == 1] == 1).mean()

    def spec(t, p):
        return (p[t == 0] == 0).mean()

    print(title)
    print(_fmt("sensitivity", sens(truth, pred), bootstrap_ci((truth, pred), sens)))
    print(_fmt("specificity", spec(truth, pred), bootstrap_ci((truth, pred), spec)))


def _subtype_block(title: str, true_sub: list[str], pred_sub: list[list[str]]) -> None:
    print(title)
    for s in SUBTYPES:
        t = np.array([s in v.split(";") for v in true_sub], dtype=int)
        p = np.array([s in v for v in pred_sub], dtype=int)
        print(_fmt(f"F1 {s} (n={t.sum()})", f1_binary(t, p), bootstrap_ci((t, p), f1_binary)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/heldout"))
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--seed", type=int, default=3100)
    ap.add_argument("--duration", type=int, default=180)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    if not (args.data / "labels.csv").exists():
        simulate_corpus(args.data, args.n, seed=args.seed, duration_s=args.duration, jobs=args.jobs)
    labels = read_labels(args.data / "labels.csv")
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(_score, labels["file"], chunksize=4))
    _, card = load_model()
    print(f"{len(rows)} held-out simulated recordings from {args.data} (seed {labels['seed'].min() // 10000}); "
          f"model '{card['name']}' sha256 {card['sha256'][:12]}; scored in {time.perf_counter() - t0:.0f} s\n")
    y = labels["label"].to_numpy()
    truth = (y != "normal").astype(int)
    ok = [r["model"] is not None for r in rows]
    if not all(ok):
        print(f"{len(ok) - sum(ok)} recording(s) had no model output (indeterminate):",
              [r["file"] for r, k in zip(rows, ok, strict=True) if not k])
    proba = np.array([[(r["model"] or {}).get("class_probabilities", {}).get(c, np.nan) for c in CLASSES]
                      for r in rows])
    sub_p = np.array([[(r["model"] or {}).get("subtype_probabilities", {}).get(s, 0.0) for s in SUBTYPES]
                      for r in rows])
    proba = proba / proba.sum(axis=1, keepdims=True)  # undo the JSON's 4-digit rounding
    keep = np.array(ok)
    m = evaluate(y[keep], CLASSES, proba[keep], labels["subtypes"][keep].tolist(), SUBTYPES, sub_p[keep])
    print("MODEL ('hypsarrhythmia or modified' = P(abnormal) >= 0.5)")
    for k in ("auc_abnormal", "sensitivity", "specificity", "accuracy_3class"):
        print(_fmt(k, m[k]["value"], m[k]["ci95"]))
    for s, v in m["subtype_f1"].items():
        print(_fmt(f"F1 {s} (n={v['n_present']})", v["value"], v["ci95"]))
    print("  confusion (rows truth, columns model):", m["confusion"])

    rules = [(r["rules"] or {}).get("verdict", r["verdict"]) for r in rows]
    rule_abn = np.array([v in ("hypsarrhythmia", "modified_hypsarrhythmia") for v in rules], dtype=int)
    grade = np.array([r["based_grade"] if r["based_grade"] is not None else -1 for r in rows], dtype=float)
    print()
    _binary_block("RULES (BASED-like grade and rule-based verdict)", truth, rule_abn)
    print(_fmt("AUC of the grade as a score", roc_auc_score(truth, grade),
               bootstrap_ci((truth, grade), roc_auc_score)))
    _subtype_block("  rules' subtypes:", labels["subtypes"].tolist(),
                   [(r["rules"] or {}).get("subtypes", r["subtypes"]) for r in rows])

    final = np.array([r["verdict"] in ("hypsarrhythmia", "modified_hypsarrhythmia") for r in rows], dtype=int)
    print()
    _binary_block("FINAL VERDICT (model and rules combined, as `eegpipe score` reports)", truth, final)
    acc = np.mean([r["verdict"] == t for r, t in zip(rows, y, strict=True)])
    print(f"  3-class accuracy                  {acc:6.3f}")
    _subtype_block("  final subtypes:", labels["subtypes"].tolist(), [r["subtypes"] for r in rows])
    print("  decided by:", dict(Counter(r["decided_by"] for r in rows)))


if __name__ == "__main__":
    main()
