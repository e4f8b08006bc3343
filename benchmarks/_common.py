"""Shared by the speed, memory and comparison benchmarks: the machine, the data, timers.

Every benchmark runs single-threaded (one BLAS/OpenMP thread), so "one core" means
what it says; import this module before numpy to make that so.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

#: Seed of the benchmark recordings (benchmarks/README.md keeps seeds apart).
SEED = 424242
#: Where simulated recordings are kept between runs (a day-long file takes half an hour
#: to simulate); ``--data`` or ``$EEGPIPE_BENCH_DATA`` overrides. Never inside the repo.
DEFAULT_DATA = Path(os.environ.get("EEGPIPE_BENCH_DATA", Path.home() / ".cache" / "eegpipe-bench"))


def machine() -> str:
    """One paragraph: CPU model and count, Python and library versions, load average."""
    import mne
    import numpy as np
    import scipy

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "?")
    return (f"machine: {model}, {os.cpu_count()} logical CPUs, {platform.machine()}, {platform.platform()}\n"
            f"software: Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
            f"mne {mne.__version__}; BLAS/OpenMP threads {threads}\n"
            f"load average at start (1, 5, 15 min): {load}")  # fmt: skip


def recording(data_dir: Path, minutes: float, sfreq: int = 256, seed: int = SEED) -> Path:
    """A simulated hypsarrhythmia recording of ``minutes`` (EDF+, 19 EEG + auxiliary
    channels), made once and kept in ``data_dir``."""
    from eegpipe.simulate import simulate_to_edf

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"hyps_{minutes:g}min_{sfreq}hz_seed{seed}.edf"
    if not path.exists():
        print(f"simulating {minutes:g} min at {sfreq} Hz (seed {seed}) into {path} ...", flush=True)
        t = time.perf_counter()
        part = path.with_suffix(".part.edf")
        simulate_to_edf(part, "hypsarrhythmia", seed=seed, duration_s=int(round(minutes * 60)), sfreq=sfreq,
                        include_events=False)  # fmt: skip
        part.with_suffix(".json").replace(path.with_suffix(".json"))
        part.replace(path)
        print(f"  done in {time.perf_counter() - t:.0f} s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    return path


def timed(fn: Callable, *args, **kwargs) -> tuple[object, float, float]:
    """Call ``fn``; return its result, wall seconds and CPU seconds of this process."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w, time.process_time() - c


def median(values) -> float:
    """Median of a non-empty sequence of numbers."""
    return float(statistics.median(values))


def table(rows: list[tuple], header: tuple) -> str:
    """A GitHub-flavoured Markdown table (pasted into RESULTS.md as it is)."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
