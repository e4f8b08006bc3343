"""Score recordings end to end: load, analyse, summarise, decide, explain.

:func:`score_recording` is the Python entry point; ``eegpipe score`` calls
:func:`score_paths`, which never lets one bad file stop the others.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from eegpipe import __version__
from eegpipe.errors import RecordingError
from eegpipe.io import Recording, load_recording
from eegpipe.model import DEFAULT_MODEL, MODEL_FILE, combine, load_model, model_output, resolve_model
from eegpipe.pipeline import EPOCH_S, EpochTable, TooLittleEEG, analyse
from eegpipe.rules import decide
from eegpipe.state import STATES, epoch_states, recording_marks
from eegpipe.summary import summarize
from eegpipe.table import epoch_frame, recording_features

EDF_SUFFIXES = (".edf", ".bdf")

#: Measures reported in the output's ``measures`` object (the rest stay internal).
REPORTED_MEASURES = (
    "spike_events_per_min", "n_foci", "foci", "foci_bin_share", "n_high_amplitude",
    "high_amplitude_derivations", "median_ptp_uv", "max_derivation_ptp_uv",
    "high_voltage_share", "focus_region", "focus_share", "interhemispheric_correlation",
    "asymmetry", "attenuation_per_min", "attenuation_share", "rel_delta", "rel_theta",
    "rel_alpha", "rel_beta", "spectral_entropy", "permutation_entropy",
    "aperiodic_exponent", "spectral_edge_hz", "global_correlation", "scored_window_s",
    "lateral_focus_region", "lateral_focus_events", "lateral_focus_per_min",
)  # fmt: skip


@dataclass
class ScoreResult:
    """The verdict on one recording, with the evidence behind it.

    ``to_dict()`` gives the JSON object ``eegpipe score --format json`` prints.
    """

    file: str
    verdict: str | None = None
    probability: float | None = None
    based_grade: int | None = None
    subtypes: list[str] = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    error: str | None = None
    decided_by: str = "rules"
    reasons: list[str] = field(default_factory=list)
    measures: dict = field(default_factory=dict)
    most_abnormal_epochs: list[dict] = field(default_factory=list)
    attenuation_episodes: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure: str | None = None
    model: dict | None = None
    rules: dict | None = None
    eegpipe_version: str = __version__
    #: Per-epoch feature table (:func:`eegpipe.features.extract`), when asked for with
    #: ``keep_epochs=True``; never part of :meth:`to_dict`.
    epochs: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN becomes ``None``); the epoch table is left out.

        Returns
        -------
        result : dict
        """
        return _clean({f.name: getattr(self, f.name) for f in fields(self) if f.name != "epochs"})


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if not math.isfinite(x) else round(float(x), 4)
    if isinstance(x, np.integer):
        return int(x)
    return x


