"""How fast a one-hour 19-channel 256 Hz recording is scored, per stage.

    python benchmarks/speed.py [--minutes 60] [--sfreq 256]

Simulates the recording to a temporary EDF+ file (seed 424242), then times, in one
process on one core: loading (MNE, lazily), the survey (line frequency, bad channels),
filtering and resampling, epoch features, spike detection, artifact marking, and the
whole ``score_recording`` call; prints each as seconds and as multiples of real time,
with peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--sfreq", type=int, default=256)
    args = ap.parse_args()
    from eegpipe import features as F
    from eegpipe.artifacts import mark_artifacts
    from eegpipe.io import load_recording
    from eegpipe.pipeline import _survey
    from eegpipe.preprocess import WORK_SFREQ, bipolar, filter_resample
    from eegpipe.score import score_recording
    from eegpipe.simulate import simulate_to_edf
    from eegpipe.spikes import detect_spikes

    duration = int(args.minutes * 60)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        path = simulate_to_edf(f"{tmp}/long.edf", "hypsarrhythmia", seed=424242,
                               duration_s=duration, sfreq=args.sfreq, include_events=False)  # fmt: skip
        print(f"simulated {duration / 60:.0f} min at {args.sfreq} Hz in "
              f"{time.perf_counter() - t:.1f} s ({os.path.getsize(path) / 1e6:.0f} MB)")  # fmt: skip
        stages: dict[str, float] = {}

        def timed(name, fn, *a, **k):
            t0 = time.perf_counter()
            out = fn(*a, **k)
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t0
            return out

        rec = timed("load header", load_recording, path, preload=False)
        line, bad = timed("survey (line, bad channels)", _survey, rec)
        chunk = int(300 * rec.sfreq)
        for start in range(0, rec.raw.n_times, chunk):
            x = timed("read samples", rec.raw.get_data, start=start,
                      stop=min(start + chunk, rec.raw.n_times), verbose="error") * 1e6  # fmt: skip
            y = timed("filter + resample", filter_resample, x, rec.sfreq, line_freq=line)
            bip, _ = timed("bipolar montage", bipolar, y, rec.ch_names)
            n_ep = y.shape[1] // int(10 * WORK_SFREQ)
            ep = y[:, : n_ep * int(10 * WORK_SFREQ)].reshape(y.shape[0], n_ep, -1).transpose(1, 0, 2)
            timed("artifact marking", mark_artifacts, ep, WORK_SFREQ, rec.ch_names)
            timed("spectral features", lambda e: F.band_powers(*F.power_spectrum(e, WORK_SFREQ)), ep)
            timed("entropy features", F.permutation_entropy, ep, WORK_SFREQ)
            timed("spike detection", detect_spikes, bip, WORK_SFREQ)
        t0 = time.perf_counter()
        result = score_recording(path)
        total = time.perf_counter() - t0
    print(f"\n{'stage':<30}{'seconds':>10}{'x real time':>14}")
    for name, s in stages.items():
        print(f"{name:<30}{s:>10.2f}{duration / s:>14.0f}")
    print(f"{'score_recording, end to end':<30}{total:>10.2f}{duration / total:>14.0f}")
    print(f"\nverdict {result.verdict}, grade {result.based_grade}; peak RSS {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
