"""Reference values the simulator draws from, each with where it comes from.

Figures marked *unverified* are plausible choices made for the simulator, not values
taken from a study; they are kept here, named, so a reviewer can challenge each one.
"""

from __future__ import annotations

import numpy as np

LABELS: tuple[str, ...] = ("normal", "hypsarrhythmia", "modified_hypsarrhythmia")

#: Modified hypsarrhythmia variants, Hrachovy, Frost & Kellaway, Epilepsia 1984.
SUBTYPES: tuple[str, ...] = (
    "synchronized",
    "asymmetric",
    "consistent_focus",
    "attenuation",
    "slow_no_spikes",
)

#: Posterior dominant rhythm by age (months -> Hz): 3-4 Hz at 4 months, ~5 Hz at 5-6
#: months, 6-7 Hz at 12 months, ~8 Hz by 3 years (domain.md, textbook values).
PDR_AGE_MONTHS = (3.0, 4.0, 6.0, 12.0, 24.0, 36.0)
PDR_FREQ_HZ = (3.0, 3.5, 5.0, 6.5, 7.3, 8.0)

#: Aperiodic exponent at 3 and 24 months.  The exponent flattens with age through
#: infancy (Schaworonkow & Voytek 2021); the end values are *unverified*.
APERIODIC_EXPONENT_3M = 2.4
APERIODIC_EXPONENT_24M = 1.9

#: Awake background amplitude, commonly 50-100 µV peak to peak (domain.md, textbook).
AWAKE_PTP_UV = (50.0, 100.0)

#: Posterior slow waves of normal stage II sleep, 3-18 months, peak to peak: <200 µV in
#: 17%, 200-299 in 49%, 300-399 in 30%, >=400 in 4% (Mytinger et al., J Clin
#: Neurophysiol 2018).  Bins and probabilities for sampling.
NORMAL_SLEEP_PTP_BINS_UV = ((120.0, 200.0), (200.0, 300.0), (300.0, 400.0), (400.0, 480.0))
NORMAL_SLEEP_PTP_PROBS = (0.17, 0.49, 0.30, 0.04)

#: Between-infant spread of overall voltage (skull thickness, head size, electrode
#: impedance), as the SD of a log-normal gain on all brain activity.  *unverified*: chosen
#: so the 5th-95th percentile gain is about 0.66-1.5.
SUBJECT_GAIN_LOG_SD = 0.25
#: Session-to-session spread of one infant's overall voltage (electrode placement and
#: impedance, head growth between recordings), as the SD of a log-normal factor on the
#: infant's own gain.  *unverified*: chosen well below the between-infant spread, since
#: skull and head size change little over the months of a treatment series.
SESSION_GAIN_LOG_SD = 0.1

#: Hypsarrhythmia: 200-500 µV, sometimes more (domain.md).
HYPS_PTP_UV = (200.0, 500.0)
#: Severity of an abnormal recording is drawn from this range.  The mildest (0.25) still
#: has a disorganized, asynchronous background above ~275 µV with spikes; below it the
#: slow waves fall inside the normal sleeping range (most normal infants reach 200-300 µV,
#: Mytinger et al. 2018) and an EEG labelled abnormal could not be told from a normal one.
SEVERITY_RANGE = (0.25, 1.0)

#: Spikes last 20-70 ms and sharp waves 70-200 ms (domain.md).
SPIKE_DURATION_S = (0.020, 0.070)
#: The range spikes are drawn from: the lower third of 20-70 ms is rare in scalp EEG of
#: infants, whose spikes are broad (*unverified*); 30 ms keeps needles rare.
SPIKE_DRAW_S = (0.030, 0.070)
SHARP_DURATION_S = (0.070, 0.200)

#: Sleep spindles 12-14 Hz, central, 1-2 s, from about 2 months; vertex waves from about
#: 5 months (domain.md).
SPINDLE_FREQ_HZ = (12.0, 14.0)
SPINDLE_DURATION_S = (1.0, 2.0)
VERTEX_WAVE_MIN_AGE_MONTHS = 5.0
#: Spindles per minute of NREM sleep in a normal infant.  *unverified*.
NORMAL_SPINDLE_RATE_PER_MIN = (3.0, 8.0)

#: The normal background the simulator draws (and a partial responder's returns toward).
#: Normal sleep slow waves are bilaterally synchronous (the coupling of the two
#: hemispheres' slow activity) and steadier than hypsarrhythmia's; the posterior dominant
#: rhythm appears from about 3 months (domain.md).  Coupling, envelope SD and PDR RMS are
#: *unverified* simulator settings.
NORMAL_DELTA_COUPLING = (0.6, 0.85)
NORMAL_DELTA_ENVELOPE_SD = 0.35
NORMAL_PDR_RMS_UV = (8.0, 20.0)
PDR_MIN_AGE_MONTHS = 3.0