def score_recording(
    source: str | PathLike | Recording,
    *,
    epoch_s: float = EPOCH_S,
    overlap: float = 0.0,
    figures_dir: str | PathLike | None = None,
    keep_epochs: bool = False,
    model: str | PathLike | None = DEFAULT_MODEL,
) -> ScoreResult:
    """Score one recording for hypsarrhythmia.

    Parameters
    ----------
    source : str, path-like, mne.io.BaseRaw or Recording
        An EDF/EDF+/BDF file, an MNE Raw, or an already loaded recording.
    epoch_s : float
        Epoch length in seconds.
    overlap : float
        Overlap between epochs (fraction, 0 <= overlap < 1).
    figures_dir : str or path-like or None
        Where to write a PNG of the most abnormal page (double banana, spikes marked).
    keep_epochs : bool
        Attach the per-epoch feature table (as :func:`eegpipe.features.extract` gives it)
        as ``result.epochs``.
    model : str, path-like or None
        Trained model (name under ``models/`` or folder; see :func:`eegpipe.model.load_model`)
        whose probability is reported and combined with the rules
        (:func:`eegpipe.model.combine`); ``None`` for the rules alone.  When the default
        model is not installed, the rules decide and a note says so.

    Returns
    -------
    result : ScoreResult

    Raises
    ------
    RecordingError
        When the input cannot be read or holds too little EEG.
    eegpipe.model.ModelError
        When a model other than the default was asked for and cannot be loaded.
    """
    loaded = get_model(model)
    try:
        rec = source if isinstance(source, Recording) else \
            load_recording(source, preload=False, min_duration_s=epoch_s)  # fmt: skip
    except RecordingError as err:
        if not err.unscorable_montage:
            raise
        return ScoreResult(file=err.source or str(source), verdict="indeterminate",
                           reasons=[err.reason], quality={"usable_minutes": 0.0})
    try:
        table = analyse(rec, epoch_s=epoch_s, overlap=overlap)
    except TooLittleEEG as err:
        return ScoreResult(file=rec.source, verdict="indeterminate", reasons=[str(err)],
                           quality={"usable_minutes": 0.0, "duration_s": rec.duration_s,
                                    "sfreq_hz": rec.sfreq}, notes=list(rec.notes))  # fmt: skip
    except ValueError as err:
        raise RecordingError(rec.source, str(err)) from None
    m = summarize(table)
    v = decide(m) if "spike_events_per_min" in m else decide({**m, "usable_s": 0.0})
    quality = {
        "usable_minutes": round(m["usable_s"] / 60.0, 2),
        "artifact_share": round(m["artifact_share"], 3),
        "bad_channels": table.bad_channels,
        "missing_channels": list(rec.missing_channels),
        "epochs": m["n_epochs"],
        "excluded_epochs": m["n_excluded"],
        "sleep_like_share": m.get("sleep_like_share"),
        "line_freq_hz": table.line_freq,
        "duration_s": round(rec.duration_s, 3),
        "sfreq_hz": rec.sfreq,
    }
    states = _annotated_states(rec, table)
    if states is not None:
        quality["annotated_states"] = states
    result = ScoreResult(
        file=rec.source, verdict=v.verdict, probability=v.probability,
        based_grade=v.based_grade, subtypes=v.subtypes, quality=quality,
        reasons=v.reasons, measures={k: m[k] for k in REPORTED_MEASURES if k in m},
        most_abnormal_epochs=m.get("most_abnormal_epochs", []),
        attenuation_episodes=m.get("attenuation_episodes", []), notes=list(rec.notes),
    )  # fmt: skip
    epochs = epoch_frame(table, m, source=rec.source)
    if keep_epochs:
        result.epochs = epochs
    if isinstance(loaded, str):
        result.notes.append(loaded)
    elif loaded is not None and v.verdict != "indeterminate":
        out = model_output(*loaded, recording_features(epochs))
        verdict, subtypes, result.decided_by, why = combine(v.verdict, v.subtypes, out, m.get("median_ptp_uv"))
        result.rules = {"verdict": v.verdict, "subtypes": v.subtypes, "probability": v.probability}
        result.model = out
        result.verdict, result.subtypes, result.probability = verdict, subtypes, out["p_abnormal"]
        result.reasons = [*result.reasons, why]
    if result.verdict == "normal":
        result.reasons = [*result.reasons, *unseen_caveat(quality, "a spike focus")]
    if figures_dir is not None and result.most_abnormal_epochs:
        result.figure = str(_page_figure(rec, table, result, Path(figures_dir)))
    return result


def unseen_electrodes(quality: dict) -> dict[str, str]:
    """The electrodes a recording did not usefully record, with why in a word or two.

    Parameters
    ----------
    quality : dict
        :attr:`ScoreResult.quality` (``bad_channels``, ``missing_channels``).

    Returns
    -------
    unseen : dict of str to str
        Electrode (as the recording names it) -> e.g. ``"flat"``, ``"mains-dominated"``,
        ``"missing"``.
    """
    out = {c: why.split(":")[0].split(" (")[0] for c, why in (quality.get("bad_channels") or {}).items()}
    out.update({c: "missing" for c in quality.get("missing_channels") or []})
    return out


def unseen_caveat(quality: dict, what: str) -> list[str]:
    """A caveat naming the electrodes a recording did not usefully record (bad or missing),
    under which ``what`` cannot be excluded: a normal verdict, or a normalized follow-up,
    says nothing of the cortex under them.

    Parameters
    ----------
    quality : dict
        :attr:`ScoreResult.quality` (``bad_channels``, ``missing_channels``).
    what : str
        What cannot be excluded, e.g. ``"a spike focus"``.

    Returns
    -------
    caveat : list of str
        One sentence, or empty when every electrode was recorded usefully.
    """
    unseen = list(unseen_electrodes(quality))
    if not unseen:
        return []
    return [f"not recorded usefully: {', '.join(unseen)}; {what} under "
            f"{'it' if len(unseen) == 1 else 'them'} cannot be excluded"]


def _annotated_states(rec: Recording, table: EpochTable) -> dict | None:
    """Clean epochs per sleep-wake state the technician annotated (:mod:`eegpipe.state`),
    or None when the file marks no state."""
    states = epoch_states(recording_marks(rec.raw), table.start_s[~table.exclude], table.epoch_s, rec.duration_s)
    if not any(states):
        return None
    return {("not_annotated" if s == "" else s): int(np.sum(states == s)) for s in (*STATES, "")}


@functools.lru_cache(maxsize=4)
def _load_cached(folder: str, mtime_ns: int):
    return load_model(folder)


