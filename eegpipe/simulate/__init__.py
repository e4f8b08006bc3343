"""Simulator of labelled infant EEG: normal, hypsarrhythmia and its modified variants.

No public hypsarrhythmia EEG could be had, so this generator is eegpipe's ground truth.
It is built from the definitions and reference values in the project's domain notes
(each figure a named constant in :mod:`eegpipe.simulate._params`):

* 19 referential 10-20 channels; generators on a cortical grid reach the electrodes
  through a Gaussian volume-conduction fall-off, so neighbours correlate.
* ``normal`` (3-24 months): 1/f background whose exponent flattens with age, a posterior
  dominant rhythm whose frequency rises with age, sleep with asynchronous infant
  spindles, vertex waves (from 5 months) and bilaterally synchronous posterior slow
  waves of 120-480 µV (most normal sleeping infants exceed 200 µV).
* ``hypsarrhythmia``: 200-500 µV chaotic, asynchronous, regionally uneven delta with
  random multifocal spikes and sharp waves; most marked in NREM sleep, less awake,
  least in REM.
* ``modified_hypsarrhythmia`` with one or more of ``synchronized``, ``asymmetric``,
  ``consistent_focus``, ``attenuation``, ``slow_no_spikes``.
* Artifacts in every class: blinks, eye movements, EMG, movement swings over 300 µV,
  50/60 Hz line noise, electrode pops, drift, a flat or disconnected channel, and the
  tremor and myoclonic jerks of B12 treatment.
* Export variety: channel-label styles, 200-512 Hz, ECG/EOG/photic channels (the photic
  one sometimes at a lower rate), EDF+ annotations, fake patient identifiers.

Every recording is rendered in fixed 10-s blocks, so the same seed gives the same bytes
and a day-long file needs no more memory than a short one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eegpipe.montage import CHANNELS_1020
from eegpipe.simulate._artifacts import ARTIFACT_KINDS
from eegpipe.simulate._edf import SIMULATOR_VERSION, channel_labels, truth, write_edf
from eegpipe.simulate._params import CHANNEL_STYLES, LABELS, SESSION_GAIN_LOG_SD, SEVERITY_RANGE, SUBTYPES
from eegpipe.simulate._plan import Plan, make_plan
from eegpipe.simulate._render import Renderer

__all__ = [
    "ARTIFACT_KINDS", "CHANNEL_STYLES", "LABELS", "SIMULATOR_VERSION", "SUBTYPES",
    "LABEL_COLUMNS", "RESPONSES", "SimulatedRecording", "labels_table", "make_plan", "make_sample_edf",
    "simulate_corpus",
    "simulate_recording", "simulate_series", "simulate_to_edf",
]  # fmt: skip

RESPONSES: tuple[str, ...] = ("responder", "partial", "non_responder")


@dataclass
class SimulatedRecording:
    """A simulated recording held in memory.

    Attributes
    ----------
    eeg : ndarray, shape (19, n_times)
        Referential scalp EEG in µV, rows in :attr:`ch_names` order.
    ch_names : list of str
        EDF labels of the EEG rows, in the recording's export style.
    sfreq : int
        Sampling rate in Hz.
    truth : dict
        The ground truth, as written to the sidecar.
    plan : Plan
        The full plan (parameters and event schedule).
    """

    eeg: np.ndarray
    ch_names: list[str]
    sfreq: int
    truth: dict
    plan: Plan

    def to_raw(self):
        """The EEG as an :class:`mne.io.RawArray` (volts, standard 10-20 names).

        Returns
        -------
        raw : mne.io.RawArray
        """
        import mne

        info = mne.create_info(self.plan.scalp_names, self.sfreq, ch_types="eeg")
        raw = mne.io.RawArray(self.eeg * 1e-6, info, verbose="error")
        raw.set_meas_date(self.plan.start.replace(tzinfo=dt.timezone.utc))
        return raw


def simulate_recording(
    label: str | None = None,
    *,
    seed: int = 0,
    subtypes: list[str] | tuple[str, ...] = (),
    severity: float | None = None,
    age_months: float | None = None,
    duration_s: int = 300,
    sfreq: int | None = None,
    channel_style: str | None = None,
    new_temporal_names: bool | None = None,
    line_freq: int | None = None,
    artifacts: str | list[str] = "random",
    involuntary_movements: float | None = None,
    sleep_bias: float | None = None,
    treatment: dict | None = None,
    patient: dict | None = None,
    start: dt.datetime | None = None,
    subject_gain: float | None = None,
) -> SimulatedRecording:
    """Simulate one infant EEG recording in memory.

    Parameters
    ----------
    label : str or None
        ``"normal"``, ``"hypsarrhythmia"`` or ``"modified_hypsarrhythmia"``; ``None``
        draws one.
    seed : int
        Seed; the same seed and options give the same recording, sample for sample.
    subtypes : sequence of str
        Modified variants (only with ``modified_hypsarrhythmia``); empty draws them.
    severity : float or None
        0-1; scales amplitude (200-500 µV) and spike rate (40-200 per minute across
        the scalp in NREM sleep). ``None`` draws 0.25-1 (0 for normal).
    age_months : float or None
        Age at recording in months; ``None`` draws 3-24 (normal) or 3-14 (spasms).
    duration_s : int
        Length in whole seconds.
    sfreq : int or None
        Sampling rate in Hz; ``None`` draws from 200, 250, 256, 500, 512.
    channel_style : str or None
        Label style, one of :data:`CHANNEL_STYLES`; ``None`` draws one.
    new_temporal_names : bool or None
        Use T7/T8/P7/P8 instead of T3/T4/T5/T6; ``None`` draws (30%).
    line_freq : int or None
        Mains frequency, 50 or 60 Hz; ``None`` draws.
    artifacts : str or list of str
        ``"random"``, ``"none"`` or a list of kinds from :data:`ARTIFACT_KINDS`.
    involuntary_movements : float or None
        Probability of tremor/myoclonus episodes (B12 treatment).
    sleep_bias : float or None
        0-1, how likely the recording starts and stays asleep.
    treatment : dict or None
        Treatment-series facts to record in the sidecar.
    patient : dict or None
        ``name``, ``birthdate`` (ISO date), ``code``, ``sex``; ``None`` makes up one.
    start : datetime or None
        Recording start; ``None`` draws one in 2024-2025.
    subject_gain : float or None
        Factor on all brain activity (the infant's skull, head size and electrodes);
        ``None`` draws one (log-normal, 5th-95th percentile about 0.66-1.5).

    Returns
    -------
    recording : SimulatedRecording
    """
    plan = make_plan(seed, **_plan_kwargs(locals()))
    renderer = Renderer(plan)
    eeg = np.concatenate([block["eeg"] for _, block in renderer.blocks()], axis=1)
    return SimulatedRecording(eeg, channel_labels(plan), plan.sfreq, truth(plan), plan)


def _plan_kwargs(kw: dict) -> dict:
    return {k: v for k, v in kw.items() if k != "seed"}


def simulate_to_edf(path: str | Path, label: str | None = None, *, seed: int = 0,
                    include_events: bool = True, **options) -> Path:  # fmt: skip
    """Simulate one recording straight to an EDF+ file plus a ``.json`` sidecar.

    Memory stays flat in the recording's length (rendered and written in 10-s blocks).

    Parameters
    ----------
    path : str or Path
        Destination ``.edf`` file.
    label : str or None
        See :func:`simulate_recording`.
    seed : int
        See :func:`simulate_recording`.
    include_events : bool
        List every spike and artifact in the sidecar (turn off for day-long files).
    **options
        Any other option of :func:`simulate_recording`.

    Returns
    -------
    path : Path
    """
    plan = make_plan(seed, label=label, **options)
    return write_edf(plan, path, include_events=include_events)


def simulate_series(
    out_dir: str | Path,
    response: str = "responder",
    *,
    seed: int = 0,
    therapy: str = "ACTH+B12",
    baseline_label: str = "modified_hypsarrhythmia",
    timepoints_days: tuple[int, ...] = (0, 30, 180),
    duration_s: int = 300,
    **options,
) -> list[Path]:
    """Simulate one infant recorded at baseline and after treatment.

    Responders normalize (the clinical case in domain.md: EEG completely normal one and
    six months after ACTH and B12); partial responders improve but stay abnormal: their
    follow-ups keep high-voltage slow activity with a severity inside ``SEVERITY_RANGE``,
    the background reorganizes by as much as the severity fell, and discharges keep coming
    from one focus (hypsarrhythmia resolving into focal discharges, Hayashi et al. 2016;
    ``treatment.partial_response`` in the sidecar); non-responders do not change.
    The infant keeps one overall voltage across the series, varied a little by session
    (``SESSION_GAIN_LOG_SD``).
    With B12 in the therapy, the first follow-up shows tremor and myoclonic jerk
    artifacts with probability 0.32 (domain.md).

    Parameters
    ----------
    out_dir : str or Path
        Folder for the EDF files and sidecars.
    response : str
        ``"responder"``, ``"partial"`` or ``"non_responder"``.
    seed : int
        Seed of the series; recording ``i`` uses ``seed * 10 + i``.
    therapy : str
        Recorded in the sidecars, e.g. ``"ACTH+B12"`` or ``"ACTH"``.
    baseline_label : str
        ``"hypsarrhythmia"`` or ``"modified_hypsarrhythmia"``.
    timepoints_days : tuple of int
        Days after the start of treatment for each recording (0 = baseline).
    duration_s : int
        Length of each recording in seconds.
    **options
        Passed to every :func:`simulate_recording` (e.g. ``sfreq``).

    Returns
    -------
    paths : list of Path
        The EDF files, in time order.
    """
    if response not in RESPONSES:
        raise ValueError(f"response must be one of {RESPONSES}, got {response!r}")
    rng = np.random.default_rng([seed, 7])
    base = make_plan(seed * 10, label=baseline_label, duration_s=duration_s, **options)
    sev0 = max(base.severity, 0.5)
    fixed = {"sfreq": base.sfreq, "channel_style": base.channel_style, "line_freq": base.line_freq,
             "new_temporal_names": base.new_temporal_names, "patient": base.patient}  # fmt: skip
    fixed.update(options)
    gain_rng = np.random.default_rng([seed, 8])  # the infant's voltage varies a little by session
    infant_gain = base.components["subject_gain"]
    # a partial responder keeps one focus: the baseline's consistent focus, else any
    focus = base.components.get("focus_channel") or str(np.random.default_rng([seed, 10]).choice(
        [n for n in CHANNELS_1020 if not n.endswith("z")]))  # fmt: skip
    paths = []
    for i, days in enumerate(timepoints_days):
        label, subtypes, severity, partial = baseline_label, list(base.subtypes), sev0, None
        if days > 0 and response == "responder":
            label, subtypes, severity = "normal", [], None
        elif days > 0 and response == "partial":
            label = "modified_hypsarrhythmia"
            subtypes = ["slow_no_spikes"]
            # Improved but still abnormal: severity falls to 45 %, then 30 %, never below
            # the mildest abnormal severity (an EEG below that range is not abnormal).
            severity = max(SEVERITY_RANGE[0], sev0 * (0.45 if i == 1 else 0.3))
            # ... the background reorganizes by as much as the severity fell, and
            # discharges keep coming from one focus (see _plan._partial_response)
            partial = {"recovery": round(1.0 - severity / sev0, 3), "focus_channel": focus}
        elif days > 0:
            severity = min(1.0, sev0 * rng.uniform(0.9, 1.1))
        involuntary = 0.0
        if "B12" in therapy and i == 1:
            involuntary = 0.32
        tp = "baseline" if days == 0 else f"{days} days"
        treatment = {"series_id": f"series-{seed}", "therapy": therapy, "response": response,
                     "timepoint": tp, "days_after_treatment_start": days, "index": i}  # fmt: skip
        if partial:
            treatment["partial_response"] = partial
        plan = make_plan(
            seed * 10 + i, label=label, subtypes=subtypes, severity=severity,
            age_months=base.age_months + days / 30.44, duration_s=duration_s,
            start=base.start + dt.timedelta(days=days), treatment=treatment,
            involuntary_movements=involuntary, partial_response=partial,
            subject_gain=infant_gain * float(np.exp(gain_rng.normal(0.0, SESSION_GAIN_LOG_SD))), **fixed,
        )  # fmt: skip
        name = f"series{seed}_{response}_{i}_{'baseline' if days == 0 else f'day{days}'}.edf"
        paths.append(write_edf(plan, Path(out_dir) / name))
    return paths


#: Cycle of labels in a corpus (normal : classic : modified = 2 : 1 : 2), and the order
#: in which modified recordings take their first subtype, so every subtype is covered.
_CORPUS_LABELS = ("normal", "modified_hypsarrhythmia", "hypsarrhythmia", "normal",
                  "modified_hypsarrhythmia")  # fmt: skip


def simulate_corpus(out_dir: str | Path, n: int, *, seed: int, duration_s: int = 120,
                    jobs: int = 1, **options) -> list[Path]:  # fmt: skip
    """Simulate a labelled corpus covering every class, subtype and export variant.

    Recording ``i`` uses seed ``seed * 10000 + i``, so corpora made with different
    ``seed`` never share a recording.  Besides the EDF files and their JSON sidecars,
    ``labels.csv`` lists every file with its labels (see :func:`labels_table`), the
    table ``eegpipe train`` reads.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the files.
    n : int
        Number of recordings (< 10000).
    seed : int
        Corpus seed.
    duration_s : int
        Length of each recording in seconds.
    jobs : int
        Processes to simulate with (the files are the same for any number).
    **options
        Passed to every :func:`simulate_recording`.

    Returns
    -------
    paths : list of Path
    """
    if not 0 < n < 10000:
        raise ValueError(f"n must be in 1..9999, got {n}")
    tasks, n_mod = [], 0
    for i in range(n):
        label = _CORPUS_LABELS[i % len(_CORPUS_LABELS)]
        kw = dict(options)
        if label == "modified_hypsarrhythmia" and "subtypes" not in kw:
            first = SUBTYPES[n_mod % len(SUBTYPES)]
            n_mod += 1
            extra = np.random.default_rng([seed, i]).choice(SUBTYPES)
            pairs_ok = {("slow_no_spikes", "attenuation"), ("asymmetric", "consistent_focus"),
                        ("synchronized", "attenuation"), ("attenuation", "asymmetric")}  # fmt: skip
            both = (first, str(extra))
            kw["subtypes"] = sorted(set(both)) if both in pairs_ok or both[::-1] in pairs_ok \
                else [first]  # fmt: skip
        s = seed * 10000 + i
        tasks.append((Path(out_dir) / f"sim_{s}.edf", label, s, duration_s, kw))
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            paths = list(pool.map(_corpus_file, tasks))
    else:
        paths = [_corpus_file(t) for t in tasks]
    labels_table(paths).to_csv(Path(out_dir) / "labels.csv", index=False)
    return paths


def _corpus_file(task) -> Path:
    path, label, s, duration_s, kw = task
    return simulate_to_edf(path, label, seed=s, duration_s=duration_s, **kw)


#: Columns of :func:`labels_table` (and of the ``LABELS.csv`` that ``eegpipe train`` reads).
LABEL_COLUMNS = ("file", "label", "subtypes", "subject", "age_months", "severity", "seed",
                 "duration_s", "sfreq")  # fmt: skip


def labels_table(paths) -> pd.DataFrame:
    """The labels of simulated recordings, read from their JSON sidecars.

    Parameters
    ----------
    paths : iterable of str or Path
        Simulated ``.edf`` files (each with its ``.json`` sidecar).

    Returns
    -------
    labels : pandas.DataFrame
        One row per file, columns :data:`LABEL_COLUMNS`: ``file`` (file name, relative
        to the sidecar's folder), ``label``, ``subtypes`` (``;``-separated), ``subject``
        (the simulated patient's code: recordings of one infant share it).
    """
    import json

    rows = []
    for p in map(Path, paths):
        t = json.loads(p.with_suffix(".json").read_text())
        rows.append({"file": p.name, "label": t["label"], "subtypes": ";".join(t["subtypes"]),
                     "subject": (t.get("patient") or {}).get("code") or f"seed{t['seed']}",
                     "age_months": t["age_months"], "severity": t["severity"], "seed": t["seed"],
                     "duration_s": t["duration_s"], "sfreq": t["sfreq"]})  # fmt: skip
    return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))


def make_sample_edf(out_dir: str | Path) -> list[Path]:
    """Regenerate the files of ``sample_edf/`` (see its README), bit for bit.

    Parameters
    ----------
    out_dir : str or Path
        Destination folder.

    Returns
    -------
    paths : list of Path
    """
    out = Path(out_dir)
    common = {"duration_s": 150, "sfreq": 256}
    paths = [
        simulate_to_edf(out / "normal_8mo_sleep.edf", "normal", seed=101, age_months=8,
                        sleep_bias=0.9, **common),
        simulate_to_edf(out / "normal_14mo_awake.edf", "normal", seed=102, age_months=14,
                        sleep_bias=0.1, channel_style="eeg_ref", **common),
        simulate_to_edf(out / "hypsarrhythmia_6mo.edf", "hypsarrhythmia", seed=103,
                        age_months=6, severity=0.8, channel_style="upper_ref", **common),
        simulate_to_edf(out / "modified_asymmetric_7mo.edf", "modified_hypsarrhythmia",
                        seed=104, subtypes=["asymmetric"], age_months=7, severity=0.7,
                        channel_style="eeg_le", **common),
    ]  # fmt: skip
    paths += simulate_series(out / "series", "responder", seed=105, duration_s=150,
                             sfreq=250, channel_style="eeg_ref")  # fmt: skip
    return paths
