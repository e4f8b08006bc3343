"""Transparent rule-based scoring: a BASED-like grade, a verdict, and modified subtypes.

Input is the recording-level summary computed by :mod:`eegpipe.pipeline` (robust
aggregates over the clean epochs); every rule reads a few named measures and compares
them with a named constant, so each verdict can be traced to the numbers behind it.

Grades follow the BASED score (Mytinger et al., Epilepsy Res 2015; revised 2021,
Epilepsy Res 173:106631) as summarised in domain.md:

==== ==========================================================================
0    normal
1    definite non-epileptiform abnormality
2    fewer than 3 spike foci, no channel of abnormally high amplitude
3    >=3 foci in <50% of 1-s bins and no high-amplitude channel, or <3 foci with a
     high-amplitude channel
4    >=3 foci in <50% of bins with a high-amplitude channel, or paroxysmal voltage
     attenuations (hypsarrhythmia range)
5    >=3 spike foci in >=50% of 1-s bins
==== ==========================================================================

scored, as BASED prescribes, on the most epileptiform 5 minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: BASED: grade 5 needs >=3 spike foci in >=50% of the 1-s bins of the scored window.
BASED_FOCI = 3
BASED_BIN_SHARE = 0.5
#: BASED scores the most epileptiform 5 minutes (20 pages of 15 s).
BASED_WINDOW_S = 300.0

#: A derivation is of "abnormally high amplitude" when its background peak-to-peak is
#: at least this (traditional 200 µV; the 2021 cut-off is *unverified*, domain.md).
HIGH_AMPLITUDE_UV = 200.0

#: A scalp region counts as a spike focus when it carries spikes at least this often.
#: *unverified*, chosen on simulated development data: a few sharp transients per minute
#: in a region are within what benign sleep transients (vertex waves) and residual
#: artifacts produce in normal infants.
FOCUS_MIN_RATE_PER_MIN = 4.0

#: Below this many minutes of clean EEG no verdict is given (indeterminate).
MIN_USABLE_S = 30.0

#: Paroxysmal attenuation episodes per minute that make the grade 4 and the
#: `attenuation` subtype.  *unverified*, chosen on simulated development data.
ATTENUATION_RATE_PER_MIN = 0.75

#: Modified-hypsarrhythmia subtype thresholds (*unverified*, chosen on simulated
#: development data from the physiology in Hrachovy, Frost & Kellaway 1984):
#: interhemispheric delta correlation (synchronized); mean |log| left/right amplitude
#: ratio (asymmetric; 0.3 is a 1.35-fold difference); share of spike events in the
#: most frequent region (consistent focus); spike events per minute below which
#: high-voltage slowing counts as "little spike activity" (slow_no_spikes).
SYNCHRONY_CORRELATION = 0.55
ASYMMETRY_LOG_RATIO = 0.3
FOCUS_SHARE = 0.45
FEW_SPIKES_PER_MIN = 12.0

#: Diffuse high-voltage slowing: the median derivation (not just the posterior ones,
#: where normal sleep slow waves are, Mytinger 2018) exceeds this background
#: peak-to-peak, and delta holds this share of power.  *unverified*.
DIFFUSE_SLOW_UV = 130.0
DIFFUSE_DELTA_SHARE = 0.6
#: Normal sleep slow waves are bilaterally synchronous; hypsarrhythmia is not.
DISORGANIZED_CORRELATION = 0.35

#: Spike events per minute far above what benign transients and residual artifacts give
#: in normal infants (at most ~13/min on the development data); at BASED grade 3 this is
#: hypsarrhythmia range, whether the spikes come from one or two foci over high voltage
#: (Hrachovy 1984, "consistent focus") or from many foci at lower voltage (REM sleep,
#: arousal).  *unverified*.
FREQUENT_SPIKES_PER_MIN = 30.0

#: Hypsarrhythmia is a high-voltage background (200-500 µV, domain.md); even shrunk in REM
#: sleep it stays above the 50-100 µV of normal awake infant EEG.  Frequent spikes over a
#: background below this (median derivation, peak to peak) are not hypsarrhythmia: e.g.
#: the sharp burst onsets of a preterm neonate's discontinuous tracé (real_edf).
#: *unverified*.
HYPS_MIN_BACKGROUND_UV = 75.0

VERDICTS = ("normal", "hypsarrhythmia", "modified_hypsarrhythmia", "indeterminate")


@dataclass
class Verdict:
    """The scoring result for one recording.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`.
    based_grade : int or None
        0-5, ``None`` when indeterminate.
    subtypes : list of str
        Modified variants found.
    probability : float
        Confidence (0-1) that the recording is hypsarrhythmia or modified.
    reasons : list of str
        Plain-English account of each rule that fired, with its numbers.
    measures : dict
        The measures the rules read.
    """

    verdict: str
    based_grade: int | None
    subtypes: list[str] = field(default_factory=list)
    probability: float = 0.0
    reasons: list[str] = field(default_factory=list)
    measures: dict = field(default_factory=dict)


def based_grade(m: dict) -> tuple[int, list[str]]:
    """BASED-like grade from the measures of the most epileptiform 5 minutes.

    Parameters
    ----------
    m : dict
        Needs ``n_foci``, ``foci_bin_share``, ``n_high_amplitude``,
        ``attenuation_per_min``, ``spike_events_per_min``, ``abnormal_background``.

    Returns
    -------
    grade : int
        0-5.
    reasons : list of str
        Why.
    """
    foci, share, high = m["n_foci"], m["foci_bin_share"], m["n_high_amplitude"] > 0
    hi_txt = f"{m['n_high_amplitude']} derivation(s) >= {HIGH_AMPLITUDE_UV:.0f} µV"
    if foci >= BASED_FOCI and share >= BASED_BIN_SHARE:
        return 5, [f">= {BASED_FOCI} spike foci in {share:.0%} of 1-s bins (>= 50%)"]
    paroxysmal = m["attenuation_per_min"] >= ATTENUATION_RATE_PER_MIN and \
        m["spike_events_per_min"] >= FEW_SPIKES_PER_MIN  # fmt: skip
    if foci >= BASED_FOCI and high:
        return 4, [f"{foci} spike foci (in {share:.0%} of 1-s bins) with {hi_txt}"]
    if paroxysmal:
        return 4, [f"paroxysmal voltage attenuations, {m['attenuation_per_min']:.1f}/min, "
                   "with spikes"]  # fmt: skip
    if foci >= BASED_FOCI:
        return 3, [f"{foci} spike foci in {share:.0%} of 1-s bins, no high-amplitude channel"]
    if foci > 0 and high:
        return 3, [f"{foci} spike focus/foci with {hi_txt}"]
    if foci > 0:
        return 2, [f"{foci} spike focus/foci, no high-amplitude channel"]
    if m["abnormal_background"]:
        return 1, ["no spike focus; non-epileptiform background abnormality: "
                   + m["abnormal_background"]]  # fmt: skip
    return 0, ["no spike focus and no background abnormality"]


def _diffuse_slowing(m: dict) -> str:
    """Diffuse, disorganized high-voltage slowing (not the posterior, synchronous slow
    waves of normal sleep); empty string when absent."""
    if m["median_ptp_uv"] >= DIFFUSE_SLOW_UV and m["rel_delta"] >= DIFFUSE_DELTA_SHARE \
            and m["interhemispheric_correlation"] < DISORGANIZED_CORRELATION:  # fmt: skip
        return (f"diffuse high-voltage slowing (median derivation {m['median_ptp_uv']:.0f} µV, "
                f"delta {m['rel_delta']:.0%} of power, interhemispheric correlation "
                f"{m['interhemispheric_correlation']:.2f})")  # fmt: skip
    return ""


def subtypes_present(m: dict) -> tuple[list[str], list[str]]:
    """Modified-hypsarrhythmia variants whose criteria are met.

    Parameters
    ----------
    m : dict
        Recording measures (see :func:`decide`).

    Returns
    -------
    subtypes : list of str
    reasons : list of str
    """
    out, why = [], []
    if m["interhemispheric_correlation"] >= SYNCHRONY_CORRELATION:
        out.append("synchronized")
        why.append(f"synchronized: interhemispheric delta correlation "
                   f"{m['interhemispheric_correlation']:.2f} >= {SYNCHRONY_CORRELATION}")  # fmt: skip
    if abs(m["asymmetry"]) >= ASYMMETRY_LOG_RATIO:
        side = "left" if m["asymmetry"] > 0 else "right"
        out.append("asymmetric")
        why.append(f"asymmetric: {side} hemisphere larger, |log ratio| {abs(m['asymmetry']):.2f}"
                   f" >= {ASYMMETRY_LOG_RATIO}")  # fmt: skip
    if m["spike_events_per_min"] >= FEW_SPIKES_PER_MIN and m["focus_share"] >= FOCUS_SHARE:
        out.append("consistent_focus")
        why.append(f"consistent focus: {m['focus_share']:.0%} of spike events in "
                   f"{m['focus_region']}")  # fmt: skip
    if m["attenuation_per_min"] >= ATTENUATION_RATE_PER_MIN:
        out.append("attenuation")
        why.append(f"attenuation episodes {m['attenuation_per_min']:.1f}/min >= "
                   f"{ATTENUATION_RATE_PER_MIN}")  # fmt: skip
    if m["spike_events_per_min"] < FEW_SPIKES_PER_MIN and _diffuse_slowing(m):
        out.append("slow_no_spikes")
        why.append(f"slow with little spike activity: {m['spike_events_per_min']:.1f} spike "
                   f"events/min < {FEW_SPIKES_PER_MIN}")  # fmt: skip
    return out, why


def _probability(grade: int, m: dict) -> float:
    """Rule-based confidence: a logistic of the grade and the strongest evidence.

    Not a calibrated probability; the trained model's replaces it where available.
    """
    z = -4.0 + 1.3 * grade + 0.8 * math.tanh(m["spike_events_per_min"] / 60.0)
    z += 1.5 * bool(_diffuse_slowing(m))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def decide(m: dict) -> Verdict:
    """Grade, verdict and subtypes from a recording's measures.

    Parameters
    ----------
    m : dict
        Recording measures: ``usable_s``, ``n_foci``, ``foci_bin_share``,
        ``n_high_amplitude``, ``attenuation_per_min``, ``spike_events_per_min``,
        ``median_ptp_uv``, ``rel_delta``, ``interhemispheric_correlation``,
        ``asymmetry``, ``focus_share``, ``focus_region``.

    Returns
    -------
    verdict : Verdict
    """
    if m["usable_s"] < MIN_USABLE_S:
        return Verdict("indeterminate", None, [], float("nan"),
                       [f"only {m['usable_s']:.0f} s of clean EEG (< {MIN_USABLE_S:.0f} s)"],
                       m)  # fmt: skip
    m = dict(m)
    m["abnormal_background"] = _diffuse_slowing(m)
    grade, reasons = based_grade(m)
    hyps_range = grade >= 4 or (grade >= 1 and bool(m["abnormal_background"])
                                and m["spike_events_per_min"] < FEW_SPIKES_PER_MIN)  # fmt: skip
    if grade == 3 and m["spike_events_per_min"] >= FREQUENT_SPIKES_PER_MIN \
            and m["median_ptp_uv"] >= HYPS_MIN_BACKGROUND_UV:
        # grade 3 is either multifocal spikes without high voltage (hypsarrhythmia shrinks
        # in REM sleep and on arousal, Gibbs & Gibbs 1952) or few foci over high voltage
        # (the consistent-focus variant); with spikes this frequent both are encephalopathic
        hyps_range = True
        reasons.append(f"frequent spikes, {m['spike_events_per_min']:.0f} events/min >= "
                       f"{FREQUENT_SPIKES_PER_MIN:.0f}, at grade 3")
    if not hyps_range:
        return Verdict("normal", grade, [], _probability(grade, m), reasons, m)
    subtypes, why = subtypes_present(m)
    verdict = "modified_hypsarrhythmia" if subtypes else "hypsarrhythmia"
    return Verdict(verdict, grade, subtypes, _probability(grade, m), reasons + why, m)
