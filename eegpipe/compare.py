"""Treatment response: one infant's recordings compared, pre vs post and over time.

:func:`measure` scores one recording and keeps its clean epochs; :func:`compare` sets two
recordings side by side; :func:`series` orders several (by the start time in their
headers, or by given days) and compares each step and the first with the last.

For each feature family (:data:`eegpipe.reference.FAMILIES`) a comparison gives the
change of every feature with a bootstrap confidence interval over clean epochs, an
effect size (Cliff's delta between the two recordings' epochs; for asymmetry, the signed
left/right ratio read on the side of the larger asymmetry), and the family's
**normalization index** at each timepoint (0 = typical hypsarrhythmia, 1 = typical
normal EEG for the infant's age; :class:`eegpipe.reference.Reference`).  A status then
says what happened, by the rule in :func:`eegpipe.status.decide_status`.

Only clean epochs count (artifact rejection of :mod:`eegpipe.artifacts`): tremor and
myoclonic jerks during vitamin B12 treatment are movement and muscle, not EEG, and must
not read as relapse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from eegpipe import __version__
from eegpipe.errors import RecordingError
from eegpipe.io import DAYS_PER_MONTH, load_recording
from eegpipe.montage import NEW_TO_OLD
from eegpipe.pipeline import EPOCH_S
from eegpipe.reference import (
    FAMILIES,
    FAMILY_LABELS,
    FEATURES,
    MIN_CLEAN_EPOCHS,
    Reference,
    comparison_table,
    pool,
    recording_values,
)
from eegpipe.score import ScoreResult, _clean, score_recording, unseen_electrodes
from eegpipe.state import common_state, describe, epoch_states, recording_marks
from eegpipe.status import (  # noqa: F401 - the rule's names, re-exported
    ABNORMAL_VERDICTS,
    CI_LEVEL,
    HELD_STATUSES,
    MIN_INDEX_CHANGE,
    NORMALIZED_INDEX,
    NORMALIZED_MAX_GRADE,
    RULE,
    SERIES_RULE,
    SPIKE_RESOLUTION,
    STATUSES,
    _ci,
    _discharges_remain,
    decide_status,
    fell_back,
    index_reaches_normal,
)

#: Bootstrap resamples.
N_BOOT = 1000
#: Fewest clean epochs of the shared annotated state each recording must have for the
#: comparison to be restricted to that state: one minute of 10-s epochs.  *unverified*, a
#: conventional minimum of artifact-free EEG for a quantitative measure; with the floor
#: at 3 epochs (30 s) a follow-up asleep but for 30 s was compared on those 30 s alone
#: (held-out responder 9944, benchmarks/RESULTS.md).
MIN_STATE_EPOCHS = 6


@dataclass
class Timepoint:
    """One scored recording of a series, with what the comparison needs.

    Attributes
    ----------
    file : str
        The recording.
    score : ScoreResult
        As ``eegpipe score`` gives it (``epochs`` attached).
    table : pandas.DataFrame
        Clean epochs, one column per compared feature
        (:func:`eegpipe.reference.comparison_table`).
    age_months : float or None
        Age at the recording, in months.
    age_source : str or None
        ``"header"`` (EDF+ birth date), ``"given"`` or ``None``.
    meas_date : datetime or None
        Start of the recording (header); never printed.
    days : float or None
        Days after the first recording of the series (0 for the first).
    values : dict of str to float
        Pooled value of each feature over clean epochs.
    index : dict
        ``overall``, ``families``, ``features`` (floats) and ``overall_ci``.
    boot : dict
        Bootstrap resamples of the values and indices (arrays of length ``n_boot``).
    states : ndarray of str or None
        Sleep-wake state of each row of ``table`` from the file's state annotations
        (:func:`eegpipe.state.epoch_states`); None when the file has none.
    """

    file: str
    score: ScoreResult
    table: pd.DataFrame
    age_months: float | None = None
    age_source: str | None = None
    meas_date: datetime | None = field(default=None, repr=False)
    days: float | None = None
    values: dict = field(default_factory=dict)
    index: dict = field(default_factory=dict)
    boot: dict = field(default_factory=dict, repr=False)
    _subject: str | None = field(default=None, repr=False)
    band_note: str | None = None
    states: np.ndarray | None = field(default=None, repr=False)
    _placement: tuple | None = field(default=None, repr=False)
    _epoch_s: float = field(default=EPOCH_S, repr=False)

    @property
    def comparable(self) -> bool:
        """True when the recording has a verdict and enough clean epochs."""
        return (self.score.error is None and self.score.verdict not in (None, "indeterminate")
                and len(self.table) >= MIN_CLEAN_EPOCHS)  # fmt: skip

    @property
    def is_normal(self) -> bool:
        """Normal verdict, no spike focus (grade <= :data:`NORMALIZED_MAX_GRADE`, no residual
        focus off the midline) and overall index at least :data:`NORMALIZED_INDEX`, or not shown
        to lie below it (:func:`eegpipe.status.index_reaches_normal`)."""
        return self.comparable and self.score.verdict == "normal" and not _discharges_remain(self) and \
            index_reaches_normal(self)  # fmt: skip

    def index_dict(self) -> dict:
        """Normalization index of this timepoint, JSON-ready.

        Returns
        -------
        index : dict
            ``overall``, ``ci_low``, ``ci_high``, ``families``, ``features`` and
            ``reference_band`` (the normal age band used); ``None`` values when the
            recording cannot be compared.
        """
        if not self.comparable:
            return {"overall": None, "ci_low": None, "ci_high": None, "families": {}, "features": {}}
        lo, hi = self.index["overall_ci"]
        return _clean({"overall": self.index["overall"], "ci_low": lo, "ci_high": hi,
                       "families": self.index["families"], "features": self.index["features"],
                       "reference_band": self.index.get("band")})  # fmt: skip

    def to_dict(self) -> dict:
        """JSON-ready summary: file, days, age, score object and index.

        Returns
        -------
        timepoint : dict
        """
        return _clean({"file": self.file, "days": self.days, "age_months": self.age_months,
                       "age_source": self.age_source, "clean_epochs": len(self.table),
                       "score": self.score.to_dict(), "values": self.values,
                       "normalization_index": self.index_dict()})  # fmt: skip


def measure(source: str | PathLike, *, age_months: float | None = None, epoch_s: float = EPOCH_S,
            reference: Reference | None = None, n_boot: int = N_BOOT, seed: int = 0) -> Timepoint:  # fmt: skip
    """Score one recording and place it on the normalization index.

    Parameters
    ----------
    source : str or path-like
        An EDF/EDF+/BDF file.
    age_months : float or None
        Age at the recording; ``None`` reads it from the header's birth date.
    epoch_s : float
        Epoch length in seconds.
    reference : Reference or None
        Reference distributions (default: the shipped one).
    n_boot : int
        Bootstrap resamples over clean epochs.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    timepoint : Timepoint

    Raises
    ------
    RecordingError
        When the file cannot be read.
    """
    tp = _score(source, epoch_s)
    if age_months is not None:
        tp.age_months, tp.age_source = float(age_months), "given"
    _place(tp, reference or Reference.load(), n_boot, seed)
    return tp


def _score(source: str | PathLike, epoch_s: float, leave_out: Collection[str] = ()) -> Timepoint:
    """Load and score a recording; the timepoint is not yet placed on the index.

    ``leave_out``: 10-20 names (old temporal names) of electrodes to read it without."""
    try:
        rec = load_recording(source, preload=False, min_duration_s=epoch_s)
    except RecordingError as err:
        if not err.unscorable_montage:
            raise
        res = score_recording(source, epoch_s=epoch_s)
        return Timepoint(file=res.file, score=res, table=comparison_table(_EMPTY), _epoch_s=epoch_s)
    leave_out = set(leave_out)
    gone = [c for c in rec.ch_names if NEW_TO_OLD.get(c, c) in leave_out]
    if gone:
        rec.raw.drop_channels(gone)
        rec = replace(rec, missing_channels=(*rec.missing_channels, *gone))
    res = score_recording(rec, epoch_s=epoch_s, keep_epochs=True)
    table = comparison_table(res.epochs if res.epochs is not None else _EMPTY)
    states = epoch_states(recording_marks(rec.raw), table["start_s"].to_numpy(float), epoch_s, rec.duration_s)
    return Timepoint(file=res.file, score=res, table=table, meas_date=rec.meas_date,
                     age_months=rec.age_months, age_source="header" if rec.age_months is not None else None,
                     _subject=_subject_key(rec.subject), states=states if any(states) else None,
                     _epoch_s=epoch_s)  # fmt: skip


_EMPTY = pd.DataFrame(columns=["start_s", "end_s", "excluded", "attenuated_s", "spike_events_per_min", "spike_regions",
                               "signed_asymmetry",
                               *[f.key for f in FEATURES if f.key != "paroxysmal_attenuation_share"]])  # fmt: skip


def _subject_key(subject) -> str | None:
    """A hash of the identifying fields, to tell whether files are of one infant."""
    parts = [subject.code, subject.name, subject.birth_date]
    if not any(p and p.upper() != "X" for p in parts):
        return None
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _place(tp: Timepoint, ref: Reference, n_boot: int, seed) -> None:
    """Pooled values, index and bootstrap resamples of a timepoint (in place)."""
    tp._placement = (ref, n_boot, seed)
    tp.values = recording_values(tp.table)
    if not tp.comparable:
        return
    band, note = ref.band(tp.age_months)
    tp.band_note = note
    point = ref.index(tp.values, tp.age_months)
    rng = np.random.default_rng(seed)
    n = len(tp.table)
    rows = rng.integers(0, n, size=(n_boot, n))
    boot_vals = {f.key: pool(tp.table[f.key].to_numpy(float)[rows], f.statistic) for f in FEATURES}
    boot_idx = ref.index(boot_vals, tp.age_months)
    tp.boot = {"values": boot_vals, "index": boot_idx}
    tp.index = {"overall": float(point["overall"]), "overall_ci": _ci(boot_idx["overall"]), "band": band,
                "families": {k: float(v) for k, v in point["families"].items()},
                "features": {k: float(v) for k, v in point["features"].items()}}  # fmt: skip


def cliffs_delta(pre: np.ndarray, post: np.ndarray) -> float:
    """Cliff's delta: P(post > pre) - P(post < pre) over all pairs of epochs.

    Parameters
    ----------
    pre, post : ndarray
        Epoch values of the earlier and the later recording.

    Returns
    -------
    delta : float
        -1 to 1; 0 when the two distributions overlap evenly; NaN if either is empty.
    """
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    if not pre.size or not post.size:
        return float("nan")
    s = np.sort(pre)
    below = np.searchsorted(s, post, side="left")
    above = pre.size - np.searchsorted(s, post, side="right")
    return float((below.sum() - above.sum()) / (pre.size * post.size))


@dataclass
class Comparison:
    """An earlier and a later recording of one infant, compared.

    Attributes
    ----------
    pre, post : Timepoint
        The two recordings.
    status : str
        One of :data:`STATUSES`.
    reasons : list of str
        Why (the rule's numbers).
    change : dict
        Overall index change: ``value``, ``ci_low``, ``ci_high``.
    families : dict
        Per family: index before and after, change with interval, effect size, and
        each feature's change in its unit.
    notes : list of str
        Age-band, sleep-wake state and data-quality remarks.
    state : str or None
        The annotated state (:data:`eegpipe.state.STATES`) the comparison was restricted
        to, when the recordings' state annotations differed; ``pre`` and ``post`` then
        hold only those epochs.
    """

    pre: Timepoint
    post: Timepoint
    status: str
    reasons: list[str]
    change: dict
    families: dict
    notes: list[str] = field(default_factory=list)
    state: str | None = None

    @property
    def days_between(self) -> float | None:
        """Days from the earlier to the later recording, when known."""
        if self.pre.days is not None and self.post.days is not None:
            return self.post.days - self.pre.days
        if self.pre.meas_date and self.post.meas_date:
            return (self.post.meas_date - self.pre.meas_date).total_seconds() / 86400.0
        return None

    def to_dict(self) -> dict:
        """The JSON object ``eegpipe compare --format json`` prints.

        Returns
        -------
        comparison : dict
            ``status``, ``rule``, ``reasons``, ``pre`` and ``post`` (score objects as
            ``eegpipe score --format json`` prints them), ``days_between``,
            ``age_months``, ``normalization_index`` (``pre``, ``post``, ``change``),
            ``families``, ``clean_epochs``, ``compared_state`` (the annotated sleep-wake
            state both were restricted to, or null), ``notes``, ``eegpipe_version``.
        """
        return _clean({
            "status": self.status, "rule": RULE, "reasons": self.reasons,
            "pre": self.pre.score.to_dict(), "post": self.post.score.to_dict(),
            "days_between": self.days_between,
            "age_months": {"pre": self.pre.age_months, "post": self.post.age_months},
            "normalization_index": {"pre": self.pre.index_dict(), "post": self.post.index_dict(),
                                    "change": self.change},
            "families": self.families,
            "clean_epochs": {"pre": len(self.pre.table), "post": len(self.post.table)},
            "compared_state": self.state, "notes": self.notes, "eegpipe_version": __version__,
        })  # fmt: skip


def _orientation(f) -> float:
    """+1 when a rise of the feature moves towards normal, -1 when a fall does."""
    return -1.0 if f.abnormal == "high" else 1.0


def _families(pre: Timepoint, post: Timepoint) -> dict:
    out = {}
    for fam in FAMILIES:
        feats, deltas = {}, []
        for f in (f for f in FEATURES if f.family == fam):
            d = post.boot["values"][f.key] - pre.boot["values"][f.key]
            lo, hi = _ci(d)
            a, b = pre.table[f.key].to_numpy(float), post.table[f.key].to_numpy(float)
            if f.statistic == "abs_median":  # signed per epoch: both read on the side of the larger asymmetry
                m = max(np.median(a), np.median(b), key=abs) if a.size and b.size else 0.0
                a, b = (-a, -b) if m < 0 else (a, b)
            cd = cliffs_delta(a, b)
            deltas.append(_orientation(f) * cd)
            feats[f.key] = {"label": f.label, "unit": f.unit, "pre": pre.values[f.key], "post": post.values[f.key],
                            "change": post.values[f.key] - pre.values[f.key], "ci_low": lo, "ci_high": hi,
                            "effect_size": cd, "index_pre": pre.index["features"][f.key],
                            "index_post": post.index["features"][f.key]}  # fmt: skip
        d = post.boot["index"]["families"][fam] - pre.boot["index"]["families"][fam]
        lo, hi = _ci(d)
        ip, iq = pre.index["families"][fam], post.index["families"][fam]
        out[fam] = {"label": FAMILY_LABELS[fam], "index_pre": ip, "index_post": iq, "index_change": iq - ip,
                    "ci_low": lo, "ci_high": hi, "effect_size": float(np.nanmean(deltas)),
                    "features": feats}  # fmt: skip
    return out


def compare_timepoints(pre: Timepoint, post: Timepoint) -> Comparison:
    """Compare two measured recordings (see :func:`compare`).

    Parameters
    ----------
    pre, post : Timepoint
        From :func:`measure` (placed on the index with the same reference).

    Returns
    -------
    comparison : Comparison
    """
    notes = [f"{tp.file}: {tp.band_note}" for tp in (pre, post) if tp.band_note]
    if pre._subject and post._subject and pre._subject != post._subject:
        notes.append("the two headers name different patients (identifiers withheld): check the files")
    nan = {"value": None, "ci_low": None, "ci_high": None}
    if not (pre.comparable and post.comparable):
        status, reasons = decide_status(pre, post, nan)
        return Comparison(pre, post, status, reasons, nan, {}, notes)
    own = (pre, post)
    status, reasons, change, pre, post, matched, state_notes = _decide(pre, post)
    notes += state_notes + _across_age_bands(pre, post, status) + _like_for_like(*own, status)
    return Comparison(pre, post, status, reasons, change, _families(pre, post), notes, matched)


def _decide(pre: Timepoint, post: Timepoint):
    """Status of two comparable timepoints, on their shared annotated state when they
    have one: (status, reasons, change, pre, post, state or None, notes)."""
    notes: list[str] = []
    pre, post, matched = _same_state(pre, post, notes)
    change = overall_change(pre, post)
    status, reasons = decide_status(pre, post, change)
    return status, reasons, change, pre, post, matched, notes


#: Words of the note of :func:`_like_for_like` (benchmarks count the notes by them).
SHARED_ELECTRODES_NOTE = "read on the electrodes both recorded usefully"


def _like_for_like(pre: Timepoint, post: Timepoint, status: str) -> list[str]:
    """A note when the step reads otherwise with both recordings read on the electrodes
    both recorded usefully.

    Every measure is read on the double banana, so an electrode a recording did not
    usefully record (flat, disconnected, missing) takes with it the derivations and the
    homologous pair it belongs to: a spike focus beside it can seem to come or go, and
    synchrony is read on other pairs.  Each recording is read again without the
    electrodes the other lacked and the step decided on those readings; when that differs,
    a note gives it.  The status stands on each recording's own electrodes: deciding on
    the shared ones corrected as many held-out series as it broke (benchmarks/RESULTS.md,
    "Like for like"), and whether a follow-up is normal is asked of all of it, so a
    like-for-like ``normalized`` of a follow-up not normal on its own electrodes is no note.
    """
    unseen = _unseen(pre), _unseen(post)
    lacks = [{c: why for c, why in b.items() if c not in a} for a, b in (unseen, unseen[::-1])]
    if not any(lacks) or None in (pre._placement, post._placement):
        return []
    out, said = [], []
    for tp, leave_out, when, other in ((pre, lacks[0], "earlier", "later"), (post, lacks[1], "later", "earlier")):
        if not leave_out:
            out.append(tp)
            continue
        try:
            fresh = _score(tp.file, tp._epoch_s, leave_out)
        except RecordingError:
            return []  # the file cannot be read again: the status stands, without the note
        new = replace(tp, score=fresh.score, table=fresh.table, states=fresh.states)
        _place(new, *tp._placement)
        if not new.comparable:
            return []
        out.append(new)
        names = ", ".join(f"{leave_out[c][1]} ({leave_out[c][0]})" for c in sorted(leave_out))
        said.append(f"the {when} without {names}, not recorded usefully in the {other}")
    alt, _, _, a, b, _, _ = _decide(*out)
    if alt == status or (alt == "normalized" and not post.is_normal):
        return []
    return [f"{SHARED_ELECTRODES_NOTE} ({'; '.join(said)}), the step is {alt}, not {status} "
            f"(index {a.index['overall']:.2f} -> {b.index['overall']:.2f}): part of the difference "
            f"may be in the electrodes read, not in the EEG"]  # fmt: skip


def _unseen(tp: Timepoint) -> dict[str, tuple[str, str]]:
    """Electrodes a recording did not usefully record (:func:`eegpipe.score.unseen_electrodes`):
    10-20 name with the old temporal names -> (why, name as the file has it)."""
    return {NEW_TO_OLD.get(c, c): (why, c) for c, why in unseen_electrodes(tp.score.quality or {}).items()}


#: Words of the note of :func:`_across_age_bands` (benchmarks count the notes by them).
AGE_BAND_NOTE = "only across the change of normal age band"


def _across_age_bands(pre: Timepoint, post: Timepoint, status: str) -> list[str]:
    """A note when an improvement or worsening between recordings read against different
    age bands' normal references does not hold with both read against one of them: part
    of it may be the step between the references (an unchanged EEG at 11 and at 13 months
    is read against two sets of normal infants), not a change of the EEG.  The status
    stands: requiring both references cost more partial responders than it saved
    non-responders (benchmarks/RESULTS.md, "One ruler across age bands"); the note lets
    the reader weigh the step."""
    bands = (pre.index.get("band"), post.index.get("band"))
    if status not in ("improved", "worsened") or bands[0] == bands[1] or None in (pre._placement, post._placement):
        return []
    for age, band in ((pre.age_months, bands[0]), (post.age_months, bands[1])):
        a, b = (tp if tp.age_months == age else _placed_at(tp, age) for tp in (pre, post))
        alt, _ = decide_status(a, b, overall_change(a, b))
        if alt != status and (status, alt) != ("improved", "normalized"):
            return [f"{status} {AGE_BAND_NOTE} ({bands[0]} -> {bands[1]} months): "
                    f"with both recordings read against the {band} months reference the step is {alt} "
                    f"(index {a.index['overall']:.2f} -> {b.index['overall']:.2f}), so part of the change "
                    f"may be the step between the references, not the EEG's"]  # fmt: skip
    return []


def _placed_at(tp: Timepoint, age: float | None) -> Timepoint:
    """A copy of ``tp`` read against the normal reference of another age."""
    out = replace(tp, age_months=age)
    _place(out, *tp._placement)
    return out


def overall_change(pre: Timepoint, post: Timepoint) -> dict:
    """Change of the overall index from ``pre`` to ``post`` with its bootstrap interval.

    Parameters
    ----------
    pre, post : Timepoint
        Placed on the index (comparable).

    Returns
    -------
    change : dict
        ``value``, ``ci_low``, ``ci_high``.
    """
    lo, hi = _ci(post.boot["index"]["overall"] - pre.boot["index"]["overall"])
    return {"value": post.index["overall"] - pre.index["overall"], "ci_low": lo, "ci_high": hi}


def _same_state(pre: Timepoint, post: Timepoint, notes: list[str]):
    """The two timepoints restricted to the annotated sleep-wake state they share, when
    their annotated states differ and one state has :data:`MIN_STATE_EPOCHS` epochs in
    both (voltage and synchrony follow the state: Gibbs & Gibbs 1952, Mytinger 2018);
    else unchanged. Appends what was done to ``notes``. Returns (pre, post, state or None)."""
    if pre.states is None or post.states is None:
        return pre, post, None
    if len((set(pre.states) | set(post.states)) - {""}) == 1:  # one state annotated in both
        return pre, post, None
    state = common_state(pre.states, post.states, MIN_STATE_EPOCHS)
    found = f"annotated states (clean epochs): earlier {describe(pre.states)}; later {describe(post.states)}"
    if state is None:
        notes.append(f"{found}; no state has {MIN_STATE_EPOCHS} clean epochs in both, so all epochs are "
                     f"compared: voltage and synchrony differ between sleep and wakefulness")  # fmt: skip
        return pre, post, None
    out = []
    for tp in (pre, post):
        keep = tp.states == state
        sub = replace(tp, table=tp.table.loc[keep].reset_index(drop=True), states=tp.states[keep])
        _place(sub, *tp._placement)
        out.append(sub)
    notes.append(f"{found}; compared on the epochs annotated {state} in both ({len(out[0].table)} and "
                 f"{len(out[1].table)}), as voltage and synchrony follow the sleep-wake state")  # fmt: skip
    return out[0], out[1], state


def compare(pre: str | PathLike, post: str | PathLike, *, age_months: tuple | float | None = None,
            epoch_s: float = EPOCH_S, n_boot: int = N_BOOT, seed: int = 0) -> Comparison:  # fmt: skip
    """Compare an infant's EEG before and after treatment.

    Parameters
    ----------
    pre, post : str or path-like
        The earlier and the later EDF/EDF+/BDF recording.
    age_months : float or (float, float) or None
        Age at the earlier recording (the later one's follows from the header dates), or
        at both; ``None`` reads each from its header's birth date.
    epoch_s : float
        Epoch length in seconds.
    n_boot : int
        Bootstrap resamples over clean epochs.
    seed : int
        Seed of the bootstrap (the two recordings get independent streams).

    Returns
    -------
    comparison : Comparison
        ``.status``, ``.to_dict()``.

    Raises
    ------
    RecordingError
        When a file cannot be read.
    """
    return series([pre, post], age_months=age_months, epoch_s=epoch_s, n_boot=n_boot, seed=seed,
                  keep_order=True).overall  # fmt: skip


@dataclass
class Series:
    """One infant's recordings over time.

    Attributes
    ----------
    timepoints : list of Timepoint
        In time order.
    steps : list of Comparison
        Each recording against the one before.
    overall : Comparison
        The first recording against the last.
    notes : list of str
    held : tuple of Comparison or None
        When an improvement at a recording in between decided the status
        (:data:`eegpipe.status.SERIES_RULE`): the first recording against that one, and
        that one against the last.
    """

    timepoints: list[Timepoint]
    steps: list[Comparison]
    overall: Comparison
    notes: list[str] = field(default_factory=list)
    held: tuple[Comparison, Comparison] | None = None

    @property
    def status(self) -> str:
        """The series' status: the first recording against the last, or ``improved`` when
        an earlier improvement held (:data:`eegpipe.status.SERIES_RULE`)."""
        return "improved" if self.held else self.overall.status

    @property
    def reasons(self) -> list[str]:
        """Why the series has its status: the overall comparison's reasons, or the held
        improvement's and then what the first recording against the last alone says."""
        if not self.held:
            return self.overall.reasons
        up, since = self.held
        return [f"improved by {_when(up.post)} and not worse since: {_when(up.post)} against the first "
                f"recording, {up.reasons[0]}; {_when(since.post)} against {_when(up.post)}, {since.status} "
                f"({since.reasons[0]}; no family fell back by its smallest detectable change)",
                f"the first recording against the last alone reads {self.overall.status} "
                f"({self.overall.reasons[0]})"]  # fmt: skip

    def to_dict(self) -> dict:
        """The JSON object ``eegpipe series --format json`` prints.

        Returns
        -------
        series : dict
            ``status``, ``rule``, ``reasons``, ``timepoints`` (each with its ``score``
            object and ``normalization_index``), ``steps`` and ``overall`` (comparison
            objects as ``eegpipe compare`` prints them), ``held_improvement`` (null, or the
            ``file`` and ``days`` of the follow-up whose improvement held, and ``since``, the
            status of the last recording against it), ``notes``.
        """
        held = None if not self.held else {"file": Path(self.held[0].post.file).name,
                                           "days": self.held[0].post.days, "since": self.held[1].status}
        return _clean({"status": self.status, "rule": f"{RULE} {SERIES_RULE}", "reasons": self.reasons,
                       "held_improvement": held,
                       "timepoints": [t.to_dict() for t in self.timepoints],
                       "steps": [s.to_dict() for s in self.steps], "overall": self.overall.to_dict(),
                       "notes": self.notes, "eegpipe_version": __version__})  # fmt: skip


def series(paths, *, days=None, age_months=None, epoch_s: float = EPOCH_S, n_boot: int = N_BOOT,
           seed: int = 0, keep_order: bool = False) -> Series:  # fmt: skip
    """Follow one infant's EEG over several recordings.

    Parameters
    ----------
    paths : sequence of str or path-like
        Two or more EDF/EDF+/BDF files of the same infant.
    days : sequence of float or None
        Days of each recording (e.g. after the start of treatment); ``None`` takes the
        start times in the headers.
    age_months : float or sequence of float or None
        Age at the first recording (the others follow from the days between), or one per
        file; ``None`` reads each from its header's birth date.
    epoch_s : float
        Epoch length in seconds.
    n_boot : int
        Bootstrap resamples over clean epochs.
    seed : int
        Seed of the bootstrap.
    keep_order : bool
        Keep the order given even when the headers' dates disagree (``compare``).

    Returns
    -------
    series : Series

    Raises
    ------
    RecordingError
        When a file cannot be read.
    ValueError
        With fewer than two files, or days/ages not matching the files.
    """
    paths = [str(p) for p in paths]
    if len(paths) < 2:
        raise ValueError(f"a series needs at least two recordings, got {len(paths)}")
    if days is not None and len(days) != len(paths):
        raise ValueError(f"{len(days)} days given for {len(paths)} recordings")
    ref = Reference.load()
    tps = [_score(p, epoch_s) for p in paths]
    if age_months is not None and np.ndim(age_months) == 1:
        if len(age_months) != len(tps):
            raise ValueError(f"{len(age_months)} ages given for {len(tps)} recordings")
        for tp, a in zip(tps, age_months, strict=True):
            tp.age_months, tp.age_source = float(a), "given"
    notes: list[str] = []
    if days is not None:
        for tp, d in zip(tps, days, strict=True):
            tp.days = float(d)
    elif all(tp.meas_date is not None for tp in tps):
        first = min(tp.meas_date for tp in tps) if not keep_order else tps[0].meas_date
        for tp in tps:
            tp.days = round((tp.meas_date - first).total_seconds() / 86400.0, 2)
    else:
        notes.append("no start time in some headers and no --days: recordings kept in the order given")
    if not keep_order and all(tp.days is not None for tp in tps):
        tps = sorted(tps, key=lambda tp: tp.days)
    if tps[0].days is not None:
        d0 = tps[0].days
        for tp in tps:
            tp.days = tp.days - d0
    if age_months is not None and np.ndim(age_months) == 0:
        _ages_from_first(tps, float(age_months), notes)
    for i, tp in enumerate(tps):
        _place(tp, ref, n_boot, [seed, i])
    if len({tp._subject for tp in tps if tp._subject}) > 1:
        notes.append("the headers name more than one patient (identifiers withheld): check the files")
    steps = [compare_timepoints(a, b) for a, b in zip(tps[:-1], tps[1:], strict=True)]
    overall = steps[0] if len(tps) == 2 else compare_timepoints(tps[0], tps[-1])
    held = _held_improvement(tps, steps, overall.status)
    for s in steps if len(tps) > 2 else []:  # a passing worsening the overall status may not show
        if s.status == "worsened":
            notes.append(f"worse at day {s.post.days:g} than at day {s.pre.days:g}" if s.post.days is not None
                         else f"{s.post.file} is worse than {s.pre.file}")  # fmt: skip
    return Series(tps, steps, overall, notes, held)


def _when(tp: Timepoint) -> str:
    """A recording named by its day in the series (day 0 the baseline), else by its file name."""
    return Path(tp.file).name if tp.days is None else ("baseline" if tp.days == 0 else f"day {tp.days:g}")


def _held_improvement(tps: list[Timepoint], steps: list[Comparison],
                      overall: str) -> tuple[Comparison, Comparison] | None:  # fmt: skip
    """An improvement at a recording in between that the last one keeps (:data:`SERIES_RULE`):
    the first recording against it and it against the last, the latest such recording
    first; ``None`` when the overall status (first against last) is not ``unchanged`` or
    none held."""
    if len(tps) < 3 or overall != "unchanged":
        return None
    for k in range(len(tps) - 2, 0, -1):
        up = steps[0] if k == 1 else compare_timepoints(tps[0], tps[k])
        if up.status != "improved":
            continue
        since = steps[-1] if k == len(tps) - 2 else compare_timepoints(tps[k], tps[-1])
        if since.status in HELD_STATUSES and not fell_back(since.pre, since.post, since.change):
            return up, since
    return None


def _ages_from_first(tps: list[Timepoint], age: float, notes: list[str]) -> None:
    """Age given at the first recording: the others follow from the days between."""
    for tp in tps:
        if tp.days is None and tp is not tps[0]:
            notes.append(f"{tp.file}: no date, so no age; the pooled normal reference is used")
            tp.age_months, tp.age_source = None, None
            continue
        tp.age_months = round(age + (tp.days or 0.0) / DAYS_PER_MONTH, 2)
        tp.age_source = "given"