#: Spikes and sharp waves per minute (in NREM sleep; fewer awake and in REM, as
#: ``HYPS_STATE_FACTOR``) from the one focus a partial responder keeps after hypsarrhythmia
#: resolves (focal discharges after ACTH: Hayashi et al. 2016).  *unverified*: "occasional
#: to frequent" focal discharges, well below hypsarrhythmia's 40-200 per minute.
RESIDUAL_FOCUS_RATE_PER_MIN = (5.0, 20.0)

#: Share of B12-deficient infants who develop involuntary movements (tremor, myoclonus)
#: during cyanocobalamin treatment: 32% (the 19-infant series in domain.md).
B12_INVOLUNTARY_MOVEMENT_RATE = 0.32

#: Hypsarrhythmia is most marked in non-REM sleep, shrinks or disappears in REM sleep
#: and partly on arousal (Gibbs & Gibbs 1952).  Multipliers of its amplitude and spike
#: rate by state; the values are *unverified*.
HYPS_STATE_FACTOR = {"nrem": 1.0, "awake": 0.75, "rem": 0.45}

#: A wave's peak-to-peak amplitude is about this many times the RMS of the band-limited
#: background it belongs to (Gaussian narrow-band noise: mean crest-to-trough ~ 2.5-3 RMS,
#: large waves ~ 4 RMS; measured on the simulator's own delta in the tests).
PTP_PER_RMS = 3.5

SAMPLING_RATES_HZ = (200, 250, 256, 500, 512)
SAMPLING_RATE_PROBS = (0.2, 0.2, 0.3, 0.15, 0.15)

#: Channel-label styles of clinical exports (issue 2): plain, TUH/Natus style,
#: upper-case with -Ref, linked-ear reference.
CHANNEL_STYLES: tuple[str, ...] = ("plain", "eeg_ref", "upper_ref", "eeg_le")


def pdr_frequency(age_months: float) -> float:
    """Posterior dominant rhythm frequency in Hz expected at an age in months.

    Parameters
    ----------
    age_months : float
        Age in months.

    Returns
    -------
    freq : float
        Frequency in Hz, interpolated from :data:`PDR_FREQ_HZ`.
    """
    return float(np.interp(age_months, PDR_AGE_MONTHS, PDR_FREQ_HZ))


def aperiodic_exponent(age_months: float) -> float:
    """Expected aperiodic (1/f) exponent at an age in months (linear in age).

    Parameters
    ----------
    age_months : float
        Age in months.

    Returns
    -------
    exponent : float
        Exponent of the power spectrum's fall-off.
    """
    frac = np.clip((age_months - 3.0) / 21.0, 0.0, 1.0)
    return float(APERIODIC_EXPONENT_3M + frac * (APERIODIC_EXPONENT_24M - APERIODIC_EXPONENT_3M))


def format_channel(name: str, style: str) -> str:
    """Label a 10-20 electrode the way a given clinical export would.

    Parameters
    ----------
    name : str
        Standard name, e.g. ``"Fp1"``.
    style : str
        One of :data:`CHANNEL_STYLES`.

    Returns
    -------
    label : str
        E.g. ``"Fp1"``, ``"EEG Fp1-REF"``, ``"FP1-Ref"`` or ``"EEG FP1-LE"``.
    """
    if style == "plain":
        return name
    if style == "eeg_ref":
        return f"EEG {name}-REF"
    if style == "upper_ref":
        return f"{name.upper()}-Ref"
    if style == "eeg_le":
        return f"EEG {name.upper()}-LE"
    raise ValueError(f"Unknown channel style {style!r}; allowed: {', '.join(CHANNEL_STYLES)}")


#: Labels of the auxiliary channels in each style: ECG, EOG, photic stimulator.
AUX_LABELS: dict[str, dict[str, str]] = {
    "plain": {"ecg": "ECG", "eog": "EOG", "photic": "Photic"},
    "eeg_ref": {"ecg": "EEG EKG1-REF", "eog": "EEG LOC-REF", "photic": "PHOTIC-REF"},
    "upper_ref": {"ecg": "ECG1-Ref", "eog": "EOG1-Ref", "photic": "PHOTIC-Ref"},
    "eeg_le": {"ecg": "ECG EKG", "eog": "EOG LOC-LE", "photic": "Photic"},
}

FIRST_NAMES = ("Aino", "Mateo", "Leila", "Oskar", "Priya", "Tomas", "Yusuf", "Greta", "Ilse")
LAST_NAMES = ("Korhonen", "Ramirez", "Haddad", "Lindqvist", "Sharma", "Novak", "Demir", "Berg")
