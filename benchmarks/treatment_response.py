"""Treatment response on held-out simulated series: is every series' overall status right?

Simulates one infant per series seed (baseline, 30 and 180 days after ACTH + B12; the
first follow-up has tremor and myoclonic jerks with probability 0.32), as a responder,
partial responder or non-responder (``eegpipe.simulate.simulate_series``), runs
``eegpipe.compare.series`` on the EDF files (ordered by the dates in their headers, ages
from the headers' birth dates), and prints:

* per series: the true response, the overall status, the normalization index at each
  timepoint and whether the involuntary-movement follow-up was read correctly, then
  the first reason the status rule gave for each (what decided it);
* the confusion of true response and overall status (expected: responder ->
  normalized, partial -> improved, non-responder -> unchanged);
* for responders, whether the index rises monotonically (strictly, and within the
  bootstrap uncertainty: no step with a significant fall);
* which series' first-against-last status carries the note of a change only across
  normal age bands (``eegpipe.compare.AGE_BAND_NOTE``), and which the note of a step that
  reads otherwise on the electrodes both recordings recorded usefully
  (``eegpipe.compare.SHARED_ELECTRODES_NOTE``).

Series seeds 7000-13999 are reserved for this benchmark and were
never looked at while the index and the status rule were chosen (development used
6100-6199). Each run of held-out figures spends its seeds: 7000-7029, 7100-7129,
7200-7259, 7300-7359, 7400-7459, 7500-7559, 7600-7659, 7660-7719, 7720-7779, 7780-7839,
7840-7899, 7900-7959, 7030-7089, 7130-7189, 8000-9979 and 10000-13659 are spent (7200-7259,
7600-7659, 7660-7959, 7030-7089, 7130-7189 and 8000-8179 are now development data); of
7000-7999 only 7090-7099, 7190-7199 and 7960-7999 are unspent.  The second block,
8000-8999, was opened on 2026-11-30, the third, 9000-9999 (series seeds; the tests' corpora
9001-9006 are ``simulate_corpus`` seeds, another stream), on 2026-12-01, the fourth,
10000-10999, and the fifth, 11000-11999, on 2026-12-02, the sixth, 12000-12999, on
2026-12-07, the seventh, 13000-13999, on 2026-12-08: the default is 13660 (9980-9999 are
left of the third).

    python benchmarks/treatment_response.py              # 60 series from seed 13660, 300 s recordings
    python benchmarks/treatment_response.py --n 30 --jobs 2 --seed-start 7800
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

EXPECTED = {"responder": "normalized", "partial": "improved", "non_responder": "unchanged"}
#: Short verdict names for the per-series table.
SHORT_VERDICT = {"modified_hypsarrhythmia": "modified", "hypsarrhythmia": "hyps", "indeterminate": "indet."}
FIRST_SEED = 13660


def run_one(seed: int, out: str, duration_s: int, first_seed: int = FIRST_SEED, save: str | None = None) -> dict:
    """Simulate and compare one series; return what the summary needs.

    With ``save`` (a folder), also pickle the first and last recording as compared
    (``eegpipe.compare.Timepoint``), the overall change and the true response to
    ``save/<seed>.pkl``, for ``benchmarks/status_sweep.py`` to re-decide, and every
    timepoint as placed on its own (``timepoints``: the index trajectory).
    """
    from eegpipe.compare import AGE_BAND_NOTE, SHARED_ELECTRODES_NOTE, series
    from eegpipe.simulate import RESPONSES, simulate_series

    response = RESPONSES[(seed - first_seed) % len(RESPONSES)]
    paths = simulate_series(Path(out) / f"s{seed}", response, seed=seed, duration_s=duration_s)
    truth = [json.loads(p.with_suffix(".json").read_text()) for p in paths]
    s = series(paths)
    idx = [tp.index.get("overall") for tp in s.timepoints]
    if save:  # written whole, then renamed: status_sweep.py never reads a half-written file
        part = Path(save) / f"{seed}.pkl.part"
        with open(part, "wb") as f:
            pickle.dump({"seed": seed, "response": response, "pre": s.overall.pre, "post": s.overall.post,
                         "change": s.overall.change, "status": s.status, "timepoints": s.timepoints}, f)  # fmt: skip
        part.replace(Path(save) / f"{seed}.pkl")
    return {
        "seed": seed, "response": response, "status": s.status,
        "steps": [c.status for c in s.steps], "index": idx,
        "verdicts": [tp.score.verdict for tp in s.timepoints],
        "clean": [len(tp.table) for tp in s.timepoints],
        "step_ci_high": [c.change.get("ci_high") for c in s.steps],
        "movements": [t["involuntary_movements"] for t in truth],
        "why": s.reasons[0] if s.reasons else "",
        "band_note": any(AGE_BAND_NOTE in n for n in s.overall.notes),
        "shared_note": any(n.startswith(SHARED_ELECTRODES_NOTE) for n in s.overall.notes),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments.

    Returns
    -------
    status : int
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60, help="number of series (a third per response)")
    p.add_argument("--duration-s", type=int, default=300, help="length of each recording")
    p.add_argument("--jobs", type=int, default=1, help="series simulated and compared in parallel")
    p.add_argument("--seed-start", type=int, default=FIRST_SEED,
                   help="first series seed (7000-13999 held out; unspent: 7090-99, 7190-99, 7960-99, "
                        "9980-9999, 13660-13999)")
    p.add_argument("--save", metavar="DIR", help="pickle each series' first and last recording as compared "
                   "to DIR/<seed>.pkl (for benchmarks/status_sweep.py)")
    args = p.parse_args(argv)
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
    seeds = range(args.seed_start, args.seed_start + args.n)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs) as ex:
                n = len(seeds)
                rows = list(ex.map(run_one, seeds, [out] * n, [args.duration_s] * n, [args.seed_start] * n,
                                   [args.save] * n))
        else:
            rows = [run_one(s, out, args.duration_s, args.seed_start, args.save) for s in seeds]
    fmt = lambda v: "  -  " if v is None else f"{v:.2f}"  # noqa: E731
    print(f"{'seed':<6}{'response':<15}{'overall status':<16}{'ok':<4}{'index baseline/d30/d180':<26}"
          f"{'verdicts':<30}{'clean epochs':<14}movements at d30")  # fmt: skip
    for r in rows:
        ok = "yes" if r["status"] == EXPECTED[r["response"]] else "NO"
        idx = " / ".join(fmt(v) for v in r["index"])
        verd = ", ".join(SHORT_VERDICT.get(v, v or "-") for v in r["verdicts"])
        print(f"{r['seed']:<6}{r['response']:<15}{r['status']:<16}{ok:<4}{idx:<26}{verd:<30}"
              f"{'/'.join(map(str, r['clean'])):<14}{'yes' if r['movements'][1] else 'no'}")  # fmt: skip
    print("\nwhat decided each overall status (first against last recording):")
    for r in rows:
        print(f"{r['seed']:<6}{r['status']:<12}{r['why']}")
    print()
    statuses = ("normalized", "improved", "unchanged", "worsened", "indeterminate")
    print(f"{'true response':<15}" + "".join(f"{s:>15}" for s in statuses) + f"{'correct':>10}")
    for resp, want in EXPECTED.items():
        sel = [r for r in rows if r["response"] == resp]
        counts = [sum(r["status"] == s for r in sel) for s in statuses]
        right = sum(r["status"] == want for r in sel)
        print(f"{resp:<15}" + "".join(f"{c:>15}" for c in counts) + f"{right:>6}/{len(sel)}")
    n_ok = sum(r["status"] == EXPECTED[r["response"]] for r in rows)
    print(f"\noverall status right: {n_ok}/{len(rows)}")
    resp = [r for r in rows if r["response"] == "responder" and None not in r["index"]]
    strict = sum(all(b >= a for a, b in zip(r["index"][:-1], r["index"][1:], strict=True)) for r in resp)
    no_fall = sum(all(h is not None and h >= 0 for h in r["step_ci_high"]) and r["index"][-1] > r["index"][0]
                  for r in resp)  # fmt: skip
    print(f"responders whose index never falls: strictly {strict}/{len(resp)}; "
          f"within the 95% bootstrap interval (no step with a significant fall) {no_fall}/{len(resp)}")
    moved = [r for r in rows if r["response"] == "responder" and r["movements"][1]]
    print(f"responders with tremor/jerks at day 30: {len(moved)}; read as normal at day 30: "
          f"{sum(r['verdicts'][1] == 'normal' and r['steps'][0] == 'normalized' for r in moved)}")
    noted = [r for r in rows if r["band_note"]]
    which = ", ".join(f"{r['seed']} {r['response']} {r['status']}" for r in noted) or "none"
    print(f"first against last noted as a change only across normal age bands: {len(noted)} ({which})")
    shared = [r for r in rows if r["shared_note"]]
    which = ", ".join(f"{r['seed']} {r['response']} {r['status']}" for r in shared) or "none"
    print(f"first against last reading otherwise on the electrodes both recorded usefully: {len(shared)} ({which})")
    print(f"\n{len(rows)} series (seeds {seeds.start}-{seeds.stop - 1}) of 3 x {args.duration_s} s "
          f"in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
