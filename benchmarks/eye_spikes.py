"""False frontal spikes from the eyes: detections eegpipe keeps beside blinks and eye movements.

    python benchmarks/eye_spikes.py [--n 20] [--seed 6500] [--jobs 2] [--data DIR] [--real DIR]

Simulates ``--n`` awake normal recordings of 5 minutes (single seeds from ``--seed``;
every one with blinks and lateral eye movements, no sleep) and scores each. For every
spike detection kept in a scored epoch on a derivation with a frontal or frontopolar
electrode (Fp1, Fp2, F7, F8, F3, F4, Fz), it looks up the simulator's truth: is a blink
or an eye movement under way within 0.3 s of it? It prints per recording the clean
minutes, the frontal detections kept, how many of them the eyes explain, the BASED-like
grade and the largest recurring focus off the midline (what the treatment-response rule
reads, ``eegpipe.status.RESIDUAL_FOCUS_MIN_EVENTS``), and in all: frontal detections per
clean minute that the eyes explain. None of these recordings has a discharge, so every
detection is false; the eye-explained ones are what a better eye-artifact mask would
remove.

With ``--real DIR``, it also prints, for each EDF/BDF file under DIR that scores, the
frontal detections per clean minute and the grade (no truth there: an upper bound on
what the eyes, muscle and electrodes add to a recording without discharges, such as the
healthy adults of ``../shared/real_edf``).
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _common import DEFAULT_DATA, machine, table  # sets one BLAS thread

#: Electrodes the eyes' fields reach (eegpipe.artifacts.BLINK_FIELD and LATERAL_EYE_FIELD,
#: where they carry at least a fifth of the largest share).
FRONTAL = frozenset({"Fp1", "Fp2", "F7", "F8", "F3", "F4", "Fz"})
#: A detection this close (s) to a blink or eye movement, or during it, is the eyes'.
NEAR_S = 0.3


def measure(path: Path) -> dict:
    """Analyse a recording once: the spike detections kept in scored epochs on frontal
    derivations (their times), the clean minutes, and from the same epochs the rule-based
    BASED-like grade and the largest recurring focus off the midline."""
    import numpy as np

    from eegpipe.io import load_recording
    from eegpipe.pipeline import analyse
    from eegpipe.rules import decide
    from eegpipe.summary import summarize

    t = analyse(load_recording(path))
    sp = t.spikes
    ep = np.clip(np.searchsorted(t.start_s, sp["time_s"], side="right") - 1, 0, None)
    kept = ~t.exclude[ep]
    frontal = np.array([bool(set(t.bip_names[c].split("-")) & FRONTAL) for c in sp["channel"]], bool)
    m = summarize(t)
    grade = decide(m).based_grade if "spike_events_per_min" in m else None
    focus = f"{m.get('lateral_focus_region')} {m.get('lateral_focus_events', 0)} ev " \
        f"{m.get('lateral_focus_per_min', 0.0):.1f}/min" if m.get("lateral_focus_events") else "-"  # fmt: skip
    return {"times": [float(x) for x in sp["time_s"][kept & frontal]],
            "minutes": float((~t.exclude).sum() * t.epoch_s / 60), "grade": str(grade), "focus": focus}  # fmt: skip


def simulated(task: tuple[int, str]) -> dict:
    """Simulate (once) and measure one awake normal recording with eye artifacts."""
    seed, data = task
    from eegpipe.simulate import simulate_to_edf

    path = Path(data) / f"eye_normal_seed{seed}.edf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        simulate_to_edf(path, "normal", seed=seed, duration_s=300, sleep_bias=0.0,
                        artifacts=["blink", "eye_movement"])  # fmt: skip
    truth = json.loads(path.with_suffix(".json").read_text())
    eyes = [(a["onset"], a["onset"] + a["duration_s"]) for a in truth["artifacts"]
            if a["type"] in ("blink", "eye_movement")]  # fmt: skip
    r = measure(path)
    explained = sum(any(on - NEAR_S <= x <= off + NEAR_S for on, off in eyes) for x in r["times"])
    return {"seed": seed, "minutes": r["minutes"], "eye_events": len(eyes), "frontal": len(r["times"]),
            "explained": explained, "grade": r["grade"], "focus": r["focus"]}  # fmt: skip


def real(path: Path) -> dict | None:
    """Frontal detections and grade of one real file, or None when it does not score."""
    from eegpipe.errors import RecordingError
    from eegpipe.pipeline import TooLittleEEG

    try:
        r = measure(path)
    except (RecordingError, TooLittleEEG, ValueError):  # a file eegpipe refuses is not counted here
        return None
    return {"file": path.name, "minutes": r["minutes"], "frontal": len(r["times"]), "grade": r["grade"],
            "focus": r["focus"]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Simulate, measure and print.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments.

    Returns
    -------
    status : int
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20, help="simulated recordings (default 20)")
    p.add_argument("--seed", type=int, default=6500, help="first single seed (default 6500)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA / "eye", help="where the recordings are kept")
    p.add_argument("--real", type=Path, help="also measure every EDF/BDF file under this folder")
    args = p.parse_args(argv)
    print(machine())
    tasks = [(s, str(args.data)) for s in range(args.seed, args.seed + args.n)]
    with ProcessPoolExecutor(max(args.jobs, 1)) as ex:
        rows = list(ex.map(simulated, tasks))
    print(f"\n{args.n} simulated awake normal recordings of 300 s with blinks and eye movements "
          f"(seeds {args.seed}-{args.seed + args.n - 1}); every detection is false")  # fmt: skip
    print(table([(r["seed"], f"{r['minutes']:.1f}", r["eye_events"], r["frontal"], r["explained"], r["grade"],
                  r["focus"]) for r in rows],
                ("seed", "clean min", "eye events", "frontal det.", f"within {NEAR_S} s of the eyes", "grade",
                 "largest focus off the midline")))  # fmt: skip
    minutes = sum(r["minutes"] for r in rows)
    frontal, explained = sum(r["frontal"] for r in rows), sum(r["explained"] for r in rows)
    print(f"\nin all: {frontal} frontal detections kept in {minutes:.0f} clean minutes "
          f"({frontal / max(minutes, 1e-9):.2f}/min); {explained} within {NEAR_S} s of a blink or eye movement "
          f"({explained / max(minutes, 1e-9):.2f}/min); grade above 0 in "
          f"{sum(r['grade'] not in ('0', 'error') for r in rows)}/{len(rows)}")  # fmt: skip
    if args.real:
        files = sorted(f for f in args.real.rglob("*") if f.suffix.lower() in (".edf", ".bdf"))
        found = [r for r in map(real, files) if r]
        print(f"\nreal files under {args.real} that score ({len(found)} of {len(files)}); no truth: every "
              f"frontal detection in a recording without discharges is false")  # fmt: skip
        print(table([(r["file"], f"{r['minutes']:.1f}", r["frontal"],
                      f"{r['frontal'] / max(r['minutes'], 1e-9):.1f}", r["grade"], r["focus"]) for r in found],
                    ("file", "clean min", "frontal det.", "per min", "grade",
                     "largest focus off the midline")))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
