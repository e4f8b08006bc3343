"""Draw everything random about one recording before a sample is rendered.

A :class:`Plan` holds the recording's parameters and the full schedule of states,
brain events and artifacts.  It is the ground truth written to the sidecar; the
renderer only turns it into samples (plus continuous noise from its own streams).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from eegpipe.montage import CHANNELS_1020, OLD_TO_NEW, electrode_positions
from eegpipe.simulate import _params as P
from eegpipe.simulate._sources import source_grid


@dataclass
class Event:
    """One transient: a brain event (``space='brain'``) or an artifact (``'scalp'``).

    ``params`` holds what the renderer needs (amplitudes, widths, focus); ``truth``
    is what the sidecar reports.  Times are seconds from the recording's start.
    """

    kind: str
    onset: float
    duration: float
    space: str
    params: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)

    @property
    def stop(self) -> float:
        """End time in seconds."""
        return self.onset + self.duration


@dataclass
class Plan:
    """Everything about one simulated recording except its continuous noise."""

    seed: int
    label: str
    subtypes: list[str]
    severity: float
    age_months: float
    sfreq: int
    duration_s: int
    line_freq: int
    channel_style: str
    new_temporal_names: bool
    reference: str
    states: list[tuple[float, float, str]]
    components: dict
    events: list[Event]
    bad_channel: dict | None
    line_amplitudes_uv: np.ndarray
    aux: dict
    annotations: list[tuple[float, float, str]]
    patient: dict
    start: dt.datetime
    treatment: dict | None = None

    @property
    def scalp_names(self) -> list[str]:
        """Standard names of the 19 EEG channels in file order."""
        if self.new_temporal_names:
            return [OLD_TO_NEW.get(n, n) for n in CHANNELS_1020]
        return list(CHANNELS_1020)


def _uniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


def _sample_states(rng: np.random.Generator, duration: float, sleep_bias: float) -> list:
    """Alternate awake / NREM / REM stretches of realistic length over the recording."""
    lengths = {"awake": (60.0, 300.0), "nrem": (90.0, 600.0), "rem": (30.0, 180.0)}
    p_start = np.array([1.0 - sleep_bias, sleep_bias * 0.85, sleep_bias * 0.15])
    state = ["awake", "nrem", "rem"][rng.choice(3, p=p_start / p_start.sum())]
    t, states = 0.0, []
    while t < duration:
        length = _uniform(rng, lengths[state])
        states.append((round(t, 3), round(min(length, duration - t), 3), state))
        t += length
        nxt = {"awake": ["nrem"], "nrem": ["rem", "awake", "rem"], "rem": ["nrem", "awake"]}
        state = nxt[state][rng.integers(len(nxt[state]))]
    return states


def _poisson_times(rng, states, rate_by_state: dict[str, float], margin: float = 0.5):
    """Event times from a Poisson process whose rate (per minute) depends on state."""
    times = []
    for onset, length, state in states:
        rate = rate_by_state.get(state, 0.0)
        n = rng.poisson(rate * length / 60.0)
        times.append(rng.uniform(onset + margin, max(onset + margin, onset + length - margin), n))
    return np.sort(np.concatenate(times)) if times else np.array([])


def _random_focus(rng: np.random.Generator, side: str | None = None) -> np.ndarray:
    """A random cortical position over the convexity (optionally on one side)."""
    az = rng.uniform(-180, 180)
    if side == "left":
        az = rng.uniform(10, 170)
    elif side == "right":
        az = rng.uniform(-170, -10)
    el = np.rad2deg(np.arcsin(rng.uniform(np.sin(np.deg2rad(-15)), 0.97)))
    a, e = np.deg2rad(az), np.deg2rad(el)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def _nearest_electrode(pos: np.ndarray, names: list[str], elec: np.ndarray) -> str:
    return names[int(np.argmin(((elec - pos) ** 2).sum(1)))]


def _sample_subtypes(rng: np.random.Generator) -> list[str]:
    first = str(rng.choice(P.SUBTYPES))
    if rng.random() < 0.3:
        compatible = {
            "synchronized": ["attenuation", "consistent_focus"],
            "asymmetric": ["consistent_focus", "attenuation"],
            "consistent_focus": ["asymmetric", "attenuation", "synchronized"],
            "attenuation": ["synchronized", "asymmetric", "consistent_focus", "slow_no_spikes"],
            "slow_no_spikes": ["attenuation"],
        }[first]
        return sorted({first, str(rng.choice(compatible))})
    return [first]


def _normal_delta_weights(src: np.ndarray) -> np.ndarray:
    """Regional weights of a normal infant's slow waves: 1 at the occiput, 0.25 from the vertex forward."""
    return 0.25 + 0.75 * np.clip(-src[:, 0], 0, 1)


