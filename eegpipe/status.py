"""The status of a step between two recordings of one infant: the rule and its thresholds.

``normalized``, ``improved``, ``unchanged``, ``worsened`` or ``indeterminate``, decided by
:func:`decide_status` from the two recordings' verdicts, their normalization indices
(:mod:`eegpipe.reference`) and the bootstrap intervals of the changes
(:mod:`eegpipe.compare`); the rule in words is :data:`RULE` (also in the README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from eegpipe.reference import FAMILIES, FAMILY_LABELS, MIN_CLEAN_EPOCHS

if TYPE_CHECKING:
    from eegpipe.compare import Timepoint

STATUSES = ("normalized", "improved", "unchanged", "worsened", "indeterminate")
#: Verdicts that mean hypsarrhythmia (classic or modified) is present.
ABNORMAL_VERDICTS = ("hypsarrhythmia", "modified_hypsarrhythmia")

#: An EEG counts as normalized when the verdict is ``normal`` and the overall index is at
#: least this, i.e. it lies (within rounding of the bootstrap) inside the normal reference
#: range of its age band (which reads 1).  *unverified*: chosen on simulated development
#: series (seeds 6100-6199), where every responder's normal follow-up read 1.00 and no
#: partial responder's last recording more than 0.72 (the simulator's partial responders
#: before commit c67a16e, which were lower-voltage slow activity only; today's also
#: reorganize and keep a focus, and the focus is what bars them, NORMALIZED_MAX_GRADE).
NORMALIZED_INDEX = 0.9
#: A normalized EEG also has no spike focus and no background abnormality: BASED-like
#: grade at most this (0 = normal, Mytinger et al. 2015/2021).  Epileptiform discharges
#: still present a month after ACTH predict relapse (Hayashi et al., Brain Dev 2016), so a
#: follow-up that keeps a spike focus is 'improved', never 'normalized', however normal
#: its background and index.
NORMALIZED_MAX_GRADE = 0
#: Smallest change of the overall index that counts as improvement or worsening (its
#: confidence interval must also exclude zero): three standard deviations of the change
#: between an unchanged infant's first and last recording (the smallest detectable
#: change, de Vet et al. 2006, at 99.7 % rather than the usual 95 %, since a false
#: 'improved' can delay a change of treatment).  *unverified*: the SD, 0.10, is from 53
#: simulated non-responder series (seeds 6100-6199 and the spent 7200-7259), whose
#: sleep-wake state, age and electrode gain change between recordings; at 1.96 SD (0.2)
#: 3 of the 53 read 'improved'.
MIN_INDEX_CHANGE = 0.3
#: Rise of the spikes-and-multifocality index that counts as resolution of the epileptiform
#: activity (its confidence interval must also exclude zero): an improvement even while
#: the background stays abnormal (electroclinical response is judged on the discharges
#: first; BASED; Hayashi 2016).  *unverified*: chosen on simulated development series; on
#: 160 of them (seeds 6100-6199, 7200-7259) every partial responder whose baseline had
#: frequent spikes rose by >= 0.54 and no non-responder by more than 0.23 (partial
#: responders as simulated before commit c67a16e).
SPIKE_RESOLUTION = 0.5
#: Confidence level of the bootstrap intervals the rule reads.
CI_LEVEL = 0.95

RULE = (
    f"'indeterminate' if either recording has no verdict or fewer than {MIN_CLEAN_EPOCHS} clean epochs; "
    f"else 'normalized' if the later recording is normal (verdict normal, BASED-like grade "
    f"{NORMALIZED_MAX_GRADE}: no spike focus, and overall index >= {NORMALIZED_INDEX}) and the earlier was not; "
    f"'unchanged' if both are normal; 'improved' if the spikes-and-multifocality index rose by >= "
    f"{SPIKE_RESOLUTION} with its {CI_LEVEL:.0%} interval above zero, or the verdict went from hypsarrhythmia "
    f"(classic or modified) to normal while a spike focus remains or the index stays below "
    f"{NORMALIZED_INDEX}; 'worsened' if the earlier recording was normal and the later is not, or the overall "
    f"index fell by >= {MIN_INDEX_CHANGE} with a family other than amplitude falling by >= {MIN_INDEX_CHANGE} "
    f"too, the intervals below zero; 'improved' if the index rose by >= {MIN_INDEX_CHANGE} with a family "
    f"other than amplitude rising by >= {MIN_INDEX_CHANGE} too, the intervals above zero; otherwise "
    f"'unchanged' (a change carried by amplitude alone is not counted: voltage follows sleep-wake state, age "
    f"and electrodes). Checked in this order, on the epochs of the annotated sleep-wake state both "
    f"recordings share most when their technician's state annotations differ and that state has "
    f"{MIN_CLEAN_EPOCHS} clean epochs in each, else on all clean epochs."
)


def _ci(x: np.ndarray) -> tuple[float, float]:
    """Central :data:`CI_LEVEL` interval of bootstrap values (non-finite ones dropped)."""
    a = (1 - CI_LEVEL) / 2
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if not x.size:
        return float("nan"), float("nan")
    lo, hi = np.quantile(x, [a, 1 - a])
    return float(lo), float(hi)


def _moved_beyond_amplitude(pre: Timepoint, post: Timepoint, sign: float) -> list[str]:
    """Families other than amplitude whose index moved by >= MIN_INDEX_CHANGE in the ``sign`` direction.

    Amplitude alone cannot show a change of the disease: most normal sleeping infants
    reach 200-400 µV (Mytinger et al. 2018), hypsarrhythmia shrinks in REM sleep and on
    arousal (Gibbs & Gibbs 1952), and voltage varies with age and electrode impedance, so
    a recording made awake after one made asleep is lower in voltage with nothing else
    changed.  An index change therefore counts only when another family (spikes, spectral
    shape, synchrony, asymmetry, attenuation) moved the same way by at least
    :data:`MIN_INDEX_CHANGE`, its interval excluding zero.
    """
    fam_pre, fam_post = pre.boot["index"]["families"], post.boot["index"]["families"]
    moved = []
    for fam in FAMILIES:
        if fam == "amplitude":
            continue
        d = sign * (post.index["families"][fam] - pre.index["families"][fam])
        lo, _ = _ci(sign * (fam_post[fam] - fam_pre[fam]))
        if np.isfinite(d) and d >= MIN_INDEX_CHANGE and lo > 0:
            moved.append(FAMILY_LABELS[fam])
    return moved


def _discharges_remain(tp: Timepoint) -> str:
    """Why a recording still has epileptiform discharges (grade above
    :data:`NORMALIZED_MAX_GRADE`), or an empty string."""
    grade = tp.score.based_grade
    if grade is None or grade <= NORMALIZED_MAX_GRADE or not tp.comparable:
        return ""
    return f"epileptiform discharges remain (grade {grade}: {'; '.join(tp.score.reasons[:1])})"


def decide_status(pre: Timepoint, post: Timepoint, change: dict) -> tuple[str, list[str]]:
    """Status of a step from an earlier to a later recording (the rule in :data:`RULE`).

    Parameters
    ----------
    pre, post : Timepoint
        Earlier and later recording.
    change : dict
        Overall index change with ``value``, ``ci_low``, ``ci_high``.

    Returns
    -------
    status : str
        One of :data:`STATUSES`.
    reasons : list of str
    """
    for tp, when in ((pre, "earlier"), (post, "later")):
        if not tp.comparable:
            why = tp.score.error or "; ".join(tp.score.reasons[:1]) or \
                f"{len(tp.table)} clean epoch(s) (< {MIN_CLEAN_EPOCHS})"  # fmt: skip
            return "indeterminate", [f"the {when} recording cannot be compared: {why}"]
    v, lo, hi = change["value"], change["ci_low"], change["ci_high"]
    ci = f"{v:+.2f} ({CI_LEVEL:.0%} CI {lo:+.2f} to {hi:+.2f})"
    desc = [f"overall index {pre.index['overall']:.2f} -> {post.index['overall']:.2f}, change {ci}",
            f"verdict {pre.score.verdict} (grade {pre.score.based_grade}) -> {post.score.verdict} "
            f"(grade {post.score.based_grade})"]  # fmt: skip
    if post.is_normal and not pre.is_normal:
        return "normalized", [f"the later EEG is normal: verdict normal, no spike focus (grade "
                              f"{post.score.based_grade}) and index "
                              f"{post.index['overall']:.2f} >= {NORMALIZED_INDEX}", *desc]  # fmt: skip
    if pre.is_normal and post.is_normal:
        return "unchanged", ["both recordings are normal", *desc]
    e0, e1 = pre.index["families"]["spikes"], post.index["families"]["spikes"]
    elo, ehi = _ci(post.boot["index"]["families"]["spikes"] - pre.boot["index"]["families"]["spikes"])
    remain = _discharges_remain(post)
    if not pre.is_normal and np.isfinite(e1 - e0) and e1 - e0 >= SPIKE_RESOLUTION and elo > 0:
        # judged on the discharges first (BASED; Hayashi 2016), whatever the background does
        still = f"but {remain}" if remain else "while the EEG is still abnormal"
        return "improved", [f"the epileptiform activity receded: spikes-and-multifocality index {e0:.2f} -> "
                            f"{e1:.2f}, change {e1 - e0:+.2f} ({CI_LEVEL:.0%} CI {elo:+.2f} to {ehi:+.2f}), "
                            f"{still}", *desc]  # fmt: skip
    if post.score.verdict == "normal" and pre.score.verdict in ABNORMAL_VERDICTS:
        left = [remain] if remain else []
        if post.index["overall"] < NORMALIZED_INDEX:
            left.append(f"the index {post.index['overall']:.2f} is still below the normal range ({NORMALIZED_INDEX})")
        return "improved", [f"the scorer no longer finds hypsarrhythmia (verdict {pre.score.verdict} -> normal), "
                            f"but {' and '.join(left)}", *desc]  # fmt: skip
    became_abnormal = pre.is_normal and not post.is_normal
    if hi < 0 and (v <= -MIN_INDEX_CHANGE or became_abnormal):
        moved = _moved_beyond_amplitude(pre, post, -1.0)
        if became_abnormal or moved:
            what = "the earlier EEG was normal and the later is not" if became_abnormal else \
                f"the index fell by >= {MIN_INDEX_CHANGE} ({', '.join(moved)} included)"  # fmt: skip
            return "worsened", [what, *desc]
    amplitude_only = False
    if v >= MIN_INDEX_CHANGE and lo > 0:
        moved = _moved_beyond_amplitude(pre, post, 1.0)
        if moved:
            return "improved", [f"the index rose by >= {MIN_INDEX_CHANGE} and its interval excludes zero "
                                f"({', '.join(moved)} included)", *desc]  # fmt: skip
        amplitude_only = True
    if amplitude_only or (hi < 0 and v <= -MIN_INDEX_CHANGE):
        return "unchanged", [f"the index changed by {v:+.2f} but no family other than amplitude moved by >= "
                             f"{MIN_INDEX_CHANGE}: voltage alone follows sleep-wake state, age and electrodes, "
                             f"not only the disease", *desc]  # fmt: skip
    return "unchanged", [f"no change of the index by >= {MIN_INDEX_CHANGE} with an interval excluding zero",
                         *desc]  # fmt: skip
