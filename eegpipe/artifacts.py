"""Artifact marking: which epochs (and which channels) carry non-cerebral signal.

**Input**: epochs of *referential* EEG (as recorded, not average-referenced or bipolar)
after :func:`eegpipe.preprocess.filter_resample` (0.5-45 Hz, 128 Hz), typically 10 s
long. Referential, because the rules rest on where an artifact shows on the scalp: a
blink is positive at Fp1/Fp2 and falls off backwards, a pop is one electrode's step.
Everything needed is in the band-passed data (muscle is judged at 30-40 Hz), so no
raw-rate pass is needed. Each epoch is judged on its own samples only: chunked and
whole-file processing give the same marks.

Every rule rests on the physiology or physics of the artifact, never on amplitude
alone: hypsarrhythmia is 200-500 µV (sometimes more) delta with spikes, and must not be
thrown away as "artifact".

* **EMG**: muscle is broadband, its spectrum flat, whereas cerebral activity falls with
  frequency (1/f); so EMG is 30-40 Hz power that is both large and nearly as strong per
  Hz as the 14-24 Hz power, in about a second's worth of half-second windows (a spike's
  edge lasts tens of ms) on at least two channels. Muscle power is plentiful at 30-40 Hz
  (Goncharova et al., Clin Neurophysiol 2003). Those windows must be bursts, standing
  out from the channel's own fast activity in the epoch, unless the whole epoch's
  spectrum of the channel is flat and strong (tonic muscle): a normal background whose
  fast activity lies near the thresholds crosses them in single windows by chance.
* **Movement**: muscle over at least a quarter of the head together with large
  deflections on a quarter of the channels (body and head movement, crying, tremor),
  or a burst of muscle on a quarter of the channels *at once*, with those deflections,
  however brief (a myoclonic jerk lasts 150-300 ms, too short for the EMG rule on any
  one channel), or deflections beyond any cerebral voltage.
* **Pop**: one electrode jumps within ~20 ms (faster than cortical potentials), alone
  (its neighbours do not follow), from a steady level, and recovers slowly (hundreds of
  ms), unlike a spike or sharp wave. A pop spoils one electrode, not the epoch: where
  at most :data:`POP_REPAIR_MAX_CHANNELS` electrodes, none next to another, pop in an
  epoch, :func:`repair_pops` replaces each by the mean of its nearest neighbours in that
  epoch (as a bad channel is interpolated) and the epoch is scored; otherwise the epoch
  is left out.
* **Eye**: a slow deflection whose scalp topography matches the eye's dipole field
  (blink: Fp1 and Fp2 positive, falling off backwards; horizontal movement: F7 and F8 in
  mirror image). Eye artifacts mark channels, not epochs: awake infants blink every few
  seconds. A spike detection on a marked electrode at the moment of the deflection is
  the blink's edge and is set aside (:func:`eye_spike_mask`); so is a frontal or
  temporal detection across which F7 and F8 step in mirror image as at a saccade, found
  or not over the whole head (:func:`lateral_eye_spikes`). The other measures do not
  yet leave the marked channels out.

Tremor and myoclonic jerks during B12 treatment are muscle and movement: they exclude
their epochs, so they never count as spikes or as relapse.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage, signal, stats

from eegpipe._numeric import butter_sos, lagged_differences, median_abs_lagged, sosfiltfilt
from eegpipe.montage import NEW_TO_OLD, nearest_neighbours

# --- EMG ---------------------------------------------------------------------------
#: Spectral windows for EMG: 0.5 s, half-overlapping (2-Hz resolution).
EMG_WINDOW_S = 0.5
#: Muscle band and reference band in Hz (per-Hz power compared).
EMG_BAND_HZ, EMG_REF_BAND_HZ = (30.0, 40.0), (14.0, 24.0)
#: Per-Hz power ratio (30-40 Hz over 14-24 Hz) above which a window's spectrum is too
#: flat to be cerebral. After the 45-Hz low-pass, white (muscle-like) noise gives 0.94,
#: a 1/f spectrum about 0.5, and infant EEG, falling as 1/f^2 (Schaworonkow & Voytek
#: 2021), about 0.3. *unverified*: no clean simulated epoch reaches it in 2 windows.
EMG_FLATNESS = 0.6
#: Slepian tapers for the window spectra: time-half-bandwidth 2 (+-4 Hz), 3 tapers.
EMG_TAPER_NW, EMG_N_TAPERS = 2.0, 3
#: ... and the 30-40 Hz RMS must exceed this (µV): above amplifier noise (~0.3 µV in the
#: band) and normal infant fast activity. *unverified*.
EMG_MIN_UV = 3.0
#: Windows whose spectra are computed at once (a block small enough to stay in cache).
_EMG_BLOCK_WINDOWS = 1024
#: A window of muscle must also stand out from the channel's own fast activity: its
#: 30-40 Hz power at least this many times the channel's median window in the epoch
#: (RMS 1.7 times), unless the channel's whole-epoch spectrum is itself muscle-like
#: (tonic muscle, below). A 0.5-s window's band power is chi-square on ~14 degrees of
#: freedom, so a steady background whose fast activity lies near EMG_MIN_UV crosses
#: both tests above in single windows by chance (measured on 1/f^1.6 noise with 2.9 µV
#: at 30-40 Hz: 2.3% of windows, which gives 3 windows on 2 channels in half the
#: epochs); three times the median happens by chance in ~2e-4 of windows. Without it a
#: normal older infant with a flat spectrum read as muscle in most epochs (a simulated
#: 18-month-old: 28 of 30). *unverified*: muscle bursts are usually far stronger.
EMG_BURST_RISE = 3.0
#: A channel whose spectrum over the whole epoch (all its windows: ~500 degrees of
#: freedom, so no chance crossing) has the 30-40 Hz RMS of EMG_MIN_UV and a per-Hz
#: ratio to 14-24 Hz of at least this is tonic muscle: every flat and strong window of
#: it counts. 0.45 is the measured ratio of a 1/f^1.15 spectrum after the 45-Hz
#: low-pass (1/f: 0.48, 1/f^1.5: 0.35, 1/f^2: 0.26, white: 0.94); infant EEG falls
#: more steeply (exponent 1.5-2.4, flattening with age: Schaworonkow & Voytek 2021).
#: *unverified*.
EMG_TONIC_FLATNESS = 0.45
#: A channel has EMG in an epoch with at least this many such windows (~1 s in all).
EMG_MIN_WINDOWS = 3
#: An epoch has EMG when at least this many channels have (one noisy electrode is a
#: bad channel, not muscle). *unverified*.
EMG_MIN_CHANNELS = 2

# --- movement ------------------------------------------------------------------------
#: In an epoch with EMG, share of the good channels that must show muscle (>= 2 EMG
#: windows) and large deflections for movement: movement involves the whole head.
#: *unverified*.
MOVE_MIN_SHARE = 0.25
#: "Large" 1-s peak-to-peak deflection, µV (the traditional high-voltage cut-off of
#: 200 µV, domain.md). Alone it means nothing: it counts only together with muscle.
MOVE_PTP_UV = 200.0
#: Peak-to-peak over 1 s beyond any cerebral voltage, µV, on MOVE_MIN_SHARE of the
#: channels: hypsarrhythmia is 200-500 µV "sometimes more" (domain.md); simulated
#: hypsarrhythmia reaches ~1500 µV referential. *unverified*.
MOVE_EXTREME_UV = 2000.0

# --- electrode pop -------------------------------------------------------------------
#: Step (µV) of a channel's deviation from its neighbours within 3 samples (~23 ms).
#: *unverified*; pops are typically hundreds of µV.
POP_STEP_UV = 100.0
#: ... and at least this many robust SDs of the channel's 3-sample changes in the epoch
#: (an outlier of its own signal, as in FASTER, Nolan et al., J Neurosci Methods 2010,
#: which uses z > 3 on other measures). *unverified*.
POP_STEP_Z = 8.0
#: The deviation must stay within a range of POP_QUIET of the step in the 40 ms before
#: it and in the 40 ms after it (a jump from a steady level, not the steep flank of a
#: delta wave or a spike that turns back), and stay displaced by POP_HOLD of the step
#: for POP_HOLD_S (exponential decay, unlike a spike that returns within ~70 ms).
#: *unverified*.
POP_QUIET, POP_HOLD, POP_HOLD_S = 0.3, 0.4, 0.1
#: A pop's exponential recovery (electrode double layer, time constants of 0.1-1 s) is
#: still under way at POP_TAIL_S: at least POP_TAIL of the step remains, whereas a
#: spike-and-slow-wave complex is over within ~250 ms. *unverified*.
POP_TAIL, POP_TAIL_S = 0.1, 0.25
#: Over the step, the neighbours' mean moves by less than this share of it (a pop is
#: one electrode's contact, not a field spread by volume conduction). *unverified*.
POP_ALONE = 0.3
#: Before the step the deviation is within this share of the step from zero: the jump
#: leaves the neighbours' level rather than returning to it (the zero-phase high-pass
#: pulls the level just before a step slightly the other way). *unverified*.
POP_DEPART = 0.7
#: Neighbours used for the deviation: the nearest electrodes.
POP_NEIGHBOURS = 4
#: An epoch in which at most this many electrodes pop, none among another's
#: POP_NEIGHBOURS, is kept, each popping electrode replaced in that epoch by the mean of
#: its nearest neighbours (nearest-neighbour interpolation of a channel that is bad for
#: a while, as autoreject repairs an epoch's few bad channels rather than dropping the
#: epoch: Jas et al., NeuroImage 2017). Rejecting the whole epoch for one electrode
#: throws away the other channels, and an electrode that pops again and again takes
#: most of a recording with it (a simulated day-180 follow-up kept 11 of 30 epochs).
#: *unverified*: 2 leaves at least 17 of 19 electrodes as recorded.
POP_REPAIR_MAX_CHANNELS = 2
#: The replacement fades in over this long before the epoch and out after it (a
#: raised-cosine ramp in the neighbouring epochs' edges), so that no step is made that
#: spike detection could take for a discharge. *unverified*: twice the ~70-ms upper
#: limit of a spike's duration and more.
POP_REPAIR_RAMP_S = 0.25

# --- eye -----------------------------------------------------------------------------
#: Eye signals are slow: judged below 7 Hz. *unverified*.
EYE_LOWPASS_HZ = 7.0
#: Scalp fields of the eye's dipole, as a share of the largest: a blink (vertical) is
#: largest and positive at Fp1/Fp2 and falls off backwards; a horizontal movement is
#: largest at F7/F8 in mirror image. Typical propagation shares (cf. Croft & Barry,
#: Neurophysiol Clin 2000); *unverified*.
BLINK_FIELD = {"Fp1": 1.0, "Fp2": 1.0, "F3": 0.4, "Fz": 0.4, "F4": 0.4, "F7": 0.35,
               "F8": 0.35, "C3": 0.15, "Cz": 0.15, "C4": 0.15}  # fmt: skip
LATERAL_EYE_FIELD = {"F7": 1.0, "F8": -1.0, "Fp1": 0.4, "Fp2": -0.4, "T3": 0.3, "T4": -0.3,
                     "F3": 0.2, "F4": -0.2}  # fmt: skip
#: Spatial correlation with the eye field, over the front half of the head, above which
#: a slow (< 7 Hz) deflection is taken as ocular. CORRMAP's template matching uses 0.8
#: (Viola et al., Clin Neurophysiol 2009); 0.9 here, because high-voltage delta
#: sometimes takes a frontal shape by chance. *unverified* for infants.
EYE_CORR = 0.9
#: Channels with no eye field that anchor the topography (front half of the head).
_EYE_ANCHORS = ("Fz", "C3", "Cz", "C4", "T3", "T4")
#: Smallest eye deflection at the defining electrodes, µV (blink, lateral). *unverified*.
EYE_BLINK_UV, EYE_LATERAL_UV = 40.0, 30.0
#: Channels carrying at least this much (µV) of the detected eye signal are marked.
#: *unverified*.
EYE_MASK_UV = 30.0
#: Eye deflections last at least this long (s); shorter ones are not from the eyes.
EYE_MIN_S = 0.1
#: A spike or sharp-wave detection on a derivation with an electrode carrying eye signal,
#: within this many seconds of the eye deflection, is the blink's or the eye movement's
#: edge, not a discharge: blinks and the lateral rectus spikes of eye movements are
#: common sources of false frontal "sharp waves" (artifact chapters of EEG texts, e.g.
#: Tatum (ed.), Handbook of EEG Interpretation, 2nd ed., 2014), and awake infants blink
#: every few seconds.  *unverified*: the margin covers the rise before the low-passed
#: deflection crosses its thresholds.
EYE_SPIKE_MARGIN_S = 0.1
#: A lateral eye movement (a saccade) turns the eye's corneoretinal dipole sideways:
#: F7 and F8 step in mirror image (one up, the other down, by similar amounts) within
#: tens of ms and hold there, and the lateral rectus spike rides on that step (Tatum
#: (ed.), Handbook of EEG Interpretation, 2nd ed., 2014; Lins et al., Brain Topogr
#: 1993, for the field).  A frontal detection is taken for one when, low-passed below
#: :data:`EYE_LOWPASS_HZ` and average-referenced, F7 and F8 change across it (from
#: this many seconds before to as many after) in opposite directions ...
LATERAL_EYE_STEP_S = 0.1
#: ... with the smaller change at least this share of the larger (a focal discharge at
#: F7 moves F8 only through the average reference, by about 1/n of its size) ...
LATERAL_EYE_MIRROR = 0.5
#: ... and the F7-F8 difference steps by at least this many robust SDs of the same
#: recording's own steps of F7-F8 over that span.  Saccades are abrupt and large beside
#: an awake background; hypsarrhythmia's delta moves F7 and F8 independently, so by
#: chance it does this rarely.  *unverified*: a compromise measured on generated EEG
#: (tests/test_preprocess.py; benchmarks/eye_spikes.py): at 4, 46 of 110 detections
#: at saccades' turns in independent awake EEG are set aside and none of 250 frontal
#: detections in independent hypsarrhythmia; in the simulator's awake normals the
#: frontal detections fall from 99 to 57 in 100 minutes.  At 5 the independent
#: saccades lose few; at 3 more hypsarrhythmia detections go (9 of 1,022 simulated).
LATERAL_EYE_STEP_Z = 4.0
#: Electrodes where a lateral eye movement's field is at least 0.3 of its largest
#: (:data:`LATERAL_EYE_FIELD`): detections on derivations using them are tested.
_LATERAL_EYE_SITES = frozenset(n for n, w in LATERAL_EYE_FIELD.items() if abs(w) >= 0.3)


@dataclass
class ArtifactMarks:
    """Artifacts found in each epoch.

    Attributes
    ----------
    ch_names : list of str
        Channel names, old temporal names, in the order of the input rows.
    eye, emg, movement, pop : ndarray of bool, shape (n_epochs,)
        Epochs with each kind of artifact.
    eye_channels : ndarray of bool, shape (n_epochs, n_channels)
        Channels carrying eye signal in each epoch: leave them out of that epoch's
        features (the epoch itself stays scorable).
    emg_channels, pop_channels : ndarray of bool, shape (n_epochs, n_channels)
        Channels where muscle or a pop was found.
    reasons : list of str
        One plain-English line per epoch ("" when nothing was found).
    repaired : ndarray of bool, shape (n_epochs,), or None
        Epochs whose popping electrodes :func:`repair_pops` replaced (scored, not
        excluded); ``None`` until it has run.
    eye_samples : ndarray of bool, shape (n_epochs, n_channels, n_times), or None
        Where each channel carries a detected eye deflection, sample by sample (what
        :func:`eye_spike_mask` reads); ``None`` when not computed.
    """

    ch_names: list[str]
    eye: np.ndarray
    emg: np.ndarray
    movement: np.ndarray
    pop: np.ndarray
    eye_channels: np.ndarray
    emg_channels: np.ndarray
    pop_channels: np.ndarray
    reasons: list[str] = field(default_factory=list)
    repaired: np.ndarray | None = None
    eye_samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def exclude(self) -> np.ndarray:
        """Epochs not to score (EMG, movement, or a pop not repaired), shape (n_epochs,)."""
        pop = self.pop if self.repaired is None else self.pop & ~self.repaired
        return self.emg | self.movement | pop

    @property
    def n_epochs(self) -> int:
        """Number of epochs."""
        return int(self.emg.size)


def mark_artifacts(
    epochs_uv: np.ndarray,
    sfreq: float,
    ch_names: Sequence[str],
    *,
    bad: Collection[str] = (),
) -> ArtifactMarks:
    """Mark muscle, movement, electrode pops and eye artifacts in epochs.

    Parameters
    ----------
    epochs_uv : ndarray, shape (n_epochs, n_channels, n_times)
        Referential EEG in µV, band-passed 0.5-45 Hz and resampled by
        :func:`eegpipe.preprocess.filter_resample` (not average-referenced), cut into
        epochs of a few seconds or more (10 s typical).
    sfreq : float
        Sampling rate in Hz, at least 96 (the working rate is 128).
    ch_names : sequence of str
        10-20 names of the rows (old or new temporal names).
    bad : collection of str
        Bad channels (from :func:`eegpipe.preprocess.find_bad_channels`); ignored.

    Returns
    -------
    marks : ArtifactMarks
        Per-epoch kinds, ``exclude`` (EMG, movement, pop: a pop no longer excludes its
        epoch once :func:`repair_pops` has repaired it), the per-channel eye mask and a
        reason per epoch.
    """
    x = np.asarray(epochs_uv, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"epochs_uv must be (n_epochs, n_channels, n_times), got {x.shape}")
    if x.shape[1] != len(ch_names):
        raise ValueError(f"{x.shape[1]} channels but {len(ch_names)} channel names")
    if sfreq < 2 * EMG_BAND_HZ[1] + 16:
        raise ValueError(f"sfreq must be at least {2 * EMG_BAND_HZ[1] + 16:g} Hz, got {sfreq:g}")
    if x.shape[-1] < sfreq:
        raise ValueError("epochs must be at least 1 s long")
    names = [NEW_TO_OLD.get(n, n) for n in ch_names]
    good = np.array([n not in {NEW_TO_OLD.get(b, b) for b in bad} for n in names])
    n_good = max(int(good.sum()), 1)

    emg_windows = _emg_windows(x, sfreq) & good[None, :, None]
    n_emg = emg_windows.sum(axis=-1)
    emg_channels = n_emg >= EMG_MIN_WINDOWS
    emg = emg_channels.sum(axis=1) >= EMG_MIN_CHANNELS

    # from the float32 samples when given them: the same extremes, half the memory read
    raw = np.asarray(epochs_uv)
    ptp = _window_ptp(raw if raw.dtype == np.float32 else x, sfreq)[:, good]  # (n_epochs, n_good, n_windows)
    large_share = (ptp >= MOVE_PTP_UV).sum(axis=1).max(axis=-1) / n_good
    extreme_share = (ptp >= MOVE_EXTREME_UV).sum(axis=1).max(axis=-1) / n_good
    muscle_share = (n_emg >= 2).sum(axis=1) / n_good
    # a jerk: muscle in the same half-second window on a quarter of the head (on 720
    # epochs of clean simulated hypsarrhythmia, every variant at full severity, seeds
    # 500-509, this excluded 2 epochs more: a generalized discharge can look alike)
    burst_share = emg_windows.sum(axis=1).max(axis=-1) / n_good
    jerk = (burst_share >= MOVE_MIN_SHARE) & (large_share >= MOVE_MIN_SHARE)
    movement = (extreme_share >= MOVE_MIN_SHARE) | jerk | (
        emg & (muscle_share >= MOVE_MIN_SHARE) & (large_share >= MOVE_MIN_SHARE)
    )

    pop_channels = _pops(x, sfreq, names, good)
    pop = pop_channels.any(axis=1)
    eye_channels, eye_samples = _eye(x, sfreq, names, good)
    eye = eye_channels.any(axis=1)

    reasons = []
    for e in range(x.shape[0]):
        parts = []
        if movement[e]:
            if extreme_share[e] >= MOVE_MIN_SHARE:
                what = f"deflections over {MOVE_EXTREME_UV:g} µV"
            elif jerk[e] and not emg[e]:
                what = f"a burst of muscle at once and deflections over {MOVE_PTP_UV:g} µV"
            else:
                what = f"muscle and deflections over {MOVE_PTP_UV:g} µV"
            parts.append(f"movement ({what} on >= {MOVE_MIN_SHARE:.0%} of channels)")
        if emg[e]:
            parts.append(f"muscle (EMG) on {_names(emg_channels[e], names)}")
        if pop[e]:
            parts.append(f"electrode pop on {_names(pop_channels[e], names)}")
        if eye[e]:
            parts.append(f"eye artifact on {_names(eye_channels[e], names)} (not excluded)")
        reasons.append("; ".join(parts))
    return ArtifactMarks(names, eye, emg, movement, pop, eye_channels, emg_channels,
                         pop_channels, reasons, eye_samples=eye_samples)  # fmt: skip


def eye_spike_mask(times_s: np.ndarray, derivations: Sequence[str], marks: ArtifactMarks,
                   starts: np.ndarray, n_times: int, sfreq: float) -> np.ndarray:  # fmt: skip
    """Spike detections that are eye artifact (see :data:`EYE_SPIKE_MARGIN_S`).

    Parameters
    ----------
    times_s : ndarray of float, shape (n_detections,)
        Detection times, in seconds from the first sample of the data the epochs were
        cut from.
    derivations : sequence of str
        Each detection's derivation, e.g. ``"Fp1-F7"`` (old temporal names).
    marks : ArtifactMarks
        From :func:`mark_artifacts` on those epochs (with ``eye_samples``).
    starts : ndarray of int, shape (n_epochs,)
        First sample of each epoch in that data.
    n_times : int
        Samples per epoch.
    sfreq : float
        Sampling rate of that data, Hz.

    Returns
    -------
    eye : ndarray of bool, shape (n_detections,)
        True where a detection lies within :data:`EYE_SPIKE_MARGIN_S` of an eye deflection
        on one of its derivation's electrodes, in an epoch that carries it.
    """
    times = np.asarray(times_s, float)
    out = np.zeros(times.size, dtype=bool)
    if marks.eye_samples is None or not times.size or not marks.eye.any():
        return out
    row = {n: i for i, n in enumerate(marks.ch_names)}
    margin = int(round(EYE_SPIKE_MARGIN_S * sfreq))
    # per epoch and channel, samples within the margin of an eye deflection
    near = ndimage.binary_dilation(marks.eye_samples, np.ones((1, 1, 2 * margin + 1), bool)) \
        if margin else marks.eye_samples  # fmt: skip
    samples = np.round(times * sfreq).astype(int)
    starts = np.asarray(starts, int)
    for k, (s, d) in enumerate(zip(samples, derivations, strict=True)):
        e = np.searchsorted(starts, s, side="right") - 1
        if e < 0 or s - starts[e] >= n_times or not marks.eye[e]:
            continue
        chans = [row[n] for n in str(d).split("-") if n in row]
        out[k] = bool(near[e, chans, s - starts[e]].any())
    return out


def lateral_eye_spikes(times_s: np.ndarray, derivations: Sequence[str], x: np.ndarray,
                       names: Sequence[str], sfreq: float) -> np.ndarray:  # fmt: skip
    """Spike detections that are the edge of a lateral eye movement.

    Where :func:`eye_spike_mask` needs the eye detector to have found the deflection
    over the whole front of the head, this looks only at F7 and F8 at the moment of
    each detection (see :data:`LATERAL_EYE_STEP_S`, :data:`LATERAL_EYE_MIRROR`,
    :data:`LATERAL_EYE_STEP_Z`): small saccades against an awake background of 50-100
    µV escape the topographic match but still step F7 and F8 in mirror image.

    Parameters
    ----------
    times_s : ndarray of float, shape (n_detections,)
        Detection times, in seconds from the first sample of ``x``.
    derivations : sequence of str
        Each detection's derivation, e.g. ``"Fp1-F7"`` (old temporal names).
    x : ndarray, shape (n_channels, n_times)
        The referential EEG, µV, the detections were found in (after
        :func:`eegpipe.preprocess.filter_resample`), good channels only.
    names : sequence of str
        Its channel names (old temporal names).
    sfreq : float
        Its sampling rate, Hz.

    Returns
    -------
    eye : ndarray of bool, shape (n_detections,)
        True where the detection is on a derivation with an electrode in a lateral eye
        movement's field and F7 and F8 step across it as a saccade does.  All False
        when F7 or F8 is missing, or fewer than five channels are left for the average
        reference.
    """
    times = np.asarray(times_s, float)
    out = np.zeros(times.size, dtype=bool)
    names = list(names)
    if not times.size or "F7" not in names or "F8" not in names or len(names) < 5:
        return out
    h = int(round(LATERAL_EYE_STEP_S * sfreq))
    n = x.shape[1]
    if n <= 4 * h:
        return out
    pair = x[[names.index("F7"), names.index("F8")]] - x.mean(axis=0, keepdims=True)
    low = sosfiltfilt(butter_sos(4, EYE_LOWPASS_HZ, "lowpass", float(sfreq)), pair, axis=-1)
    step = low[:, 2 * h:] - low[:, :-2 * h]  # step[:, i]: change across sample i + h
    sd = stats.median_abs_deviation(step[0] - step[1], scale="normal")
    if not sd > 0:
        return out
    samples = np.round(times * sfreq).astype(int) - h
    for k, (i, d) in enumerate(zip(samples, derivations, strict=True)):
        if not 0 <= i < step.shape[1] or not set(str(d).split("-")) & _LATERAL_EYE_SITES:
            continue
        a, b = step[:, i]
        big, small = max(abs(a), abs(b)), min(abs(a), abs(b))
        out[k] = a * b < 0 and small >= LATERAL_EYE_MIRROR * big and abs(a - b) >= LATERAL_EYE_STEP_Z * sd
    return out


def _names(mask: np.ndarray, names: list[str]) -> str:
    return ", ".join(n for n, m in zip(names, mask, strict=True) if m)


def _emg_band_powers(x: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean multitaper power per Hz bin of the 30-40 Hz and 14-24 Hz bands in half-
    overlapping 0.5-s windows, each shape (n_epochs, n_channels, n_windows)."""
    n_win = int(round(EMG_WINDOW_S * sfreq))
    seg = sliding_window_view(x, n_win, axis=-1)[..., :: max(n_win // 2, 1), :]
    # multitaper (3 Slepian tapers): a steadier per-window spectrum than one Hann taper;
    # only the bins of the two bands are needed, so one product with their tapered DFT
    # (mean removal folded in) replaces full FFTs
    dft, n_hi = _emg_dft(n_win, float(sfreq))
    # mean power over tapers and bins (real and imaginary parts summed) of each band, a
    # block of the first axis (epochs) at a time: its windows copied once, and they and
    # their products stay in the CPU's cache (each row's product and sums are the same as
    # in one large product)
    n_w = seg.shape[-2]
    per = n_w * int(np.prod(seg.shape[1:-2], dtype=np.int64))
    p_hi, p_ref = np.empty(seg.shape[0] * per), np.empty(seg.shape[0] * per)
    step = max(1, _EMG_BLOCK_WINDOWS // max(per, 1))
    for i0 in range(0, seg.shape[0], step):
        coef = np.ascontiguousarray(seg[i0 : i0 + step]).reshape(-1, n_win) @ dft
        np.square(coef, out=coef)
        rows = slice(i0 * per, i0 * per + coef.shape[0])
        p_hi[rows] = coef[:, :n_hi].sum(axis=1) / (n_hi / 2)
        p_ref[rows] = coef[:, n_hi:].sum(axis=1) / ((coef.shape[1] - n_hi) / 2)
    return p_hi.reshape(seg.shape[:-1]), p_ref.reshape(seg.shape[:-1])


def _emg_windows(x: np.ndarray, sfreq: float) -> np.ndarray:
    """Windows of muscle, shape (n_epochs, n_channels, n_windows).

    A window counts when its 30-40 Hz RMS exceeds EMG_MIN_UV, its per-Hz power ratio
    (30-40 over 14-24 Hz) exceeds EMG_FLATNESS, and either its 30-40 Hz power is
    EMG_BURST_RISE times the channel's median window in the epoch (a burst) or the
    channel's spectrum over the whole epoch is muscle-like (EMG_MIN_UV and
    EMG_TONIC_FLATNESS: tonic muscle). A steady background near the thresholds crosses
    them in single windows by chance; it neither bursts nor is flat over 10 s.
    """
    p_hi, p_ref = _emg_band_powers(x, sfreq)
    flat_strong = _flat_and_strong(p_hi, p_ref, sfreq)
    tonic = _flat_and_strong(p_hi.mean(axis=-1, keepdims=True), p_ref.mean(axis=-1, keepdims=True),
                             sfreq, EMG_TONIC_FLATNESS)  # fmt: skip
    burst = p_hi >= EMG_BURST_RISE * np.median(p_hi, axis=-1, keepdims=True)
    return flat_strong & (burst | tonic)


def _flat_and_strong(p_hi: np.ndarray, p_ref: np.ndarray, sfreq: float, flatness: float = EMG_FLATNESS) -> np.ndarray:
    """Band powers per Hz (tapered-DFT units) that are muscle-like: 30-40 Hz RMS of at
    least EMG_MIN_UV and a per-Hz ratio to 14-24 Hz of at least ``flatness``."""
    # one-sided PSD (µV²/Hz) times the bandwidth: band RMS in µV
    rms_hi = np.sqrt(p_hi * 2.0 / sfreq * np.ptp(EMG_BAND_HZ))  # DPSS tapers: unit energy
    return (rms_hi >= EMG_MIN_UV) & (p_hi >= flatness * np.maximum(p_ref, 1e-12))


@functools.lru_cache(maxsize=8)
def _emg_dft(n_win: int, sfreq: float) -> tuple[np.ndarray, int]:
    """Rows of the tapered DFT, after mean removal, that give the real and imaginary
    parts of every bin of the EMG band for each Slepian taper, then of the reference
    band: shape (n_win, n_columns); and the number of EMG-band columns."""
    freqs = np.fft.rfftfreq(n_win, 1.0 / sfreq)
    centre = np.eye(n_win) - 1.0 / n_win  # subtracts each window's mean
    tapers = signal.windows.dpss(n_win, EMG_TAPER_NW, EMG_N_TAPERS)
    parts = []
    for lo, hi in (EMG_BAND_HZ, EMG_REF_BAND_HZ):
        phase = 2.0 * np.pi * np.outer(np.arange(n_win), np.flatnonzero((freqs >= lo) & (freqs <= hi))) / n_win
        parts.append([centre @ (t[:, None] * trig) for t in tapers for trig in (np.cos(phase), -np.sin(phase))])
    return np.hstack(parts[0] + parts[1]), sum(p.shape[1] for p in parts[0])


def _window_ptp(x: np.ndarray, sfreq: float, win_s: float = 1.0) -> np.ndarray:
    """Peak-to-peak in consecutive 1-s windows, shape (n_ep, n_ch, n_win), in float64 (the
    extremes of float32 samples are exact in float64, so either gives the same values)."""
    n = int(round(win_s * sfreq))
    k = x.shape[-1] // n
    w = x[..., : k * n].reshape(*x.shape[:-1], k, n)
    return np.subtract(w.max(axis=-1), w.min(axis=-1), dtype=np.float64)  # float64, as of float64 x


def _neighbour_deviation(x: np.ndarray, names: list[str], good: np.ndarray) -> np.ndarray:
    """Each channel minus the mean of its nearest good neighbours (a local Laplacian)."""
    neighbours = nearest_neighbours(names, good, POP_NEIGHBOURS)
    if neighbours is None:
        return np.zeros_like(x)
    weights = np.zeros((len(names), len(names)))
    for i, nbrs in enumerate(neighbours):
        if nbrs.size and good[i]:
            weights[i, i] = 1.0
            weights[i, nbrs] = -1.0 / nbrs.size
    return weights @ x


def _pops(x: np.ndarray, sfreq: float, names: list[str], good: np.ndarray) -> np.ndarray:
    """Channels with an electrode pop in each epoch, shape (n_ep, n_ch).

    At sample t (the last before the jump) of the deviation from the neighbours: a step
    of at least POP_STEP_UV over the next 3 samples that the neighbours do not share,
    from a level near zero, quiet before (t-5..t) and after (t+3..t+8), still displaced
    by POP_HOLD of the step for POP_HOLD_S and by POP_TAIL of it at POP_TAIL_S.
    """
    out = np.zeros(x.shape[:2], dtype=bool)
    dev = _neighbour_deviation(x, names, good)
    k_step, k_quiet = 3, 5
    k_hold = max(int(round(POP_HOLD_S * sfreq)), k_step + k_quiet)
    k_tail, half = int(round(POP_TAIL_S * sfreq)), max(int(round(0.03 * sfreq)), 1)
    n = dev.shape[-1] - k_quiet - max(k_step + k_hold, k_tail + half + 1)
    if n <= 1:
        return out
    # a step (change over k_step samples, from sample k_quiet on) large in µV; few samples
    # qualify, so the other tests run on those only
    e, c, t, step = lagged_differences(dev, k_step, k_quiet, n, POP_STEP_UV)
    keep = good[c]
    e, c, t, step = e[keep], c[keep], t[keep], step[keep]
    size, at = np.abs(step), dev[e, c, k_quiet + t]
    # leaves the neighbours' level rather than returning to it
    ok = np.abs(at) <= POP_DEPART * size
    # the electrode moves alone: its neighbours' mean hardly changes over the step
    moved = x[e, c, k_quiet + k_step + t] - x[e, c, k_quiet + t]
    ok &= np.abs(moved - step) <= POP_ALONE * size
    # an outlier among the channel's own 3-sample changes (robust SD of the epoch's row)
    rows, row_of = np.unique(e[ok] * x.shape[1] + c[ok], return_inverse=True)
    spread = 1.4826 * median_abs_lagged(dev, k_step, rows // x.shape[1], rows % x.shape[1])
    ok[ok] = size[ok] >= POP_STEP_Z * spread[row_of]
    e, c, t, step, size, at = e[ok], c[ok], t[ok], step[ok], size[ok], at[ok]
    if e.size == 0:  # few candidates left: check the time course at each
        return out
    sign = np.sign(step)

    def span(start: int, length: int) -> np.ndarray:
        """dev[t + start : t + start + length] at each candidate, shape (n_cand, length)."""
        return dev[e[:, None], c[:, None], (k_quiet + t + start)[:, None] + np.arange(length)]

    # quiet on both sides (range, so that a jump out of a spike's peak is not "quiet")
    hit = np.ptp(span(-k_quiet, k_quiet + 1), axis=-1) <= POP_QUIET * size
    hit &= np.ptp(span(k_step, k_quiet + 1), axis=-1) <= POP_QUIET * size
    # decays slowly: held for POP_HOLD_S, not yet back at POP_TAIL_S
    hit &= (span(k_step, k_hold) * sign[:, None]).min(axis=-1) - at * sign >= POP_HOLD * size
    tail = span(k_tail - half, 2 * half + 1).mean(axis=-1)
    # (towards the level before the step, and away from zero: not a return to baseline)
    hit &= np.minimum(tail - at, tail) * sign >= POP_TAIL * size
    out[e[hit], c[hit]] = True
    return out


def repair_pops(data: np.ndarray, marks: ArtifactMarks, starts: np.ndarray, n_times: int,
                sfreq: float) -> np.ndarray:  # fmt: skip
    """Replace popping electrodes by their neighbours' mean in the epochs they pop in.

    An epoch is repaired when it has a pop and no muscle or movement, at most
    :data:`POP_REPAIR_MAX_CHANNELS` electrodes pop in it, none of them among another's
    :data:`POP_NEIGHBOURS` nearest electrodes, and each has a neighbour; the others keep
    their pops and stay excluded. The replacement covers the whole epoch and fades in and
    out over :data:`POP_REPAIR_RAMP_S` outside it.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        The referential EEG (µV) the epochs of ``marks`` were cut from, as given to
        :func:`mark_artifacts`; changed in place.
    marks : ArtifactMarks
        From :func:`mark_artifacts`; its ``repaired`` is set and the reasons of the
        repaired epochs say so.
    starts : ndarray of int, shape (n_epochs,)
        First sample of each epoch in ``data``.
    n_times : int
        Samples per epoch.
    sfreq : float
        Sampling rate (Hz).

    Returns
    -------
    repaired : ndarray of bool, shape (n_epochs,)
    """
    n_ep, n_ch = marks.pop_channels.shape
    repaired = np.zeros(n_ep, dtype=bool)
    marks.repaired = repaired
    if not marks.pop.any():
        return repaired
    neighbours = nearest_neighbours(marks.ch_names, np.ones(n_ch, bool), POP_NEIGHBOURS)
    if neighbours is None:
        return repaired
    ramp = max(int(round(POP_REPAIR_RAMP_S * sfreq / 2)), 1)
    span = np.zeros(data.shape, dtype=bool)
    for e in np.flatnonzero(marks.pop & ~marks.emg & ~marks.movement):
        chans = np.flatnonzero(marks.pop_channels[e])
        if chans.size > POP_REPAIR_MAX_CHANNELS or any(
            neighbours[c].size == 0 or np.isin(neighbours[c], chans).any() for c in chans
        ):
            continue
        repaired[e] = True
        lo, hi = max(starts[e] - ramp, 0), min(starts[e] + n_times + ramp, data.shape[-1])
        span[chans, lo:hi] = True
        found = f"electrode pop on {_names(marks.pop_channels[e], marks.ch_names)}"
        marks.reasons[e] = marks.reasons[e].replace(found, f"{found} (replaced by the mean of its neighbours "
                                                           "in this epoch)")  # fmt: skip
    if not repaired.any():
        return repaired
    window = signal.windows.hann(2 * ramp + 1)
    window /= window.sum()
    chans = np.flatnonzero(span.any(axis=-1))
    fills = [data[neighbours[c]].mean(axis=0) for c in chans]  # before any channel changes
    for c, fill in zip(chans, fills, strict=True):
        weight = np.convolve(np.pad(span[c], ramp, mode="edge").astype(float), window, mode="valid")
        data[c] += (weight * (fill - data[c])).astype(data.dtype, copy=False)
    return repaired


def _eye(x: np.ndarray, sfreq: float, names: list[str], good: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channels carrying blinks or lateral eye movements, shape (n_ep, n_ch), and where,
    sample by sample, shape (n_ep, n_ch, n_t)."""
    out = np.zeros(x.shape[:2], dtype=bool)
    where = np.zeros(x.shape, dtype=bool)
    sos = butter_sos(4, EYE_LOWPASS_HZ, "lowpass", float(sfreq))
    min_len = max(int(round(EYE_MIN_S * sfreq)), 1)
    fields = ((BLINK_FIELD, EYE_BLINK_UV, False), (LATERAL_EYE_FIELD, EYE_LATERAL_UV, True))
    # judged over the front half of the head, where the eye field is: posterior slow
    # waves of sleep say nothing about the eyes
    row_sets = [np.array([i for i, n in enumerate(names)
                          if good[i] and (n in field_map or n in _EYE_ANCHORS)], dtype=int)
                for field_map, _, _ in fields]  # fmt: skip
    front = np.union1d(*row_sets)
    low = None  # each channel is low-passed once, for both templates
    for (field_map, min_uv, signed), rows in zip(fields, row_sets, strict=True):
        w = np.array([field_map.get(names[i], 0.0) for i in rows]) if rows.size else rows
        defining = np.abs(w) == 1.0
        # a lateral movement is told by F7 and F8 in mirror image, so it needs both; a
        # blink's field is one-signed and falls off backwards, so one good Fp will do
        if defining.sum() < (2 if signed else 1) or rows.size < 5:
            continue
        if low is None:
            low = sosfiltfilt(sos, x[:, front], axis=-1)
        slow = low[:, np.searchsorted(front, rows)]
        slow -= slow.mean(axis=1, keepdims=True)  # topography only: any reference
        w_c = w - w.mean()
        norm = np.linalg.norm(w_c)
        proj = np.einsum("c,ect->et", w_c, slow) / norm  # µV along the unit template
        corr = proj / np.maximum(np.linalg.norm(slow, axis=1), 1e-9)
        amp = proj / norm  # size of the eye signal at a defining channel, µV
        if signed:
            corr, amp = np.abs(corr), np.abs(amp)
        hit = _long_runs((corr >= EYE_CORR) & (amp >= min_uv), min_len)
        peak = np.where(hit, amp, 0.0).max(axis=-1)  # (n_ep,)
        carried = (np.abs(w)[None, :] * peak[:, None] >= EYE_MASK_UV) | defining[None, :]
        carried &= hit.any(axis=-1)[:, None]
        out[:, rows] |= carried
        where[:, rows] |= carried[:, :, None] & hit[:, None, :]
    return out, where


def _long_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Keep only runs of True at least ``min_len`` samples long (along the last axis)."""
    if min_len <= 1:
        return mask
    n = mask.shape[-1]
    if n < min_len:
        return np.zeros_like(mask)
    count = np.zeros((*mask.shape[:-1], n + 1), dtype=np.int32)
    np.cumsum(mask, axis=-1, out=count[..., 1:])
    starts = (count[..., min_len:] - count[..., :-min_len]) == min_len  # a run begins here
    begun = np.zeros((*mask.shape[:-1], starts.shape[-1] + 1), dtype=np.int32)
    np.cumsum(starts, axis=-1, out=begun[..., 1:])
    # sample j lies in a run when one begins within (j - min_len, j]
    i = np.arange(n)
    return begun[..., np.minimum(i, n - min_len) + 1] > begun[..., np.maximum(i - min_len + 1, 0)]