def _brain_components(rng, label, subtypes, severity, age, exponent) -> dict:
    """Amplitudes (µV RMS), couplings and spatial weights of the continuous activity."""
    src, mirror = source_grid()
    comp: dict = {"exponent": exponent, "pdr_freq": P.pdr_frequency(age),
                  "subject_gain": float(np.exp(rng.normal(0.0, P.SUBJECT_GAIN_LOG_SD)))}
    bg_awake = _uniform(rng, P.AWAKE_PTP_UV) / P.PTP_PER_RMS
    comp["bg_rms"] = {"awake": bg_awake, "nrem": bg_awake * rng.uniform(1.1, 1.5),
                      "rem": bg_awake * rng.uniform(0.8, 1.0)}  # fmt: skip
    # Bilateral synchrony of slow activity: normal sleep slow waves are bilaterally
    # synchronous; hypsarrhythmia is asynchronous; the 'synchronized' variant is not.
    if label == "normal":
        sleep_ptp = _uniform(rng, P.NORMAL_SLEEP_PTP_BINS_UV[
            rng.choice(4, p=P.NORMAL_SLEEP_PTP_PROBS)])  # fmt: skip
        delta_nrem = sleep_ptp / P.PTP_PER_RMS
        comp["delta_rms"] = {"awake": delta_nrem * rng.uniform(0.1, 0.25), "nrem": delta_nrem,
                             "rem": delta_nrem * rng.uniform(0.15, 0.3)}  # fmt: skip
        comp["delta_weights"] = _normal_delta_weights(src)
        comp["delta_coupling"] = rng.uniform(*P.NORMAL_DELTA_COUPLING)
        comp["delta_envelope_sd"] = P.NORMAL_DELTA_ENVELOPE_SD
        comp["pdr_rms"] = {"awake": rng.uniform(*P.NORMAL_PDR_RMS_UV) if age >= P.PDR_MIN_AGE_MONTHS else 0.0}
        return comp
    ptp = P.HYPS_PTP_UV[0] + severity * (P.HYPS_PTP_UV[1] - P.HYPS_PTP_UV[0])
    delta = ptp * rng.uniform(0.85, 1.15) / P.PTP_PER_RMS
    if "slow_no_spikes" in subtypes:
        delta *= 1.1
    comp["delta_rms"] = {s: delta * f for s, f in P.HYPS_STATE_FACTOR.items()}
    weights = np.exp(rng.normal(0.0, 0.35, len(src)))  # disorganized: regionally uneven
    coupling = rng.uniform(0.0, 0.3)
    if "synchronized" in subtypes:
        coupling = rng.uniform(0.8, 0.95)
        weights = 0.5 * (weights + weights[mirror])
    if "asymmetric" in subtypes:
        side = str(rng.choice(["left", "right"]))
        comp["affected_side"] = side
        spared = src[:, 1] < -0.05 if side == "left" else src[:, 1] > 0.05
        weights[spared] *= rng.uniform(0.2, 0.45)
    comp["delta_weights"] = weights
    comp["delta_coupling"] = coupling
    comp["delta_envelope_sd"] = 0.6
    comp["pdr_rms"] = {"awake": rng.uniform(0, 5) * (1 - severity)}
    return comp


