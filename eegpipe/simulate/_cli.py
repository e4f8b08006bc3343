"""``eegpipe simulate ...``: make labelled EDF+ files, series, corpora and figures."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eegpipe.simulate import (
    ARTIFACT_KINDS,
    CHANNEL_STYLES,
    LABELS,
    RESPONSES,
    SUBTYPES,
    make_sample_edf,
    simulate_corpus,
    simulate_recording,
    simulate_series,
    simulate_to_edf,
)

_EXAMPLES = """examples:
  eegpipe simulate one out/hyps.edf --label hypsarrhythmia --seed 3 --duration 300
  eegpipe simulate one out/mod.edf --label modified_hypsarrhythmia --subtypes asymmetric
  eegpipe simulate corpus out/corpus --n 60 --seed 7
  eegpipe simulate series out/series --response partial --seed 5
  eegpipe simulate samples sample_edf
  eegpipe simulate figures out/figures
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``simulate`` and its sub-commands.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "simulate", help="make labelled infant EEG (EDF+ with JSON ground truth)",
        description="Simulate labelled infant EEG as EDF+ files, each with a JSON sidecar "
                    "holding its ground truth.", epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)

    one = sub.add_parser("one", help="one recording")
    one.add_argument("out", type=Path, help="destination .edf file")
    one.add_argument("--label", choices=LABELS, help="class (default: drawn from the seed)")
    one.add_argument("--subtypes", default="",
                     help=f"comma-separated modified variants from {', '.join(SUBTYPES)}")
    one.add_argument("--severity", type=float, help="0-1 (default: drawn)")
    one.add_argument("--age-months", type=float, help="age at recording (default: drawn)")
    one.add_argument("--sfreq", type=int, help="sampling rate in Hz (default: drawn)")
    one.add_argument("--style", choices=CHANNEL_STYLES, help="channel label style")
    one.add_argument("--artifacts", default="random",
                     help="'random', 'none' or comma-separated kinds from "
                          + ", ".join(ARTIFACT_KINDS))
    _common(one, duration=300)

    corpus = sub.add_parser("corpus", help="a labelled corpus covering every class and subtype")
    corpus.add_argument("out", type=Path, help="destination folder")
    corpus.add_argument("--n", type=int, required=True, help="number of recordings")
    corpus.add_argument("--jobs", type=int, default=1, help="processes (same files for any number)")
    _common(corpus, duration=120)

    series = sub.add_parser("series", help="one infant at baseline, 1 and 6 months after therapy")
    series.add_argument("out", type=Path, help="destination folder")
    series.add_argument("--response", choices=RESPONSES, default="responder")
    series.add_argument("--therapy", default="ACTH+B12")
    series.add_argument("--baseline", choices=LABELS[1:], default="modified_hypsarrhythmia")
    _common(series, duration=300)

    samples = sub.add_parser("samples", help="regenerate sample_edf/ bit for bit")
    samples.add_argument("out", type=Path, nargs="?", default=Path("sample_edf"))

    figs = sub.add_parser("figures", help="one PNG per class: 10 s of all channels")
    figs.add_argument("out", type=Path, help="destination folder")
    figs.add_argument("--seed", type=int, default=1)
    figs.add_argument("--montage", choices=("referential", "bipolar"), default="referential")
    return p


def _common(p: argparse.ArgumentParser, duration: int) -> None:
    p.add_argument("--seed", type=int, required=True, help="random seed (same seed, same bytes)")
    p.add_argument("--duration", type=int, default=duration, help="seconds per recording")


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe simulate``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    if args.what == "one":
        artifacts = args.artifacts if args.artifacts in ("random", "none") \
            else [a.strip() for a in args.artifacts.split(",") if a.strip()]  # fmt: skip
        subtypes = [s.strip() for s in args.subtypes.split(",") if s.strip()]
        path = simulate_to_edf(
            args.out, args.label, seed=args.seed, subtypes=subtypes, severity=args.severity,
            age_months=args.age_months, sfreq=args.sfreq, channel_style=args.style,
            artifacts=artifacts, duration_s=args.duration,
        )  # fmt: skip
        paths = [path]
    elif args.what == "corpus":
        paths = simulate_corpus(args.out, args.n, seed=args.seed, duration_s=args.duration, jobs=args.jobs)
    elif args.what == "series":
        paths = simulate_series(args.out, args.response, seed=args.seed, therapy=args.therapy,
                                baseline_label=args.baseline, duration_s=args.duration)  # fmt: skip
    elif args.what == "samples":
        paths = make_sample_edf(args.out)
    else:
        paths = class_figures(args.out, seed=args.seed, montage=args.montage)
    for p in paths:
        print(p)
    return 0


def class_figures(out: Path, *, seed: int = 1, montage: str = "referential") -> list[Path]:
    """One 10-s page per class and modified subtype, at clinical scale, during NREM sleep.

    Parameters
    ----------
    out : Path
        Destination folder.
    seed : int
        Seed of the recordings drawn.
    montage : str
        ``"referential"`` (as recorded) or ``"bipolar"`` (double banana).

    Returns
    -------
    paths : list of Path
        The PNG files.
    """
    from eegpipe.montage import DOUBLE_BANANA, NEW_TO_OLD
    from eegpipe.plotting import plot_page

    cases = [("normal", []), ("hypsarrhythmia", [])]
    cases += [("modified_hypsarrhythmia", [s]) for s in SUBTYPES]
    paths = []
    for label, subtypes in cases:
        rec = simulate_recording(label, seed=seed, subtypes=subtypes, duration_s=60, sfreq=256,
                                 age_months=8, severity=None if label == "normal" else 0.7,
                                 sleep_bias=1.0, artifacts=["line_noise"])  # fmt: skip
        names = [NEW_TO_OLD.get(n, n) for n in rec.plan.scalp_names]
        page = rec.eeg[:, 30 * rec.sfreq: 40 * rec.sfreq]
        labels = rec.ch_names
        if montage == "bipolar":
            idx = {n: i for i, n in enumerate(names)}
            page = np.array([page[idx[a]] - page[idx[b]] for a, b in DOUBLE_BANANA])
            labels = [f"{a}-{b}" for a, b in DOUBLE_BANANA]
        name = label if not subtypes else f"modified_{subtypes[0]}"
        path = Path(out) / f"{name}.png"
        title = f"{name.replace('_', ' ')} · simulated, 8 months, NREM sleep · seed {seed}"
        plot_page(page, labels, rec.sfreq, start_s=30, title=title, out=path)
        paths.append(path)
    return paths
