"""How fast an hour of EEG is scored, where the time goes, and against MNE alone.

    python benchmarks/speed.py [--minutes 60] [--rounds 3] [--runs 3] [--cold 3] [--data DIR]

Simulates (once, seed 424242, kept in ``--data``) a hypsarrhythmia recording of
``--minutes`` with 19 EEG channels at 256 Hz plus auxiliary channels, then, on one core
(one BLAS thread):

1. **Stages**: in this process, after a warm-up run, one ``score_recording`` call (load
   to verdict, feature table and the shipped model included) with every stage wrapped by
   a timer; each stage's own CPU seconds, its share, and multiples of real time.
2. **Warm, against MNE alone**: ``score_recording(path)`` against what a user would run
   with MNE alone, ``mne.io.read_raw_edf(path, preload=True)`` plus ``raw.filter(0.5, 45)``
   (the band-pass of :data:`eegpipe.preprocess.BANDPASS_HZ`). Each tool runs in its own
   fresh processes (``--rounds`` of them, alternating which tool goes first, so the
   machine's load weighs on both alike), one untimed warm-up run and ``--runs`` timed
   runs in each; a separate process per tool matters, because memory freed by one makes
   the other's large allocations cost kernel time. Medians of wall and CPU seconds,
   multiples of real time, and the ratio eegpipe / MNE.
3. **Cold**, ``--cold`` times each: ``eegpipe score FILE`` and a Python process doing the
   MNE load and filter, each a fresh process (interpreter start and imports in).

The figures in ``benchmarks/RESULTS.md`` come from this script.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import DEFAULT_DATA, machine, median, recording, table, timed  # sets one BLAS thread

#: Stages of one score_recording call: (module, attribute) wrapped -> stage name.
STAGES = {
    ("eegpipe.score", "load_recording"): "load (header, channel map)",
    ("eegpipe.pipeline", "_survey"): "survey (mains, bad channels)",
    ("mne.io.BaseRaw", "get_data"): "read samples (MNE reader)",
    ("eegpipe.pipeline", "filter_resample"): "notch, band-pass, resample",
    ("eegpipe.pipeline", "bipolar"): "montages",
    ("eegpipe.pipeline", "average_reference"): "montages",
    ("eegpipe.pipeline", "mark_artifacts"): "artifact marking",
    ("eegpipe.pipeline", "repair_pops"): "artifact marking",
    ("eegpipe.features", "power_spectrum"): "spectral features",
    ("eegpipe.features", "band_powers"): "spectral features",
    ("eegpipe.features", "peak_frequency"): "spectral features",
    ("eegpipe.features", "spectral_edge"): "spectral features",
    ("eegpipe.features", "aperiodic_exponent"): "spectral features",
    ("eegpipe.features", "spectral_entropy"): "spectral features",
    ("eegpipe.features", "permutation_entropy"): "permutation entropy",
    ("eegpipe.features", "amplitude_features"): "amplitude features",
    ("eegpipe.features", "peak_to_peak"): "amplitude features",
    ("eegpipe.features", "max_peak_to_peak"): "amplitude features",
    ("eegpipe.features", "rms"): "amplitude features",
    ("eegpipe.features", "high_voltage_share"): "amplitude features",
    ("eegpipe.features", "line_length"): "amplitude features",
    ("eegpipe.features", "window_rms"): "amplitude features",
    ("eegpipe.features", "band_filter"): "synchrony features",
    ("eegpipe.features", "pair_correlation"): "synchrony features",
    ("eegpipe.features", "log_amplitude_ratio"): "synchrony features",
    ("eegpipe.features", "global_correlation"): "synchrony features",
    ("eegpipe.pipeline", "detect_spikes"): "spike detection",
    ("eegpipe.score", "summarize"): "recording measures",
    ("eegpipe.score", "decide"): "rules",
    ("eegpipe.score", "epoch_frame"): "feature tables",
    ("eegpipe.score", "recording_features"): "feature tables",
    ("eegpipe.score", "model_output"): "trained model",
    ("eegpipe.score", "combine"): "trained model",
}


class StageTimer:
    """Exclusive CPU and wall time per stage: a stage called inside another (the MNE
    reader inside the survey) is charged to itself only."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        self._stack: list[list[float]] = []  # per open call: [child cpu, child wall]

    def wrap(self, name: str, fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            self._stack.append([0.0, 0.0])
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                dc, dw = time.process_time() - c, time.perf_counter() - w
                child_c, child_w = self._stack.pop()
                self.cpu[name] = self.cpu.get(name, 0.0) + dc - child_c
                self.wall[name] = self.wall.get(name, 0.0) + dw - child_w
                if self._stack:
                    self._stack[-1][0] += dc
                    self._stack[-1][1] += dw

        return inner


def profile_stages(path: Path):
    """One score_recording call with every stage of STAGES timed; (timer, cpu, wall)."""
    import importlib

    import mne

    from eegpipe.score import score_recording

    timer, saved = StageTimer(), []
    for (module, attr), name in STAGES.items():
        owner = mne.io.BaseRaw if module == "mne.io.BaseRaw" else importlib.import_module(module)
        if not hasattr(owner, attr):
            print(f"(stage {name!r}: {module}.{attr} not found; counted under 'other')")
            continue
        saved.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, timer.wrap(name, getattr(owner, attr)))
    try:
        _, wall, cpu = timed(score_recording, path)
    finally:
        for owner, attr, fn in reversed(saved):
            setattr(owner, attr, fn)
    return timer, cpu, wall