def _epileptiform_events(rng, plan_kw, comp) -> list[Event]:
    """Spikes and sharp waves: multifocal and random in hypsarrhythmia (Gibbs & Gibbs)."""
    label, subtypes, severity = plan_kw["label"], plan_kw["subtypes"], plan_kw["severity"]
    if label == "normal":
        return []
    names = plan_kw["scalp_names"]
    elec = electrode_positions(names)
    rate = (40.0 + 160.0 * severity) * rng.uniform(0.8, 1.2)
    if "slow_no_spikes" in subtypes:
        rate *= rng.uniform(0.0, 0.06)
    rates = {s: rate * f for s, f in P.HYPS_STATE_FACTOR.items()}
    times = _poisson_times(rng, plan_kw["states"], rates)
    focus_pos, focus_share = None, 0.0
    if "consistent_focus" in subtypes:
        candidates = [n for n in names if not n.endswith("z")]
        focus_name = str(rng.choice(candidates))
        focus_pos = elec[names.index(focus_name)] * 0.97
        focus_share = rng.uniform(0.6, 0.85)
        comp["focus_channel"] = focus_name
    side = comp.get("affected_side")
    events = []
    for t in times:
        sharp, dur, amp = _discharge_shape(rng, severity)
        spread = rng.uniform(0.3, 0.55)
        pattern = "focal"
        if focus_pos is not None and rng.random() < focus_share:
            focus = focus_pos + rng.normal(0, 0.04, 3)
            amp *= 1.2
            spread = 0.3
            pattern = "consistent_focus"
        else:
            r = rng.random()
            if "synchronized" in subtypes and r < 0.25:
                pattern = "generalized"
            elif "synchronized" in subtypes and r < 0.75:
                pattern = "bilateral"
            elif r < 0.06:
                pattern = "generalized"
            focus_side = None
            if side is not None:
                focus_side = side if rng.random() < 0.9 else None
            focus = _random_focus(rng, focus_side)
        if pattern == "generalized":
            spread, amp, focus = 1.2, rng.uniform(200, 400), np.array([0.0, 0.0, 1.0])
        events.append(_discharge(rng, t, sharp, dur, amp, spread, focus, pattern, names, elec))
    return events


def _discharge_shape(rng, severity: float) -> tuple[bool, float, float]:
    """Sharp wave (45 %) or spike, its base width (s) and amplitude (µV), larger with severity."""
    sharp = bool(rng.random() < 0.45)
    dur = _uniform(rng, P.SHARP_DURATION_S if sharp else P.SPIKE_DRAW_S)
    return sharp, dur, rng.uniform(150, 400) * (0.7 + 0.5 * severity)


def _discharge(rng, t, sharp, dur, amp, spread, focus, pattern, names, elec) -> Event:
    """One spike or sharp wave, followed by a slow wave in 60 % of cases."""
    slow = rng.random() < 0.6
    params = {
        "focus": focus, "spread": spread, "duration": dur, "amplitude": amp,
        "slow_amplitude": amp * rng.uniform(0.6, 1.2) if slow else 0.0,
        "slow_width": rng.uniform(0.15, 0.35), "bilateral": pattern == "bilateral",
    }  # fmt: skip
    extent = 0.3 * dur + 2.5 * dur + params["slow_width"] + 0.05
    channel = _nearest_electrode(focus, names, elec)
    truth = {"time": round(float(t), 4), "type": "sharp_wave" if sharp else "spike",
             "duration_ms": round(dur * 1e3, 1), "amplitude_uv": round(amp, 1),
             "focus_channel": channel, "pattern": pattern}  # fmt: skip
    return Event("epileptiform", t - 0.5 * dur, extent, "brain", params, truth)