def get_model(model: str | PathLike | None):
    """Load (once, then cached) the model :func:`score_recording` would use.

    Parameters
    ----------
    model : str, path-like or None
        As for :func:`score_recording`.

    Returns
    -------
    loaded : tuple of (HypsarrhythmiaClassifier, dict), str or None
        The model and its card; ``None`` for rules only; a note (str) when the default
        model is not installed.

    Raises
    ------
    eegpipe.model.ModelError
        When the model cannot be loaded safely.
    """
    if model is None:
        return None
    folder = resolve_model(model)
    path = folder / MODEL_FILE
    if not path.is_file() and str(model) == DEFAULT_MODEL:
        return f"no trained model at {folder}; the rule-based verdict stands alone"
    mtime = path.stat().st_mtime_ns if path.is_file() else 0
    return _load_cached(str(folder), mtime)


def _page_figure(rec: Recording, table: EpochTable, result: ScoreResult, out: Path) -> Path:
    """PNG of the most abnormal page: double banana, clinical scale, spikes marked."""
    from eegpipe.plotting import plot_page
    from eegpipe.preprocess import PAD_S, WORK_SFREQ, bipolar, filter_resample

    page = result.most_abnormal_epochs[0]
    t0, t1 = page["start_s"], page["end_s"]
    seg = next(s for s in rec.segments if s[0] - 1e-6 <= t0 and t1 <= s[1] + 1e-6)
    r0, r1 = max(seg[0], t0 - PAD_S), min(seg[1], t1 + PAD_S)
    good = [c for c in rec.ch_names if c not in table.bad_channels]
    x = rec.raw.get_data(picks=[rec.ch_names.index(c) for c in good], start=round(r0 * rec.sfreq),
                         stop=round(r1 * rec.sfreq), verbose="error") * 1e6  # fmt: skip
    y = filter_resample(x, rec.sfreq, line_freq=table.line_freq, work_sfreq=WORK_SFREQ)
    bip, names = bipolar(y, good)
    a = int(round((t0 - r0) * WORK_SFREQ))
    data = bip[:, a: a + int(round((t1 - t0) * WORK_SFREQ))]
    det = table.spikes[(table.spikes["time_s"] >= t0) & (table.spikes["time_s"] < t1)]
    marks = [(float(d["time_s"]), names.index(table.bip_names[d["channel"]]))
             for d in det if table.bip_names[d["channel"]] in names]  # fmt: skip
    stem = Path(rec.source).stem if Path(rec.source).suffix else "recording"
    path = out / f"{stem}_most_abnormal.png"
    sub = f" ({', '.join(result.subtypes)})" if result.subtypes else ""
    title = (f"{Path(rec.source).name} · {t0:.0f}-{t1:.0f} s · verdict {result.verdict}{sub}, "
             f"BASED-like grade {result.based_grade} · {len(marks)} spike detections marked")  # fmt: skip
    plot_page(data, names, WORK_SFREQ, start_s=t0, title=title, marks=marks, out=path)
    return path


def find_recordings(paths: Iterable[str | PathLike]) -> Iterator[tuple[str, str | None]]:
    """Expand files and folders into EDF/BDF files (any case of extension, recursive).

    Parameters
    ----------
    paths : iterable of str or path-like
        Files or folders.

    Yields
    ------
    path : str
        A file to score (or the argument that yielded nothing).
    problem : str or None
        Why it cannot be scored, when known before reading (missing, empty folder).
    """
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and f.suffix.lower() in EDF_SUFFIXES)  # fmt: skip
            if not found:
                yield str(p), "no EDF or BDF file in this folder"
            for f in found:
                yield str(f), None
        elif p.exists():
            yield str(p), None
        else:
            yield str(p), "no such file or folder"


def score_paths(paths: Iterable[str | PathLike], **options) -> Iterator[ScoreResult]:
    """Score every recording found; a failure becomes a result with ``error`` set.

    Parameters
    ----------
    paths : iterable of str or path-like
        Files or folders (searched recursively for .edf/.bdf).
    **options
        Passed to :func:`score_recording`.

    Yields
    ------
    result : ScoreResult
        One per file, in order; failed files carry a one-line ``error``.
    """
    for path, problem in find_recordings(paths):
        if problem:
            yield ScoreResult(file=path, error=problem)
            continue
        try:
            yield score_recording(path, **options)
        except RecordingError as err:
            yield ScoreResult(file=path, error=err.reason)
        except Exception as err:  # noqa: BLE001 - a bug must not lose the other files
            yield ScoreResult(file=path, error=internal_error_message(err))


def internal_error_message(err: Exception) -> str:
    """The one-line message for an unexpected exception while scoring a file.

    Parameters
    ----------
    err : Exception
        What was raised.

    Returns
    -------
    message : str
        Exception class and message (whitespace collapsed, at most 300 characters), and
        a request to report it.
    """
    msg = " ".join(str(err).split())[:300]
    return f"internal error ({type(err).__name__}: {msg}); please report it with this file"