_WARM_CHILD = """import json, sys, time
tool, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if tool == "mne":
    import mne
    from eegpipe.preprocess import BANDPASS_HZ

    def run():  # what a user would run with MNE alone: load with preload, band-pass
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        raw.filter(*BANDPASS_HZ, verbose="error")
else:
    from eegpipe.score import score_recording

    def run():
        score_recording(path)
run()  # warm-up: lazy imports, the model, the file in the page cache
out = []
for _ in range(runs):
    w, c = time.perf_counter(), time.process_time()
    run()
    out.append((time.perf_counter() - w, time.process_time() - c))
print(json.dumps(out))
"""

_MNE_SCRIPT = """import sys, mne
from eegpipe.preprocess import BANDPASS_HZ
raw = mne.io.read_raw_edf(sys.argv[1], preload=True, verbose="error")
raw.filter(*BANDPASS_HZ, verbose="error")
"""


def warm_runs(tool: str, path: Path, runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of ``runs`` runs of ``tool`` in a fresh process, after one
    untimed warm-up run there (each tool in its own process: one's freed memory does not
    slow the other's allocations)."""
    out = subprocess.run([sys.executable, "-c", _WARM_CHILD, tool, str(path), str(runs)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return [tuple(r) for r in json.loads(out.strip().splitlines()[-1])]


def cold_run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="recording length")
    ap.add_argument("--rounds", type=int, default=3, help="fresh processes per tool for the warm comparison")
    ap.add_argument("--runs", type=int, default=3, help="timed runs in each of those processes")
    ap.add_argument("--cold", type=int, default=3, help="fresh-process runs of each (0: skip)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where simulated recordings are kept")
    args = ap.parse_args()
    print(machine())
    path = recording(args.data, args.minutes)
    duration = args.minutes * 60.0
    print(f"recording: {path.name}, {args.minutes:g} min, 19 EEG channels at 256 Hz "
          f"({path.stat().st_size / 1e6:.0f} MB)\n")  # fmt: skip

    from eegpipe.score import score_recording

    result = score_recording(path)  # warm-up: imports, the model, the file in the page cache

    timer, cpu, wall = profile_stages(path)
    shown = {name: s for name, s in timer.cpu.items() if s >= 0.001}
    rows = [(name, f"{s:.3f}", f"{100 * s / cpu:.0f}%", f"{duration / s:,.0f}")
            for name, s in sorted(shown.items(), key=lambda kv: -kv[1])]  # fmt: skip
    other = cpu - sum(shown.values())
    rows.append(("other (chunking, assembly, rules, result)", f"{other:.3f}", f"{100 * other / cpu:.0f}%", ""))
    rows.append(("**score_recording, end to end**", f"**{cpu:.3f}**", "100%", f"**{duration / cpu:,.0f}**"))
    print(f"Stages of one score_recording call (CPU s of this process; wall {wall:.2f} s):")
    print(table(rows, ("stage", "CPU s", "share", "x real time")))

    runs: dict[str, list[tuple[float, float]]] = {"eegpipe": [], "mne": []}
    for i in range(args.rounds):
        for tool in (("eegpipe", "mne") if i % 2 == 0 else ("mne", "eegpipe")):
            runs[tool] += warm_runs(tool, path, args.runs)
    (ow, oc), (mw, mc) = ((median(w for w, _ in runs[k]), median(c for _, c in runs[k])) for k in ("eegpipe", "mne"))
    rows = [
        ("eegpipe `score_recording` (load to verdict)", f"{ow:.2f}", f"{oc:.2f}", f"{duration / ow:,.0f}",
         f"{duration / oc:,.0f}"),
        ("MNE alone: `read_raw_edf(preload=True)` + `filter(0.5, 45)`", f"{mw:.2f}", f"{mc:.2f}",
         f"{duration / mw:,.0f}", f"{duration / mc:,.0f}"),
        ("**ratio eegpipe / MNE**", f"**{ow / mw:.2f}**", f"**{oc / mc:.2f}**", "", ""),
    ]  # fmt: skip
    n = args.rounds * args.runs
    print(f"\nWarm (after a warm-up run, each tool in its own processes, {args.rounds} rounds alternating "
          f"which goes first), median of {n} runs each, one core:")  # fmt: skip
    print(table(rows, ("", "wall s", "CPU s", "x real time (wall)", "x real time (CPU)")))
    print(f"CPU s per run: eegpipe {', '.join(f'{c:.2f}' for _, c in runs['eegpipe'])}; "
          f"MNE {', '.join(f'{c:.2f}' for _, c in runs['mne'])}")  # fmt: skip
    print(f"verdict {result.verdict} (P = {result.probability:.3f}), grade {result.based_grade}")

    if args.cold:
        ours_cmd = [sys.executable, "-m", "eegpipe.cli", "score", str(path)]
        mne_cmd = [sys.executable, "-c", _MNE_SCRIPT, str(path)]
        runs: dict[str, list[tuple[float, float]]] = {"ours": [], "mne": []}
        for i in range(args.cold):
            for key in (("ours", "mne") if i % 2 == 0 else ("mne", "ours")):
                runs[key].append(cold_run(ours_cmd if key == "ours" else mne_cmd))
        (ow, oc), (mw, mc) = ((median(w for w, _ in runs[k]), median(c for _, c in runs[k])) for k in ("ours", "mne"))
        rows = [
            ("`eegpipe score FILE`", f"{ow:.2f}", f"{oc:.2f}", f"{duration / ow:,.0f}"),
            ("`python -c` MNE load + filter", f"{mw:.2f}", f"{mc:.2f}", f"{duration / mw:,.0f}"),
            ("**ratio eegpipe / MNE**", f"**{ow / mw:.2f}**", f"**{oc / mc:.2f}**", ""),
        ]  # fmt: skip
        print(f"\nCold (fresh process each: interpreter, imports, model), median of {args.cold}:")
        print(table(rows, ("", "wall s", "CPU s", "x real time (wall)")))
    print(f"\npeak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(see memory.py for peak memory against the recording's length)")  # fmt: skip


if __name__ == "__main__":
    main()
