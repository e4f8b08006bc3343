"""Sleep-wake state of each epoch, from the technician's annotations in the file.

Hypsarrhythmia is most marked in non-REM sleep and shrinks in REM sleep and on arousal
(Gibbs & Gibbs 1952); normal infant sleep is high-voltage and delta-rich where
wakefulness is not (Mytinger et al. 2018). Voltage and synchrony must therefore be
judged by state (domain.md), and a follow-up recorded awake is not comparable, feature
for feature, with a baseline recorded asleep. Clinical EEG systems let the technician
mark the state as the recording goes ("awake", "asleep", "quiet sleep", "stage N2",
"Sleep stage W" in hypnogram exports); this module reads those marks. It does not guess
the state from the EEG: in hypsarrhythmia the background that marks sleep in a normal
infant (delta, high voltage) is the disease itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

#: States an epoch can have (``"asleep"``: non-REM or unspecified sleep); ``""`` when no
#: annotation covers it.
STATES = ("awake", "asleep", "rem")
#: Annotation texts that mark wakefulness: ACNS terms (awake, eyes open/closed), AASM
#: stage W as hypnogram exports spell it ("W", "Stage W", "Sleep stage W").
AWAKE_TEXT = re.compile(r"^\s*(awake|wake(ful(ness)?)?|eyes (open|closed)|(sleep )?stage w|w)\s*\.?\s*$"
                        r"|^\s*(awake|wake)\b", re.IGNORECASE)  # fmt: skip
#: Hypnogram marks of epochs left unscored or scored as movement (Sleep-EDF: "Sleep stage ?",
#: "Movement time"): no state.
UNSCORED_TEXT = re.compile(r"stage \?|movement time|unscored", re.IGNORECASE)
#: Annotation texts that mark REM sleep, in which hypsarrhythmia shrinks or disappears
#: (Gibbs & Gibbs 1952): REM, infant active sleep, AASM stage R.
REM_TEXT = re.compile(r"^\s*(rem( sleep)?|active sleep|(sleep )?stage (r|rem))\b", re.IGNORECASE)
#: Annotation texts that mark other sleep: infant quiet sleep, AASM stages N1-N3 (and the
#: older 1-4), NREM, "asleep", "sleep", "drowsy".
ASLEEP_TEXT = re.compile(r"^\s*(asleep|sleep(ing)?|drows(y|iness)|quiet sleep|indeterminate sleep"
                         r"|nrem( sleep)?|non-rem( sleep)?|(sleep )?stage n?[1-4]|n[1-3])\b",
                         re.IGNORECASE)  # fmt: skip


def state_of_text(text: str) -> str:
    """The state an annotation text marks, or ``""`` when it marks none.

    Parameters
    ----------
    text : str
        An annotation's description.

    Returns
    -------
    state : str
        ``"awake"``, ``"asleep"``, ``"rem"`` or ``""``.

    Examples
    --------
    >>> state_of_text("Sleep stage W"), state_of_text("Quiet sleep"), state_of_text("Photic 3 Hz")
    ('awake', 'asleep', '')
    """
    if UNSCORED_TEXT.search(text):
        return ""
    if AWAKE_TEXT.search(text):
        return "awake"
    if REM_TEXT.search(text):
        return "rem"
    if ASLEEP_TEXT.search(text):
        return "asleep"
    return ""


def recording_marks(raw) -> list[tuple[float, float, str]]:
    """A loaded recording's annotations as (onset_s, duration_s, text), onsets in seconds
    from its first sample, as :func:`epoch_states` takes them.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording (``Recording.raw``).

    Returns
    -------
    marks : list of (float, float, str)
    """
    ann = raw.annotations
    return list(zip(ann.onset - raw.first_time, ann.duration, ann.description, strict=True))


def epoch_states(annotations: Iterable[tuple[float, float, str]], starts: np.ndarray, epoch_s: float,
                 end_s: float) -> np.ndarray:  # fmt: skip
    """The annotated state of each epoch.

    An annotation with a duration marks that span (hypnogram style); one without marks
    the state from its onset until the next state annotation or the end of the
    recording (how technicians mark it as they go). An epoch takes the state that covers
    at least half of it.

    Parameters
    ----------
    annotations : iterable of (onset_s, duration_s, text)
        The file's annotations, seconds from the first sample.
    starts : ndarray
        Epoch starts, seconds from the first sample.
    epoch_s : float
        Epoch length in seconds.
    end_s : float
        End of the recording, seconds from the first sample.

    Returns
    -------
    states : ndarray of str, shape (n_epochs,)
        One of :data:`STATES`, or ``""`` (not annotated).
    """
    marks = sorted((float(o), float(d), s) for o, d, t in annotations if (s := state_of_text(str(t))))
    starts = np.asarray(starts, dtype=float)
    cover = np.zeros((len(STATES), len(starts)))
    for i, (onset, dur, state) in enumerate(marks):
        if dur > 0:
            stop = onset + dur
        else:  # until the next state mark
            stop = next((o for o, _, _ in marks[i + 1 :] if o > onset), end_s)
        overlap = np.clip(np.minimum(starts + epoch_s, stop) - np.maximum(starts, onset), 0, None)
        cover[STATES.index(state)] += overlap
    out = np.full(len(starts), "", dtype=object)
    best = cover.argmax(axis=0)
    has = cover[best, np.arange(len(starts))] >= epoch_s / 2
    out[has] = np.array(STATES, dtype=object)[best[has]]
    return out.astype(str)


def common_state(pre: np.ndarray | None, post: np.ndarray | None, min_epochs: int) -> str | None:
    """The annotated state both recordings have most epochs of, if both have enough.

    Parameters
    ----------
    pre, post : ndarray of str or None
        Each recording's :func:`epoch_states` of the epochs compared (None: no state
        annotations in the file).
    min_epochs : int
        Fewest epochs of the state each recording must have.

    Returns
    -------
    state : str or None
        One of :data:`STATES`; None when either recording has no annotated state
        or no state has ``min_epochs`` epochs in both.
    """
    if pre is None or post is None:
        return None
    counts = {s: min(int(np.sum(pre == s)), int(np.sum(post == s))) for s in STATES}
    best = max(STATES, key=counts.__getitem__)
    return best if counts[best] >= min_epochs else None


def describe(states: np.ndarray | None) -> str:
    """``"asleep 18, awake 10, not annotated 2"`` epochs, or ``"no state annotations"``.

    Parameters
    ----------
    states : ndarray of str or None
        :func:`epoch_states` of a recording's compared epochs.

    Returns
    -------
    text : str
    """
    if states is None:
        return "no state annotations"
    parts = [f"{s} {int(np.sum(states == s))}" for s in STATES if np.any(states == s)]
    if np.any(states == ""):
        parts.append(f"not annotated {int(np.sum(states == ''))}")
    return ", ".join(parts)
