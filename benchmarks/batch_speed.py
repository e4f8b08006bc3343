"""Archive-sweep throughput: files per minute with 1 and 2 local workers, and the ratio.

    python benchmarks/batch_speed.py [--n 20] [--minutes 5] [--jobs 1 2]

Simulates a corpus of ``--n`` recordings of ``--minutes`` each (corpus seed 4242, every
class and export variant) into a temporary folder, then sweeps it with
``eegpipe.batch.run_batch`` once per ``--jobs`` value, each time into a fresh results
folder (nothing skipped). Prints files per minute over the whole sweep (discovery,
hashing, worker start and table building included), the mean scoring time per file, and
the speed-up of each worker count over the first, with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

#: Corpus seed of this benchmark (benchmarks/README.md keeps seeds apart).
CORPUS_SEED = 4242


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="recordings in the corpus")
    ap.add_argument("--minutes", type=float, default=5.0, help="length of each recording")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    args = ap.parse_args()
    import pandas as pd

    from eegpipe.batch import run_batch
    from eegpipe.simulate import simulate_corpus

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}; load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        paths = simulate_corpus(tmp / "archive", args.n, seed=CORPUS_SEED, duration_s=int(args.minutes * 60),
                                include_events=False)  # fmt: skip
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"corpus: {args.n} recordings of {args.minutes:g} min ({size:.0f} MB), simulated in "
              f"{time.perf_counter() - t:.0f} s")  # fmt: skip
        rates = {}
        for jobs in args.jobs:
            out = tmp / f"results-{jobs}"
            s = run_batch([tmp / "archive"], out, jobs=jobs, secret_file=tmp / "secret")
            rates[jobs] = 60.0 * (s.scored + s.failed) / s.elapsed_s
            mean = pd.read_parquet(out / "recordings.parquet")["scoring_s"].mean()
            print(f"--jobs {jobs}: {s.scored + s.failed} files in {s.elapsed_s:.1f} s = {rates[jobs]:.1f} files/min "
                  f"({s.failed} failed; mean {mean:.2f} s scoring per file; load average after "
                  f"{os.getloadavg()[0]:.1f})")  # fmt: skip
        first = args.jobs[0]
        for jobs in args.jobs[1:]:
            print(f"scaling {first} -> {jobs} workers: x{rates[jobs] / rates[first]:.2f} "
                  f"(ideal x{jobs / first:g})")  # fmt: skip


if __name__ == "__main__":
    main()