def _benign_events(rng, plan_kw, comp) -> list[Event]:
    """Normal sleep transients: spindles (asynchronous in infancy) and vertex waves."""
    names, elec = plan_kw["scalp_names"], electrode_positions(plan_kw["scalp_names"])
    is_normal = plan_kw["label"] == "normal"
    spindle_rate = rng.uniform(*P.NORMAL_SPINDLE_RATE_PER_MIN) if is_normal else rng.uniform(0, 1.5)
    events = _spindle_events(rng, plan_kw, spindle_rate)
    if plan_kw["age_months"] >= P.VERTEX_WAVE_MIN_AGE_MONTHS:
        vertex_rate = rng.uniform(2, 8) if is_normal else rng.uniform(0, 1)
        for t in _poisson_times(rng, plan_kw["states"], {"nrem": vertex_rate}):
            dur = rng.uniform(0.1, 0.2)
            params = {"focus": elec[names.index("Cz")], "spread": 0.4,
                      "amplitude": rng.uniform(60, 200), "duration": dur}  # fmt: skip
            truth = {"time": round(float(t), 3), "type": "vertex_wave"}
            events.append(Event("vertex", float(t) - dur, 4 * dur, "brain", params, truth))
    return events


def _spindle_events(rng, plan_kw, rate: float) -> list[Event]:
    """Sleep spindles at ``rate`` per minute of NREM sleep (asynchronous in infancy)."""
    names, elec = plan_kw["scalp_names"], electrode_positions(plan_kw["scalp_names"])
    events = []
    for t in _poisson_times(rng, plan_kw["states"], {"nrem": rate}):
        side = rng.choice(["left", "right", "both"], p=[0.3, 0.3, 0.4])
        focus = elec[names.index({"left": "C3", "right": "C4", "both": "Cz"}[str(side)])]
        dur = _uniform(rng, P.SPINDLE_DURATION_S)
        params = {"focus": focus, "spread": 0.45 if side == "both" else 0.35,
                  "amplitude": rng.uniform(15, 45), "freq": _uniform(rng, P.SPINDLE_FREQ_HZ),
                  "duration": dur}  # fmt: skip
        truth = {"time": round(float(t), 3), "type": "spindle", "side": str(side),
                 "duration_s": round(dur, 3)}  # fmt: skip
        events.append(Event("spindle", float(t), dur, "brain", params, truth))
    return events


def _partial_response(rng, comp: dict, plan_kw: dict, recovery: float, focus_channel: str) -> list[Event]:
    """What is left of hypsarrhythmia after a partial response to treatment.

    Hypsarrhythmia is scored on disorganization and loss of the normal background as much
    as on voltage and spikes (Kramer et al. 1997), and "electroclinical response" means
    hypsarrhythmia resolves; what often remains is focal epileptiform discharges, which a
    month after ACTH predict relapse (Hayashi et al. 2016).  So: the continuous activity
    moves ``recovery`` (0-1) of the way to a normal infant's (bilateral coupling of the
    slow waves, even regional voltage, steadier envelope, a posterior dominant rhythm awake,
    sleep spindles), and spikes and sharp waves keep coming from one focus near
    ``focus_channel`` at :data:`~eegpipe.simulate._params.RESIDUAL_FOCUS_RATE_PER_MIN`.
    Draws come from their own stream, so recordings without a partial response are
    unchanged.  Modifies ``comp`` in place; returns the spindles and discharges it adds.
    """
    r = float(np.clip(recovery, 0.0, 1.0))
    w = comp["delta_weights"] ** (1 - r) * _normal_delta_weights(source_grid()[0]) ** r
    comp["delta_weights"] = w * comp["delta_weights"].mean() / w.mean()  # voltage is severity's
    comp["delta_coupling"] += r * (rng.uniform(*P.NORMAL_DELTA_COUPLING) - comp["delta_coupling"])
    comp["delta_envelope_sd"] += r * (P.NORMAL_DELTA_ENVELOPE_SD - comp["delta_envelope_sd"])
    if plan_kw["age_months"] >= P.PDR_MIN_AGE_MONTHS:
        awake = comp["pdr_rms"]["awake"]
        comp["pdr_rms"] = {"awake": awake + r * (rng.uniform(*P.NORMAL_PDR_RMS_UV) - awake)}
    events = _spindle_events(rng, plan_kw, r * rng.uniform(*P.NORMAL_SPINDLE_RATE_PER_MIN))
    names, elec = plan_kw["scalp_names"], electrode_positions(plan_kw["scalp_names"])
    focus_pos = elec[names.index(focus_channel)] * 0.97
    rate = _uniform(rng, P.RESIDUAL_FOCUS_RATE_PER_MIN)
    for t in _poisson_times(rng, plan_kw["states"], {s: rate * f for s, f in P.HYPS_STATE_FACTOR.items()}):
        sharp, dur, amp = _discharge_shape(rng, plan_kw["severity"])
        focus = focus_pos + rng.normal(0, 0.04, 3)
        events.append(_discharge(rng, t, sharp, dur, amp, 0.3, focus, "consistent_focus", names, elec))
    comp["focus_channel"] = focus_channel
    return events


