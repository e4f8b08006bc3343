"""Turn a :class:`~eegpipe.simulate._plan.Plan` into samples, one fixed block at a time."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from eegpipe.simulate import _waveforms as W
from eegpipe.simulate._artifacts import render_artifact
from eegpipe.simulate._plan import Event, Plan
from eegpipe.simulate._sources import (
    BACKGROUND_SPREAD,
    N_SCALP,
    SITES,
    StatefulFilter,
    band_sos,
    mixing_matrix,
    powerlaw_sos,
    site_positions,
    source_grid,
    spatial_gain,
    white_noise_rms,
)

#: Blocks are always this long, so a seed gives the same samples however they are used.
BLOCK_S = 10

#: Amplifier input range in µV; real amplifiers saturate, and EDF stores a fixed range.
PHYSICAL_RANGE_UV = 3200.0

_STATE_RAMP_S = 4.0  # state changes fade over a few seconds


def _state_gain(t: np.ndarray, states: list, values: dict[str, float]) -> np.ndarray:
    """Per-sample gain that follows the sleep-wake states, with smooth transitions."""
    levels = [values.get(s, 0.0) for _, _, s in states]
    g = np.full(t.shape, levels[0], dtype=float)
    for (onset, _, _), prev, nxt in zip(states[1:], levels[:-1], levels[1:], strict=True):
        g += (nxt - prev) * np.clip((t - onset + _STATE_RAMP_S / 2) / _STATE_RAMP_S, 0, 1)
    return g


def photic_divisor(plan: Plan) -> int:
    """Photic channel decimation factor of a plan (1 unless the rate divides evenly).

    Parameters
    ----------
    plan : Plan
        The recording plan.

    Returns
    -------
    divisor : int
    """
    div = plan.aux["photic_rate_divisor"]
    return div if plan.sfreq % div == 0 else 1


class Renderer:
    """Render a plan block by block; every stream's state is carried across blocks.

    Parameters
    ----------
    plan : Plan
        What to render.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        sf = plan.sfreq
        self.n_total = plan.duration_s * sf
        streams = np.random.SeedSequence([plan.seed, 1]).spawn(5)
        self.rng_bg, self.rng_delta, self.rng_env, self.rng_pdr, self.rng_amp = (
            np.random.default_rng(s) for s in streams
        )
        comp = plan.components
        self.src, self.mirror = source_grid()
        self.sites = site_positions()
        n_sites, n_src = len(SITES), len(self.src)
        self.m_bg = mixing_matrix(self.sites, self.src, BACKGROUND_SPREAD)
        m_delta = self.m_bg * comp["delta_weights"][None, :]
        scalp_norm = np.sqrt((m_delta[:N_SCALP] ** 2).sum(1))
        self.m_delta = m_delta / np.percentile(scalp_norm, 90)
        m_pdr = self.m_bg * (np.clip(-self.src[:, 0], 0, 1) ** 2)[None, :]
        self.m_pdr = m_pdr / np.sqrt((m_pdr[:N_SCALP] ** 2).sum(1)).max()
        sos = powerlaw_sos(float(np.clip(comp["exponent"], 0.5, 3.0)), sf)
        self.f_bg = StatefulFilter(sos, n_sites, 1.0 / white_noise_rms(sos, sf))
        sos = band_sos(0.5, 3.0, sf)
        self.f_delta = StatefulFilter(sos, n_sites, 1.0 / white_noise_rms(sos, sf))
        f0 = comp["pdr_freq"]
        sos = band_sos(f0 - 0.6, f0 + 0.6, sf)
        self.f_pdr = StatefulFilter(sos, n_sites, 1.0 / white_noise_rms(sos, sf))
        sos = band_sos(0.0, 0.2, sf)
        self.f_env = StatefulFilter(sos, n_src, 1.0 / white_noise_rms(sos, sf))
        sos = band_sos(15.0, 25.0, sf)
        self.f_fast = StatefulFilter(sos, n_sites, 1.0 / white_noise_rms(sos, sf))
        self.pairs = np.array([(j, m) for j, m in enumerate(self.mirror) if j < m])
        self.brain_events = [e for e in plan.events if e.space == "brain"]
        self.scalp_events = [e for e in plan.events if e.space == "scalp"]
        self.names = plan.scalp_names
        hr = plan.aux["heart_rate_bpm"]
        beats, t = [], 0.3
        while t < plan.duration_s + 1:
            beats.append(t)
            t += 60.0 / hr * (1 + 0.04 * np.sin(2 * np.pi * 0.25 * t))
        self.beats = np.array(beats)

    # -- continuous activity -------------------------------------------------------
    def _coupled(self, rng: np.random.Generator, n: int, coupling: float) -> np.ndarray:
        w = rng.standard_normal((len(self.src), n))
        left, right = self.pairs[:, 0], self.pairs[:, 1]
        w[right] = coupling * w[left] + np.sqrt(1 - coupling**2) * w[right]
        return w

    def _continuous(self, t: np.ndarray) -> np.ndarray:
        plan, comp, n = self.plan, self.plan.components, t.size
        bg = self.f_bg(self.m_bg @ self.rng_bg.standard_normal((len(self.src), n)))
        brain = bg * _state_gain(t, plan.states, comp["bg_rms"])
        sd, c = comp["delta_envelope_sd"], comp["delta_coupling"]
        env = np.exp(sd * self.f_env(self._coupled(self.rng_env, n, c)) - sd**2)
        delta = self.f_delta(self.m_delta @ (self._coupled(self.rng_delta, n, c) * env))
        brain += delta * _state_gain(t, plan.states, comp["delta_rms"])
        pdr = self.f_pdr(self.m_pdr @ self.rng_pdr.standard_normal((len(self.src), n)))
        brain += pdr * _state_gain(t, plan.states, comp["pdr_rms"])
        return brain

    # -- transients ------------------------------------------------------------------
    def _brain_event(self, ev: Event, t_rel: np.ndarray, brain: np.ndarray, sl: slice) -> None:
        p = ev.params
        if ev.kind == "attenuation":
            return
        if ev.kind == "epileptiform":
            peak = t_rel - 0.5 * p["duration"]
            wave = W.epileptiform(peak, p["duration"], p["amplitude"], p["slow_amplitude"],
                                  p["slow_width"])  # fmt: skip
        elif ev.kind == "vertex":
            wave = W.vertex_wave(t_rel - p["duration"], p["amplitude"], p["duration"])
        elif ev.kind == "spindle":
            wave = W.spindle(t_rel, p["amplitude"], p["freq"], p["duration"])
        else:
            raise ValueError(ev.kind)
        gain = spatial_gain(self.sites, p["focus"], p["spread"])
        if p.get("bilateral"):
            gain = gain + spatial_gain(self.sites, p["focus"] * [1, -1, 1], p["spread"])
        brain[:, sl] += gain[:, None] * wave[None, :]

    def _attenuate(self, ev: Event, t_rel: np.ndarray, brain: np.ndarray, sl: slice) -> None:
        p = ev.params
        if p["extent"] == "generalized":
            field = np.ones(len(SITES))
        elif p["extent"] == "lateralized":
            field = np.clip(0.5 + 2.0 * p["side"] * self.sites[:, 1], 0, 1)
        else:
            field = np.clip(1.5 * spatial_gain(self.sites, p["focus"], 0.6), 0, 1)
        shape = W.plateau(t_rel, ev.duration, 0.15)
        drop = (1 - p["depth"]) * field[:, None] * shape[None, :]
        fast = self.f_fast(self.rng_amp.standard_normal((len(SITES), t_rel.size))) * 4.0
        brain[:, sl] = brain[:, sl] * (1 - drop) + fast * drop
        if p["lead_in"]:
            lead = W.half_cosine_bump(t_rel + 0.4, 0.35, 0.35) * -p["lead_amplitude"]
            brain[:, sl] += lead[None, :]

    @staticmethod
    def _overlapping(events: list[Event], t0: float, t1: float) -> list[Event]:
        return [e for e in events if e.onset < t1 and e.stop > t0 - 0.5]

    # -- one block -----------------------------------------------------------------------
    def render_block(self, start: int, n: int) -> dict[str, np.ndarray]:
        """Render samples ``start`` to ``start + n``; blocks must be asked in order.

        Parameters
        ----------
        start : int
            First sample index.
        n : int
            Number of samples.

        Returns
        -------
        block : dict
            ``"eeg"``: (19, n) µV referential scalp EEG; ``"ecg"``, ``"eog"``,
            ``"photic"``: auxiliary signals in µV (photic at its own rate).
        """
        plan, sf = self.plan, self.plan.sfreq
        t = (start + np.arange(n)) / sf
        t0, t1 = t[0], t[-1] + 1 / sf
        brain = self._continuous(t)
        for ev in self._overlapping(self.brain_events, t0, t1):
            sl = slice(None)
            if ev.kind == "attenuation":
                self._attenuate(ev, t - ev.onset, brain, sl)
            else:
                self._brain_event(ev, t - ev.onset, brain, sl)
        brain *= plan.components["subject_gain"]
        ref = brain[[SITES.index("A1"), SITES.index("A2")]].mean(0) \
            if plan.reference == "linked_ears" else brain[SITES.index("FCz")]  # fmt: skip
        eeg = brain[:N_SCALP] - ref
        eye = np.zeros(n)
        for ev in self._overlapping(self.scalp_events, t0, t1):
            mask = (t >= ev.onset - 0.5) & (t <= ev.stop + 0.5)
            rows, values = render_artifact(ev, t[mask] - ev.onset, self.names, sf)
            eeg[np.ix_(rows, np.flatnonzero(mask))] += values
            if ev.kind in ("blink", "eye_movement"):
                eye[mask] += values[0]
        ecg = self._ecg(t)
        eeg += plan.aux["ecg_leak"] * ecg
        if plan.aux["line_noise"]:
            amp = plan.line_amplitudes_uv[:, None]
            phase = np.arange(N_SCALP)[:, None] * 0.7
            w = 2 * np.pi * plan.line_freq * t
            eeg += amp * (np.sin(w + phase) + 0.15 * np.sin(3 * w + phase))
        eeg += 0.8 * self.rng_amp.standard_normal(eeg.shape)  # amplifier noise
        if plan.bad_channel is not None:
            r = self.names.index(plan.bad_channel["channel"])
            noise = self.rng_amp.standard_normal(n)
            if plan.bad_channel["kind"] == "flat":
                eeg[r] = 0.3 * noise
            else:
                w = 2 * np.pi * plan.line_freq * t
                eeg[r] = 300 * np.sin(w) + 150 * np.sin(2 * np.pi * 0.1 * t) + 30 * noise
        out = {"eeg": np.clip(eeg, -PHYSICAL_RANGE_UV, PHYSICAL_RANGE_UV)}
        out["ecg"] = ecg + 5 * self.rng_amp.standard_normal(n)
        out["eog"] = 1.3 * eye + 0.3 * eeg[0] + 2 * self.rng_amp.standard_normal(n)
        out["photic"] = self._photic(t)
        return out

    def _ecg(self, t: np.ndarray) -> np.ndarray:
        amp = self.plan.aux["ecg_amplitude"]
        y = np.zeros_like(t)
        lo, hi = np.searchsorted(self.beats, [t[0] - 0.5, t[-1] + 0.5])
        for b in self.beats[lo:hi]:
            d = t - b
            qrs = np.exp(-0.5 * (d / 0.008) ** 2) - 0.25 * np.exp(-0.5 * ((d - 0.02) / 0.01) ** 2)
            y += amp * qrs
            y += 0.2 * amp * np.exp(-0.5 * ((d - 0.22) / 0.04) ** 2)
        return y

    def _photic(self, t: np.ndarray) -> np.ndarray:
        div = self.photic_divisor
        tp = t[::div]
        y = np.zeros_like(tp)
        for onset, length, freq in self.plan.aux["photic_trains"]:
            inside = (tp >= onset) & (tp < onset + length)
            phase = ((tp - onset) * freq) % 1.0
            y[inside & (phase < 0.02 * freq)] = 1000.0
        return y

    @property
    def photic_divisor(self) -> int:
        """Photic channel decimation factor (1 unless the rate divides evenly)."""
        return photic_divisor(self.plan)

    def blocks(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """Yield ``(start_sample, block)`` for the whole recording, in order.

        Yields
        ------
        start : int
            First sample of the block.
        block : dict
            As returned by :meth:`render_block`.
        """
        step = BLOCK_S * self.plan.sfreq
        for start in range(0, self.n_total, step):
            yield start, self.render_block(start, min(step, self.n_total - start))
