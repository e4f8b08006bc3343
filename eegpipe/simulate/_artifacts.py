"""Non-cerebral signals: artifacts, a bad electrode, and the auxiliary channels.

Artifacts appear in normal and abnormal recordings alike, at rates drawn per file, so
that "messy" is not a property of one class.  Each kind is drawn from its physiology:
where on the scalp it shows, its polarity, shape, frequency content and amplitude.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from eegpipe.simulate import _waveforms as W
from eegpipe.simulate._plan import Event, _poisson_times

ARTIFACT_KINDS: tuple[str, ...] = (
    "blink", "eye_movement", "emg", "movement", "electrode_pop", "drift",
    "line_noise", "bad_channel", "tremor", "myoclonic_jerk",
)  # fmt: skip

#: Share of a blink's frontopolar amplitude seen at other electrodes (eye is a dipole
#: in front of Fp1/Fp2; the field falls off backwards).  *unverified*, typical.
_BLINK_FIELD = {"Fp1": 1.0, "Fp2": 1.0, "Fz": 0.4, "F3": 0.35, "F4": 0.35, "F7": 0.3,
                "F8": 0.3, "C3": 0.1, "Cz": 0.1, "C4": 0.1}  # fmt: skip
_LATERAL_EYE = {"F7": 1.0, "F8": -1.0, "Fp1": 0.35, "Fp2": -0.35, "T3": 0.25, "T4": -0.25,
                "T7": 0.25, "T8": -0.25}  # fmt: skip
_MUSCLE_SITES = {"left": ("F7", "T3", "T7", "T5", "P7", "Fp1"),
                 "right": ("F8", "T4", "T8", "T6", "P8", "Fp2")}  # fmt: skip


def _rows(names: list[str], wanted) -> list[int]:
    return [names.index(n) for n in wanted if n in names]


def _active_states(states, kinds: set[str]) -> list:
    return [s for s in states if s[2] in kinds]


def sample_artifacts(rng, plan_kw: dict, which, involuntary: float | None, keep: str | None = None):
    """Draw the artifact schedule, the bad channel, auxiliary channels and annotations.

    Parameters
    ----------
    rng : numpy.random.Generator
        The plan's random stream.
    plan_kw : dict
        ``states``, ``scalp_names``, ``duration_s`` of the plan.
    which : str or list of str
        ``"random"`` (every kind, rates drawn per file), ``"none"``, or a list of kinds
        from :data:`ARTIFACT_KINDS` that are then all present.
    involuntary : float or None
        Probability of tremor / myoclonic jerk episodes (B12 treatment); ``None`` uses
        0.1 under ``"random"``.
    keep : str or None
        An electrode never made the bad channel: a partial responder's residual focus,
        which the series' ground truth says is there, so the EEG must record it (drawn
        again from the others only when the first draw hits it: every other recording
        keeps its samples).

    Returns
    -------
    events, bad_channel, aux, annotations
    """
    states, names, duration = plan_kw["states"], plan_kw["scalp_names"], plan_kw["duration_s"]
    if which == "none":
        kinds: set[str] = set()
    elif which == "random":
        kinds = {k for k in ARTIFACT_KINDS if k not in ("tremor", "myoclonic_jerk")}
        p_inv = 0.1 if involuntary is None else involuntary
        if rng.random() < p_inv:
            kinds |= {"tremor", "myoclonic_jerk"}
        if rng.random() < 0.7:
            kinds.discard("bad_channel")
        if rng.random() < 0.5:
            kinds.discard("electrode_pop")
        if rng.random() < 0.5:
            kinds.discard("drift")
    else:
        kinds = set(which)
        unknown = kinds - set(ARTIFACT_KINDS)
        if unknown:
            raise ValueError(f"unknown artifact kinds {sorted(unknown)}; allowed {ARTIFACT_KINDS}")
    forced = which not in ("random", "none")
    mess = rng.uniform(0.2, 1.0)
    events: list[Event] = []
    annotations: list[tuple[float, float, str]] = []

    def add(kind, t, dur, params, truth_extra=None):
        truth = {"type": kind, "onset": round(float(t), 3), "duration_s": round(float(dur), 3)}
        truth.update(truth_extra or {})
        params["noise_seed"] = int(rng.integers(2**31))
        events.append(Event(kind, float(t), float(dur), "scalp", params, truth))

    all_states = {"awake", "nrem", "rem"}

    def times(st, rate: float) -> np.ndarray:
        """Poisson times; a kind asked for explicitly always occurs at least once."""
        out = _poisson_times(rng, st, dict.fromkeys(all_states, rate))
        if forced and out.size == 0:
            out = np.array([rng.uniform(0.5, max(duration - 6.0, 1.0))])
        return out
    if "blink" in kinds:
        st = states if forced else _active_states(states, {"awake"})
        for t in times(st, rng.uniform(4, 15)):
            dur = rng.uniform(0.2, 0.5)
            add("blink", t, dur, {"amplitude": rng.uniform(80, 250)},
                {"channels": [n for n in _BLINK_FIELD if n in names]})
    if "eye_movement" in kinds:
        st = states if forced else _active_states(states, {"awake", "rem"})
        for t in times(st, rng.uniform(1, 6)):
            dur = rng.uniform(0.3, 2.0)
            add("eye_movement", t, dur,
                {"amplitude": rng.uniform(40, 150) * rng.choice([-1, 1])},
                {"channels": [n for n in _LATERAL_EYE if n in names]})
    if "emg" in kinds:
        for t in times(states, rng.uniform(0.5, 4) * mess):
            dur, side = rng.uniform(0.5, 5.0), str(rng.choice(["left", "right", "both"]))
            sites = _MUSCLE_SITES["left"] + _MUSCLE_SITES["right"] if side == "both" \
                else _MUSCLE_SITES[side]  # fmt: skip
            add("emg", t, dur, {"sites": [n for n in sites if n in names],
                                "rms": rng.uniform(10, 60)},
                {"channels": [n for n in sites if n in names]})
    if "movement" in kinds:
        rate = rng.uniform(0.1, 1.5) * (0.3 + mess)
        for t in times(states, rate):
            dur = rng.uniform(0.5, 3.0)
            rows = sorted(rng.choice(len(names), int(rng.integers(8, len(names) + 1)), False))
            add("movement", t, dur, {"rows": [int(r) for r in rows],
                                     "amplitude": rng.uniform(300, 1200)},
                {"channels": [names[r] for r in rows]})
            if rng.random() < 0.3:
                annotations.append((round(float(t), 3), round(dur, 3), "Movement"))
    if "electrode_pop" in kinds:
        chan = str(rng.choice(names))
        for t in times(states, rng.uniform(0.5, 3)):
            add("electrode_pop", t, 3.0, {"channel": chan, "tau": rng.uniform(0.15, 0.8),
                                          "amplitude": rng.uniform(100, 600) * rng.choice([-1, 1])},
                {"channels": [chan]})  # fmt: skip
    if "drift" in kinds:
        n_drift = int(rng.integers(1, 4))
        for _ in range(n_drift):
            dur = min(rng.uniform(30, 120), duration)
            t = rng.uniform(0, max(duration - dur, 0))
            chans = [str(c) for c in rng.choice(names, int(rng.integers(1, 5)), False)]
            add("drift", t, dur, {"channels": chans, "amplitude": rng.uniform(30, 150),
                                  "freq": rng.uniform(0.05, 0.3)}, {"channels": chans})
    if kinds & {"tremor", "myoclonic_jerk"}:
        for _ in range(int(rng.integers(1, 4))):
            dur = min(rng.uniform(10, 60), duration - 1)
            t0 = rng.uniform(0, duration - dur)
            rows = [int(r) for r in sorted(rng.choice(len(names), 12, False))]
            if "tremor" in kinds:
                add("tremor", t0, dur, {"rows": rows, "freq": rng.uniform(4, 8),
                                        "amplitude": rng.uniform(30, 150)},
                    {"channels": [names[r] for r in rows]})  # fmt: skip
                if rng.random() < 0.5:
                    annotations.append((round(t0, 3), round(dur, 3), "Tremor"))
            if "myoclonic_jerk" in kinds:
                n_jerks = rng.poisson(rng.uniform(10, 40) * dur / 60)
                for tj in np.sort(rng.uniform(t0, t0 + dur - 0.5, n_jerks)):
                    add("myoclonic_jerk", tj, rng.uniform(0.1, 0.3),
                        {"rows": rows, "amplitude": rng.uniform(100, 400)},
                        {"channels": [names[r] for r in rows]})
    bad_channel = None
    if "bad_channel" in kinds:
        channel = str(rng.choice(names))
        if channel == keep:
            channel = str(rng.choice([n for n in names if n != keep]))
        bad_channel = {"channel": channel, "kind": str(rng.choice(["flat", "disconnected"]))}
    aux = _sample_aux(rng, states, annotations, forced_none=(which == "none"))
    aux["line_noise"] = "line_noise" in kinds
    for onset, _length, state in states:
        if rng.random() < 0.6:
            text = {"awake": "Awake", "nrem": "Asleep", "rem": "Asleep, restless"}[state]
            annotations.append((round(onset + rng.uniform(0, 5), 3), 0.0, text))
    # an annotation never runs past the end of the recording
    annotations = sorted((o, round(min(d, duration - o), 3), text) for o, d, text in annotations
                         if o < duration)  # fmt: skip
    return events, bad_channel, aux, annotations


def _sample_aux(rng, states, annotations, forced_none: bool) -> dict:
    """ECG, EOG and photic-stimulator channels, and photic stimulation trains."""
    aux: dict = {"ecg": rng.random() < 0.8, "eog": rng.random() < 0.5}
    aux["photic"] = rng.random() < 0.4
    aux["photic_rate_divisor"] = int(rng.choice([1, 4]))
    aux["heart_rate_bpm"] = rng.uniform(110, 160)
    aux["ecg_amplitude"] = rng.uniform(300, 1500)
    aux["ecg_leak"] = 0.0 if forced_none or rng.random() < 0.6 else rng.uniform(0.002, 0.01)
    aux["photic_trains"] = []
    if aux["photic"]:
        awake = _active_states(states, {"awake"})
        if awake:
            onset, length, _ = awake[0]
            t = onset + 5
            for freq in (1, 3, 6, 10, 15, 20):
                if t + 10 > onset + length:
                    break
                aux["photic_trains"].append((round(t, 3), 10.0, freq))
                annotations.append((round(t, 3), 10.0, f"Photic {freq} Hz"))
                t += 15
    return aux


def _noise(params: dict, n_rows: int, n: int) -> np.ndarray:
    return np.random.default_rng(params["noise_seed"]).standard_normal((n_rows, n))


def _muscle(params: dict, n_rows: int, n: int, sfreq: float) -> np.ndarray:
    """Broadband surface EMG: white noise high-passed at 20 Hz (unit RMS)."""
    sos = signal.butter(4, min(20.0, 0.4 * sfreq), btype="highpass", fs=sfreq, output="sos")
    x = signal.sosfilt(sos, _noise(params, n_rows, n), axis=-1)
    return x / max(float(np.std(x)), 1e-12)


def render_artifact(ev: Event, t: np.ndarray, names: list[str], sfreq: float):
    """Samples of one artifact at local times ``t`` (seconds from its onset).

    Parameters
    ----------
    ev : Event
        An artifact event (``space == 'scalp'``).
    t : ndarray, shape (n,)
        Seconds from ``ev.onset`` for the samples wanted.
    names : list of str
        Scalp channel names in row order.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    rows : list of int
        Scalp rows touched.
    values : ndarray, shape (len(rows), n)
        µV to add.
    """
    p, k = ev.params, ev.kind
    if k in ("blink", "eye_movement"):
        field = _BLINK_FIELD if k == "blink" else _LATERAL_EYE
        rows = _rows(names, field)
        gains = np.array([field[names[r]] for r in rows])[:, None]
        shape = W.blink(t, p["amplitude"], ev.duration) if k == "blink" \
            else p["amplitude"] * W.plateau(t, ev.duration, 0.08)  # fmt: skip
        return rows, gains * shape
    if k in ("emg", "tremor", "myoclonic_jerk", "movement"):
        rows = _rows(names, p["sites"]) if k == "emg" else p["rows"]
        n_full = int(np.ceil(ev.duration * sfreq)) + 2
        idx = np.clip(np.round(t * sfreq).astype(int), 0, n_full - 1)
        env = W.plateau(t, ev.duration, min(0.1, ev.duration / 4))
        gains = np.random.default_rng(p["noise_seed"] + 1).uniform(-1, 1, (len(rows), 1))
        if k == "emg":
            return rows, p["rms"] * (0.5 + np.abs(gains)) * _muscle(p, len(rows), n_full,
                                                                    sfreq)[:, idx] * env
        emg = 15.0 * _muscle(p, len(rows), n_full, sfreq)[:, idx]
        if k == "tremor":
            phase = 2 * np.pi * np.random.default_rng(p["noise_seed"] + 2).random((len(rows), 1))
            osc = np.sin(2 * np.pi * p["freq"] * t + phase)
            osc += 0.3 * np.sin(4 * np.pi * p["freq"] * t + 2 * phase)
            burst = 0.5 * (1 + np.sin(2 * np.pi * p["freq"] * t + phase))
            return rows, env * (p["amplitude"] * gains * osc + burst * emg)
        if k == "myoclonic_jerk":
            jerk = W.half_cosine_bump(t - 0.35 * ev.duration, 0.35 * ev.duration,
                                      0.65 * ev.duration)  # fmt: skip
            return rows, p["amplitude"] * gains * jerk + 3 * emg * env
        swing = np.zeros_like(t)
        centres = np.linspace(0.2, 0.8, 3) * ev.duration
        for i, c in enumerate(centres):
            swing += (-1) ** i * W.half_cosine_bump(t - c, 0.25 * ev.duration, 0.25 * ev.duration)
        return rows, p["amplitude"] * 0.5 * gains * swing + 2 * emg * env
    if k == "electrode_pop":
        return [names.index(p["channel"])], W.electrode_pop(t, p["amplitude"], p["tau"])[None]
    if k == "drift":
        rows = _rows(names, p["channels"])
        env = W.plateau(t, ev.duration, ev.duration / 4)
        phase = 2 * np.pi * np.random.default_rng(p["noise_seed"]).random((len(rows), 1))
        return rows, p["amplitude"] * env * np.sin(2 * np.pi * p["freq"] * t + phase)
    raise ValueError(f"not an artifact: {k}")