def _attenuation_events(rng, plan_kw) -> list[Event]:
    """Generalized, lateralized or regional voltage attenuations (Hrachovy 1984, type 4)."""
    if "attenuation" not in plan_kw["subtypes"]:
        return []
    names, elec = plan_kw["scalp_names"], electrode_positions(plan_kw["scalp_names"])
    rate = rng.uniform(2.0, 5.0)
    events, last_stop = [], -1.0
    for t in _poisson_times(rng, plan_kw["states"], {"nrem": rate, "awake": rate, "rem": rate}):
        dur = rng.uniform(1.0, 8.0)
        if t < last_stop + 1.0 or t + dur > plan_kw["duration_s"] - 0.5:
            continue
        last_stop = t + dur
        extent = str(rng.choice(["generalized", "lateralized", "regional"], p=[0.6, 0.2, 0.2]))
        focus = _random_focus(rng)
        params = {"extent": extent, "depth": rng.uniform(0.08, 0.25),
                  "side": float(np.sign(focus[1]) or 1.0), "focus": focus,
                  "lead_in": rng.random() < 0.5,
                  "lead_amplitude": rng.uniform(200, 400)}  # fmt: skip
        truth = {"onset": round(float(t), 3), "duration_s": round(dur, 3), "extent": extent}
        if extent != "generalized":
            truth["centre_channel"] = _nearest_electrode(focus, names, elec)
        events.append(Event("attenuation", float(t), dur, "brain", params, truth))
    return events


