"""Peak resident memory of scoring, against the recording's length, in fresh processes.

    python benchmarks/memory.py [--hours 1 6 24] [--mne-hours 1 6] [--data DIR]

For each length, a hypsarrhythmia recording (19 EEG channels at 256 Hz plus auxiliary
channels, EDF+ 16-bit, seed 424242) is simulated once into ``--data`` (a day-long file
takes about half an hour and a gigabyte), then scored by ``score_recording`` in a fresh
Python process on one core. The peak resident set size of that child alone
(``ru_maxrss`` from ``os.wait4``) is the figure; the child also reports its resident size
after imports (interpreter, numpy/scipy/MNE/pandas/scikit-learn and the model), before any
sample is read. For comparison, ``--mne-hours`` lengths are also loaded by MNE alone with
``preload=True`` and band-passed, in a fresh process each (a day-long file would need
several GB that way, so it is left out by default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _common import DEFAULT_DATA, machine, recording, table  # sets one BLAS thread

_EEGPIPE_CHILD = """import json, resource, sys, time
from eegpipe import score
from eegpipe.model import DEFAULT_MODEL
(getattr(score, "get_model", None) or score._get_model)(DEFAULT_MODEL)  # the shipped model, loaded once
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
w, c = time.perf_counter(), time.process_time()
r = score.score_recording(sys.argv[1])
print(json.dumps({"base_kb": base, "wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c,
                  "verdict": r.verdict, "epochs": r.quality.get("epochs")}))
"""

_MNE_CHILD = """import json, resource, sys, time
import mne
from eegpipe.preprocess import BANDPASS_HZ
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
w, c = time.perf_counter(), time.process_time()
raw = mne.io.read_raw_edf(sys.argv[1], preload=True, verbose="error")
raw.filter(*BANDPASS_HZ, verbose="error")
print(json.dumps({"base_kb": base, "wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}))
"""


def run_child(code: str, path: Path) -> dict:
    """Run ``code`` on ``path`` in a fresh interpreter; its JSON line plus its peak RSS."""
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"child failed ({proc.returncode}) on {path}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_mb"] = usage.ru_maxrss / 1024.0  # kB on Linux
    res["base_mb"] = res.pop("base_kb") / 1024.0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, nargs="+", default=[1.0, 6.0, 24.0], help="lengths scored by eegpipe")
    ap.add_argument("--mne-hours", type=float, nargs="*", default=[1.0, 6.0], help="lengths loaded by MNE alone")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where simulated recordings are kept")
    args = ap.parse_args()
    print(machine())
    paths = {h: recording(args.data, h * 60) for h in sorted(set(args.hours) | set(args.mne_hours))}
    rows, peaks = [], {}
    for h in sorted(paths):
        size = paths[h].stat().st_size / 1e6
        ours = run_child(_EEGPIPE_CHILD, paths[h]) if h in args.hours else None
        theirs = run_child(_MNE_CHILD, paths[h]) if h in args.mne_hours else None
        if ours:
            peaks[h] = ours["peak_mb"]
        rows.append((
            f"{h:g} h", f"{size:,.0f}",
            f"**{ours['peak_mb']:,.0f}**" if ours else "-",
            f"{ours['base_mb']:,.0f}" if ours else "-",
            f"{ours['peak_mb'] - ours['base_mb']:,.0f}" if ours else "-",
            f"{ours['cpu_s']:.1f} / {h * 3600 / ours['cpu_s']:,.0f}" if ours else "-",
            f"{theirs['peak_mb']:,.0f}" if theirs else "-",
        ))  # fmt: skip
        print(f"{h:g} h done: {json.dumps({'eegpipe': ours, 'mne': theirs})}", flush=True)
    print("\nPeak resident memory, fresh process per run, one core:")
    print(table(rows, ("recording", "EDF MB", "eegpipe peak RSS MB", "after imports MB",
                       "scoring adds MB", "CPU s / x real time", "MNE preload + filter peak RSS MB")))  # fmt: skip
    if len(peaks) > 1:
        lo, hi = min(peaks), max(peaks)
        print(f"\npeak RSS {peaks[lo]:,.0f} MB at {lo:g} h, {peaks[hi]:,.0f} MB at {hi:g} h: "
              f"{peaks[hi] - peaks[lo]:+,.0f} MB for {hi / lo:g} times the length")  # fmt: skip


if __name__ == "__main__":
    main()