def make_plan(seed: int, **kw) -> Plan:
    """Draw a full recording plan; see :func:`eegpipe.simulate.simulate_recording`.

    Parameters
    ----------
    seed : int
        Seed of the plan's random stream.
    **kw
        The options of :func:`eegpipe.simulate.simulate_recording`.

    Returns
    -------
    plan : Plan
    """
    from eegpipe.simulate._artifacts import sample_artifacts

    rng = np.random.default_rng([seed, 0])
    label = kw.get("label") or str(rng.choice(P.LABELS))
    if label not in P.LABELS:
        raise ValueError(f"label must be one of {P.LABELS}, got {label!r}")
    subtypes = list(kw.get("subtypes") or [])
    if label == "modified_hypsarrhythmia" and not subtypes:
        subtypes = _sample_subtypes(rng)
    bad = [s for s in subtypes if s not in P.SUBTYPES]
    if bad or (subtypes and label != "modified_hypsarrhythmia"):
        raise ValueError(f"subtypes {subtypes} need label 'modified_hypsarrhythmia' and "
                         f"values from {P.SUBTYPES}")  # fmt: skip
    severity = kw.get("severity")
    if severity is None:
        severity = 0.0 if label == "normal" else float(rng.uniform(*P.SEVERITY_RANGE))
    age = kw.get("age_months")
    age = float(rng.uniform(3, 24) if label == "normal" else rng.uniform(3, 14)) if age is None \
        else float(age)  # fmt: skip
    sfreq = int(kw.get("sfreq") or rng.choice(P.SAMPLING_RATES_HZ, p=P.SAMPLING_RATE_PROBS))
    duration = int(kw.get("duration_s") or 300)
    style = kw.get("channel_style") or str(rng.choice(P.CHANNEL_STYLES))
    new_names = bool(kw["new_temporal_names"]) if kw.get("new_temporal_names") is not None \
        else bool(rng.random() < 0.3)  # fmt: skip
    reference = "linked_ears" if style == "eeg_le" else str(rng.choice(["linked_ears", "FCz"]))
    line_freq = int(kw.get("line_freq") or rng.choice([50, 60]))
    sleep_bias = rng.uniform(0.3, 0.8) if kw.get("sleep_bias") is None else kw["sleep_bias"]
    states = _sample_states(rng, duration, sleep_bias=sleep_bias)
    exponent = P.aperiodic_exponent(age) + rng.normal(0, 0.15)
    comp = _brain_components(rng, label, subtypes, severity, age, exponent)
    if kw.get("subject_gain") is not None:  # one infant's gain, kept over a series
        comp["subject_gain"] = float(kw["subject_gain"])
    names = [OLD_TO_NEW.get(n, n) for n in CHANNELS_1020] if new_names else list(CHANNELS_1020)
    plan_kw = {"label": label, "subtypes": subtypes, "severity": severity, "states": states,
               "scalp_names": names, "age_months": age, "duration_s": duration}  # fmt: skip
    events = _epileptiform_events(rng, plan_kw, comp)
    events += _benign_events(rng, plan_kw, comp)
    events += _attenuation_events(rng, plan_kw)
    focus = None
    if kw.get("partial_response") and label != "normal":  # {"recovery": 0-1, "focus_channel": name}
        pr = kw["partial_response"]
        focus = OLD_TO_NEW.get(pr["focus_channel"], pr["focus_channel"]) if new_names else pr["focus_channel"]
        events += _partial_response(np.random.default_rng([seed, 9]), comp, plan_kw, pr["recovery"], focus)
    art_events, bad_channel, aux, annotations = sample_artifacts(
        rng, plan_kw, kw.get("artifacts") or "random", kw.get("involuntary_movements"), keep=focus)
    events += art_events
    events.sort(key=lambda e: e.onset)
    line_amp = rng.uniform(0.3, 4.0, len(names))
    line_amp[rng.integers(len(names))] *= rng.uniform(1, 8)
    start = kw.get("start") or dt.datetime(2024, 1, 1, 8, 0, 0) + dt.timedelta(
        days=int(rng.integers(0, 700)), minutes=int(rng.integers(0, 600)))  # fmt: skip
    patient = kw.get("patient") or {
        "name": f"{rng.choice(P.LAST_NAMES)}_{rng.choice(P.FIRST_NAMES)}",
        "birthdate": (start - dt.timedelta(days=round(age * 30.44))).date().isoformat(),
        "code": f"MRN{rng.integers(10**6, 10**7)}",
        "sex": str(rng.choice(["male", "female"])),
    }  # fmt: skip
    return Plan(
        seed=seed, label=label, subtypes=subtypes, severity=round(float(severity), 4),
        age_months=round(age, 2), sfreq=sfreq, duration_s=duration, line_freq=line_freq,
        channel_style=style, new_temporal_names=new_names, reference=reference,
        states=states, components=comp, events=events, bad_channel=bad_channel,
        line_amplitudes_uv=line_amp, aux=aux, annotations=annotations, patient=patient,
        start=start, treatment=kw.get("treatment"),
    )  # fmt: skip
