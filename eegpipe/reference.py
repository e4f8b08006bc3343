"""Reference distributions: what normal and hypsarrhythmic infant EEG look like, by age.

The treatment-response comparison (:mod:`eegpipe.compare`) places each recording on a
**normalization index**: 0 where typical hypsarrhythmia lies, 1 where typical normal EEG
of an infant of that age lies.  This module holds the features the index is made of, the
reference values it is measured against, and the command that rebuilds them::

    python -m eegpipe.reference build            # rewrites eegpipe/data/reference_v1.json

What comes from the literature (domain.md) and what from simulation:

* **Literature**: which features, and in which direction hypsarrhythmia departs from
  normal: high voltage (Gibbs & Gibbs 1952; 200-500 µV; BASED, Mytinger 2015/2021),
  frequent multifocal spikes (BASED: >= 3 foci), low signal complexity (Smith et al.
  2021; Zhang et al. 2023: complexity rises in responders), a steep delta-dominated
  spectrum (hypsarrhythmia is delta-dominated; the 1/f exponent flattens with age,
  Schaworonkow & Voytek 2021), asynchrony (Gibbs & Gibbs 1952), and the modified
  variants (Hrachovy, Frost & Kellaway 1984): increased synchrony, asymmetry,
  attenuation episodes.  The age bands follow the development of the posterior rhythm
  (none before ~3 months, 3-4 Hz at 4, ~5 Hz at 5-6, 6-7 Hz at 12 months).
* **Simulation**: the numbers.  Each feature is measured by eegpipe's own pipeline on
  100 recordings of eegpipe's simulator (seeds 6000-6099; the simulator is built from
  the same literature), because our measures (e.g. permutation entropy after our
  filtering) have no published reference values.  The shipped file is checked against
  the published ranges (normal awake 50-100 µV, hypsarrhythmia 200-500 µV) by the tests.

Both are *unverified* on real recordings: a reference from real normal infant EEG of
each age should replace the simulated one before clinical use.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from eegpipe.table import ABNORMAL_EPOCH_REGIONS

#: The shipped reference file (built by ``python -m eegpipe.reference build``).
REFERENCE_PATH = Path(__file__).resolve().parent / "data" / "reference_v1.json"
REFERENCE_VERSION = 1

#: Simulator seeds of the reference recordings (benchmarks/README.md keeps them apart).
REFERENCE_SEEDS = range(6000, 6100)
#: Length of each reference recording, in seconds.
REFERENCE_DURATION_S = 180

#: Age bands of the normal reference, months [lo, hi).  Boundaries follow the posterior
#: dominant rhythm (domain.md: 3-4 Hz at 4 months, ~5 Hz at 5-6, 6-7 Hz at 12) and the
#: age range of infantile spasms (1-24 months, most from 3 months).
AGE_BANDS_MONTHS: tuple[tuple[float, float], ...] = ((3.0, 6.0), (6.0, 12.0), (12.0, 24.0))
#: Normal reference recordings per age band.  *unverified*: fewer than the 120 CLSI
#: EP28-A3c (2010) asks for a nonparametric 95 % reference interval.  120 per band were
#: built and measured on 2026-12-01 (benchmarks/RESULTS.md): their medians are steadier,
#: but the index read worse (295 of 300 spent series right against 298), because the
#: normal median of a mixture of sleeping and waking infants is a poor "1" for either
#: state.  Sleep- and wake-specific anchors were then tried (2026-12-01) and not shipped:
#: what lifted sleeping normals lifted slow modified hypsarrhythmia too (drift SD of the
#: overall index 0.108 -> 0.131-0.154; benchmarks/RESULTS.md).
N_NORMAL_PER_BAND = 20
#: Hypsarrhythmia references: classic, and per modified variant.
N_HYPS, N_PER_VARIANT = 20, 4
#: Ages of the simulated hypsarrhythmia references (the simulator's spasm ages, 3-14 months).
HYPS_AGE_RANGE_MONTHS = (3.0, 14.0)

#: Share of epochs cut from each end for the trimmed mean of event counts (robust to a
#: few epochs of residual artifact).  *unverified*, a conventional 20% trim.
TRIM = 0.2
#: Fewer clean epochs than this and a recording gives no reference value.
MIN_CLEAN_EPOCHS = 3


@dataclass(frozen=True)
class Feature:
    """One compared feature: its per-epoch column, family, unit, and how it is read.

    Attributes
    ----------
    key : str
        Column of the comparison table (:func:`comparison_table`).
    family : str
        One of :data:`FAMILIES`.
    label : str
        Plain-English name with its definition.
    unit : str
        Unit of the value ('' for ratios, shares, correlations, entropies).
    statistic : str
        How epochs are pooled: ``"median"``, ``"trimmed_mean"`` (20%), ``"mean"`` or
        ``"abs_median"`` (the absolute value of the median of a signed value).
    scale : str
        Scale on which the index interpolates: ``"linear"``, ``"log"`` or ``"log1p"``.
    abnormal : str
        ``"high"`` when hypsarrhythmia lies above normal, ``"low"`` when below.
    variant : str or None
        Modified variant (Hrachovy 1984) whose median is the 0 anchor, instead of all
        hypsarrhythmia references.
    source : str
        Where the direction comes from.
    short : str
        Short name for figure titles.
    """

    key: str
    family: str
    label: str
    unit: str
    statistic: str
    scale: str
    abnormal: str
    variant: str | None = None
    source: str = ""
    short: str = ""


#: Feature families, in the order reports show them.
FAMILIES: tuple[str, ...] = ("amplitude", "spikes", "spectral", "synchrony", "asymmetry", "attenuation")
FAMILY_LABELS = {
    "amplitude": "amplitude", "spikes": "spikes and multifocality", "spectral": "spectral shape",
    "synchrony": "synchrony", "asymmetry": "asymmetry", "attenuation": "attenuation",
}  # fmt: skip

#: Why the spike family counts only events off the midline (Fz, Cz, Pz).
#: On the reference recordings the midline held three quarters of the normal recordings'
#: spike events (mean 0.17/min in all, 0.04/min off the midline) and 8% of hypsarrhythmia's
#: (54.5 and 49.9/min).
_MIDLINE_NOTE = ("the midline is left out: normal sleep's vertex waves, sharp and maximal at the vertex "
                 "(domain.md: from about 5 months), are the spike detector's commonest find in normal EEG")
FEATURES: tuple[Feature, ...] = (
    Feature("ptp_median_uv", "amplitude", "background amplitude (bipolar peak to peak, median)", "µV",
            "median", "log", "high", source="Gibbs & Gibbs 1952; BASED: 200-500 µV",
            short="background amplitude"),
    Feature("high_voltage_share", "amplitude", "share of 1-s windows over 200 µV", "",
            "median", "linear", "high", source="traditional 200 µV cut-off (domain.md)",
            short="share of seconds > 200 µV"),
    Feature("lateral_spike_events_per_min", "spikes", "spike and sharp-wave events off the midline", "/min",
            "trimmed_mean", "log1p", "high", source=f"BASED: spike burden; {_MIDLINE_NOTE}",
            short="spike events off the midline"),
    Feature("lateral_spike_regions", "spikes",
            "scalp regions off the midline with spikes in a 10-s epoch (multifocality)", "regions",
            "trimmed_mean", "linear", "high",
            source=f"BASED: >= 3 foci; Gibbs & Gibbs 1952: multifocal; {_MIDLINE_NOTE}",
            short="regions with spikes per epoch, off the midline"),
    Feature("permutation_entropy", "spectral", "permutation entropy (signal complexity)", "",
            "median", "linear", "low", source="Smith et al. 2021; Zhang et al. 2023",
            short="permutation entropy"),
    Feature("aperiodic_exponent", "spectral", "1/f exponent (steepness of the spectrum)", "",
            "median", "linear", "high", source="delta-dominated (domain.md); Schaworonkow & Voytek 2021",
            short="1/f exponent"),
    Feature("interhemispheric_correlation", "synchrony", "delta correlation of homologous pairs", "",
            "median", "linear", "low", source="asynchronous: Gibbs & Gibbs 1952; normal sleep slow waves are "
            "bilaterally synchronous: Mytinger et al. 2018",
            short="interhemispheric correlation"),
    Feature("asymmetry", "asymmetry", "|log left/right delta amplitude ratio| (of the median over epochs)", "",
            "abs_median", "linear", "high", variant="asymmetric",
            source="Hrachovy 1984; a persisting asymmetry keeps its side: ACNS 2012 terminology, 'consistent "
            "asymmetry' (Hirsch et al. 2013)",
            short="|log L/R amplitude ratio|"),
    Feature("paroxysmal_attenuation_share", "attenuation",
            "share of time in attenuation episodes, in epochs with multifocal spikes", "",
            "mean", "linear", "high", variant="attenuation", source="Hrachovy 1984; BASED grade 4",
            short="attenuated share (multifocal epochs)"),
)  # fmt: skip
FEATURE_BY_KEY = {f.key: f for f in FEATURES}


# -- per-epoch table and pooling --------------------------------------------------------
def comparison_table(epochs: pd.DataFrame) -> pd.DataFrame:
    """Clean epochs of a recording, with one column per compared feature.

    Parameters
    ----------
    epochs : pandas.DataFrame
        Per-epoch table (``ScoreResult.epochs`` or :func:`eegpipe.features.extract`).

    Returns
    -------
    table : pandas.DataFrame
        Non-excluded epochs with ``start_s`` and the keys of :data:`FEATURES`; epochs
        with a missing value are dropped.  Attenuation counts as paroxysmal only in an
        epoch with multifocal spikes (events in >= 3 regions, BASED's multifocality): the
        attenuations of modified hypsarrhythmia interrupt epileptiform activity (BASED
        grade 4: paroxysmal attenuations), while a long drop in a normal EEG is a change
        of state.  Asymmetry is kept signed per epoch (left larger: positive) and pooled as
        the absolute value of its median, the asymmetry that persists on one side, as the
        verdict measures it (:func:`eegpipe.summary.summarize`): per-epoch noise around a
        symmetric background changes side and averages out, a lateralized abnormality
        does not.
    """
    clean = epochs.loc[~epochs["excluded"].astype(bool)].copy()
    length = (clean["end_s"] - clean["start_s"]).to_numpy(float)
    att = clean["attenuated_s"].to_numpy(float) / np.maximum(length, 1e-9)
    multifocal = clean["spike_regions"].to_numpy(float) >= ABNORMAL_EPOCH_REGIONS
    clean["paroxysmal_attenuation_share"] = np.where(multifocal, att, 0.0)
    clean["asymmetry"] = clean["signed_asymmetry"]  # pooled as |median| (Feature.statistic)
    out = clean[["start_s", *[f.key for f in FEATURES]]].astype(float)
    return out.dropna().reset_index(drop=True)


def pool(values: np.ndarray, statistic: str) -> np.ndarray:
    """Pool epoch values along the last axis.

    Parameters
    ----------
    values : ndarray, shape (..., n_epochs)
        Epoch values.
    statistic : str
        ``"median"``, ``"mean"``, ``"trimmed_mean"`` (:data:`TRIM` cut from each end) or
        ``"abs_median"`` (absolute value of the median).

    Returns
    -------
    pooled : ndarray, shape (...)
    """
    if statistic == "median":
        return np.median(values, axis=-1)
    if statistic == "abs_median":
        return np.abs(np.median(values, axis=-1))
    if statistic == "mean":
        return np.mean(values, axis=-1)
    n = values.shape[-1]
    k = int(math.floor(TRIM * n))
    s = np.sort(values, axis=-1)
    return s[..., k: n - k].mean(axis=-1)


def recording_values(table: pd.DataFrame) -> dict[str, float]:
    """Pooled value of every compared feature over a recording's clean epochs.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`comparison_table`.

    Returns
    -------
    values : dict of str to float
        NaN when there are fewer than :data:`MIN_CLEAN_EPOCHS` clean epochs.
    """
    if len(table) < MIN_CLEAN_EPOCHS:
        return {f.key: float("nan") for f in FEATURES}
    return {f.key: float(pool(table[f.key].to_numpy(), f.statistic)) for f in FEATURES}


# -- the reference and the index --------------------------------------------------------
def _scale(x, scale: str):
    x = np.asarray(x, dtype=float)
    if scale == "log":
        return np.log(np.maximum(x, 1e-3))
    if scale == "log1p":
        return np.log1p(np.maximum(x, 0.0))
    return x


def _ramp(x, zero, one):
    """0 at ``zero``, 1 at ``one``, linear between, clipped to [0, 1]."""
    span = one - zero
    if not np.isfinite(span) or span == 0:
        return np.full(np.shape(x), np.nan)
    return np.clip((x - zero) / span, 0.0, 1.0)


class Reference:
    """Reference quantiles and the normalization index built on them.

    Parameters
    ----------
    data : dict
        The content of a reference file (see :func:`build_reference`).

    Notes
    -----
    For each feature, on its scale (log for amplitude, log(1 + x) for spike rates):

    * **1** is typical normal EEG for the infant's age: the median of the normal
      references of the infant's age band (anything further from hypsarrhythmia also
      reads 1);
    * **0** is typical hypsarrhythmia: the median of the hypsarrhythmia references
      (classic and modified); for a family defined by one modified variant (asymmetry,
      attenuation) that variant's median;
    * linear in between, clipped to [0, 1].  A feature whose normal median does not lie
      on the normal side of the hypsarrhythmia median in that age band carries no
      information there and is left out (NaN).

    A family's index is the mean of its features'; :func:`combine` joins the families,
    and the result is divided by :meth:`normal_edge` (clipped to 1), so that every
    recording inside the normal reference range of its age band reads 1 on the overall
    index, whatever its sleep-wake state.
    """

    def __init__(self, data: dict):
        self.data = data
        self.summary = data["summary"]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Reference:
        """Read a reference file (default: the shipped :data:`REFERENCE_PATH`).

        Parameters
        ----------
        path : str or Path or None
            A file written by :func:`build_reference`.

        Returns
        -------
        reference : Reference
        """
        return _load(str(path or REFERENCE_PATH))

    @property
    def version(self) -> int:
        """Reference format version."""
        return int(self.data["version"])

    def band(self, age_months: float | None) -> tuple[str, str | None]:
        """Normal age band for an age, and a note when the age is missing or outside.

        Parameters
        ----------
        age_months : float or None
            Age at the recording, in months.

        Returns
        -------
        band : str
            ``"3-6"``, ``"6-12"``, ``"12-24"`` or ``"all"`` (age unknown).
        note : str or None
        """
        if age_months is None or not np.isfinite(age_months):
            return "all", "age unknown: the normal reference pools 3-24 months (give --age-months)"
        for lo, hi in AGE_BANDS_MONTHS:
            if lo <= age_months < hi:
                return _band_name(lo, hi), None
        lo, hi = AGE_BANDS_MONTHS[0] if age_months < AGE_BANDS_MONTHS[0][0] else AGE_BANDS_MONTHS[-1]
        return _band_name(lo, hi), (f"age {age_months:.1f} months is outside the reference "
                                    f"(3-24 months): the {_band_name(lo, hi)} months band is used")

    def quantiles(self, key: str, group: str) -> dict:
        """Stored quantiles (``q10``..``q90``, ``n``) of a feature in a reference group.

        Parameters
        ----------
        key : str
            Feature key.
        group : str
            ``"normal_<band>"``, ``"hypsarrhythmia"`` (classic and modified) or a variant name.

        Returns
        -------
        quantiles : dict
        """
        return self.summary[key][group]

    def anchors(self, key: str, age_months: float | None) -> dict:
        """Values (natural units) where a feature's index is 0 and 1.

        Parameters
        ----------
        key : str
            Feature key.
        age_months : float or None
            Age at the recording.

        Returns
        -------
        anchors : dict
            ``zero``, ``one`` and for a two-sided feature ``one_high``, ``zero_high``.
        """
        f = FEATURE_BY_KEY[key]
        normal = self.quantiles(key, f"normal_{self.band(age_months)[0]}")
        zero = self.quantiles(key, f.variant or "hypsarrhythmia")["q50"]
        one = normal["q50"]
        sign = 1.0 if f.abnormal == "high" else -1.0
        if not sign * (float(_scale(zero, f.scale)) - float(_scale(one, f.scale))) > 0:
            one = float("nan")  # no separation in this age band: the feature is left out
        return {"zero": zero, "one": one}

    def feature_index(self, key: str, value, age_months: float | None) -> np.ndarray:
        """Index (0-1) of pooled feature values.

        Parameters
        ----------
        key : str
            Feature key.
        value : float or ndarray
            Pooled values (e.g. one per bootstrap resample).
        age_months : float or None
            Age at the recording.

        Returns
        -------
        index : ndarray
        """
        f = FEATURE_BY_KEY[key]
        a = {k: _scale(v, f.scale) for k, v in self.anchors(key, age_months).items()}
        x = _scale(value, f.scale)
        return _ramp(x, a["zero"], a["one"])

    def index(self, values: dict, age_months: float | None) -> dict:
        """Feature, family and overall normalization index.

        Parameters
        ----------
        values : dict of str to float or ndarray
            Pooled value per feature key (arrays: one per bootstrap resample).
        age_months : float or None
            Age at the recording.

        Returns
        -------
        index : dict
            ``overall``, ``families`` (family -> index) and ``features`` (key -> index).
        """
        feats = {f.key: self.feature_index(f.key, values[f.key], age_months) for f in FEATURES}
        with warnings.catch_warnings():  # a family whose features all lack separation stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            fams = {fam: np.nanmean([feats[f.key] for f in FEATURES if f.family == fam], axis=0) for fam in FAMILIES}
        overall = np.clip(combine(fams) / self.normal_edge(age_months), 0.0, 1.0)
        return {"overall": overall, "families": fams, "features": feats}

    def normal_edge(self, age_months: float | None) -> float:
        """Lower edge of the normal range on the combined index, for an age band.

        The :data:`NORMAL_RANGE_QUANTILE` quantile (read as
        :data:`NORMAL_RANGE_QUANTILE_METHOD` says) of :func:`combine` over the normal
        reference recordings of the band (all normal recordings when the age is unknown),
        each placed against its own age.  The overall index is the combined index
        divided by this edge: the normal reference's sleep and wakefulness differ in
        almost every feature (high-voltage synchronous slow waves asleep, low voltage
        awake), and "1 = normal EEG for age" should hold for the whole range, not only
        its middle, so that moving between states within normal does not lower the index.

        Parameters
        ----------
        age_months : float or None
            Age at the recording.

        Returns
        -------
        edge : float
        """
        band = self.band(age_months)[0]
        cache = self.__dict__.setdefault("_edges", {})
        if band not in cache:
            vals = []
            for r in self.data["recordings"]:
                if r["label"] != "normal" or (band != "all" and r["group"] != f"normal_{band}") or \
                        (r.get("n_clean_epochs") or 0) < MIN_CLEAN_EPOCHS:  # fmt: skip
                    continue
                v = {f.key: float("nan") if r[f.key] is None else float(r[f.key]) for f in FEATURES}
                feats = {f.key: self.feature_index(f.key, v[f.key], r["age_months"]) for f in FEATURES}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    fams = {fam: np.nanmean([feats[f.key] for f in FEATURES if f.family == fam]) for fam in FAMILIES}
                vals.append(float(combine(fams)))
            q = np.nanquantile(vals, NORMAL_RANGE_QUANTILE, method=NORMAL_RANGE_QUANTILE_METHOD) if vals else 1.0
            edge = float(q)
            cache[band] = edge if np.isfinite(edge) and edge > 0 else 1.0
        return cache[band]


#: Quantile of the normal reference recordings' combined index that marks the lower edge
#: of the normal range (mapped to 1 on the overall index): the 2.5th percentile, the lower
#: limit of the central 95 % reference interval (CLSI EP28-A3c, "Defining, establishing
#: and verifying reference intervals in the clinical laboratory", 2010).
NORMAL_RANGE_QUANTILE = 0.025
#: How the quantile is read off the ranked references: CLSI EP28-A3c's nonparametric
#: estimate is the observation of rank p(n + 1) (``numpy.quantile``'s "weibull" method,
#: Hyndman & Fan 1996 definition 6).  With fewer than 39 references that rank is below 1,
#: so the estimate is the smallest reference: with the 20 per age band the lower limit is
#: their minimum, not a point interpolated between the lowest two (numpy's default).
NORMAL_RANGE_QUANTILE_METHOD = "weibull"


def combine(families: dict) -> np.ndarray:
    """Overall index from the family indices.

    The lower of the epileptiform part (spikes and multifocality) and the background:
    hypsarrhythmia is both multifocal spikes and a disorganized high-voltage background
    (Gibbs & Gibbs 1952; BASED and Kramer score both), and either one persisting is not
    normal EEG, so the more abnormal part decides (modified hypsarrhythmia with little
    spike activity, Hrachovy 1984, reads by its background, not halfway to normal).
    The background is the better of its synchrony and the mean of its amplitude and
    spectral shape: normal sleep has high-voltage, delta-dominated but bilaterally
    synchronous slow waves (Mytinger et al. 2018), normal wakefulness low voltage and a
    flatter spectrum, while hypsarrhythmia is high-voltage, delta-dominated *and*
    asynchronous (Gibbs & Gibbs 1952).  The result is capped by the asymmetry and
    attenuation indices: an EEG with a persisting asymmetry or attenuation episodes
    (Hrachovy 1984) is not normal however the rest looks.  Families without a value
    (NaN) are left out.

    Parameters
    ----------
    families : dict of str to float or ndarray
        Family indices.

    Returns
    -------
    overall : ndarray
    """
    return np.fmin(families["spikes"], background(families))


def background(families: dict) -> np.ndarray:
    """The background part of :func:`combine`: the better of synchrony and the mean of
    amplitude and spectral shape, capped by asymmetry and attenuation.

    Parameters
    ----------
    families : dict of str to float or ndarray
        Family indices.

    Returns
    -------
    background : ndarray
    """
    with warnings.catch_warnings():  # amplitude and spectral shape both NaN: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        waking = np.nanmean([families["amplitude"], families["spectral"]], axis=0)
    organized = np.fmax(families["synchrony"], waking)
    return np.fmin(organized, np.fmin(families["asymmetry"], families["attenuation"]))


@lru_cache(maxsize=4)
def _load(path: str) -> Reference:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RuntimeError(f"{path}: cannot read the reference file ({err}); "
                           "rebuild it with `python -m eegpipe.reference build`") from None  # fmt: skip
    if data.get("version") != REFERENCE_VERSION or "summary" not in data:
        raise RuntimeError(f"{path}: not a version-{REFERENCE_VERSION} eegpipe reference file")
    return Reference(data)


def _band_name(lo: float, hi: float) -> str:
    return f"{lo:g}-{hi:g}"


# -- building ------------------------------------------------------------------------
def reference_plan(seeds: range = REFERENCE_SEEDS) -> list[dict]:
    """Which recording each reference seed simulates (label, variant, age).

    Normals: :data:`N_NORMAL_PER_BAND` per age band at evenly spaced ages; then
    :data:`N_HYPS` classic hypsarrhythmias and :data:`N_PER_VARIANT` of each modified
    variant at evenly spaced ages in :data:`HYPS_AGE_RANGE_MONTHS`.  Sleep-wake state,
    artifacts and export format are drawn by the simulator from the seed.

    Parameters
    ----------
    seeds : range
        100 consecutive seeds.

    Returns
    -------
    plan : list of dict
        ``seed``, ``label``, ``subtypes``, ``age_months``, ``group``.
    """
    from eegpipe.simulate import SUBTYPES

    plan, seeds = [], list(seeds)
    for lo, hi in AGE_BANDS_MONTHS:
        for k in range(N_NORMAL_PER_BAND):
            plan.append({"label": "normal", "subtypes": [], "group": f"normal_{_band_name(lo, hi)}",
                         "age_months": round(lo + (hi - lo) * (k + 0.5) / N_NORMAL_PER_BAND, 2)})
    lo, hi = HYPS_AGE_RANGE_MONTHS
    for k in range(N_HYPS):
        plan.append({"label": "hypsarrhythmia", "subtypes": [], "group": "classic",
                     "age_months": round(lo + (hi - lo) * (k + 0.5) / N_HYPS, 2)})
    for v in SUBTYPES:
        for k in range(N_PER_VARIANT):
            plan.append({"label": "modified_hypsarrhythmia", "subtypes": [v], "group": v,
                         "age_months": round(lo + (hi - lo) * (k + 0.5) / N_PER_VARIANT, 2)})
    if len(seeds) != len(plan):
        raise ValueError(f"the reference needs {len(plan)} seeds, got {len(seeds)}")
    return [dict(p, seed=s) for p, s in zip(plan, seeds, strict=True)]


def measure_reference_recording(entry: dict, duration_s: int = REFERENCE_DURATION_S) -> dict:
    """Simulate and measure one reference recording.

    Parameters
    ----------
    entry : dict
        One item of :func:`reference_plan`.
    duration_s : int
        Recording length in seconds.

    Returns
    -------
    row : dict
        The entry plus ``n_clean_epochs`` and the pooled value of every feature.
    """
    from eegpipe.score import score_recording
    from eegpipe.simulate import simulate_recording

    rec = simulate_recording(entry["label"], seed=entry["seed"], subtypes=entry["subtypes"],
                             age_months=entry["age_months"], duration_s=duration_s)  # fmt: skip
    res = score_recording(rec.to_raw(), keep_epochs=True)
    row = dict(entry)
    if res.epochs is None:
        return dict(row, n_clean_epochs=0, **{f.key: None for f in FEATURES})
    table = comparison_table(res.epochs)
    vals = recording_values(table)
    row["n_clean_epochs"] = len(table)
    row.update({k: (None if not np.isfinite(v) else round(v, 5)) for k, v in vals.items()})
    return row


def summarize_reference(rows: list[dict]) -> dict:
    """Quantiles per feature and group from per-recording reference values.

    Groups: ``normal_<band>`` per age band, ``normal_all``, ``hypsarrhythmia`` (classic
    and every modified variant), and each variant.

    Parameters
    ----------
    rows : list of dict
        From :func:`measure_reference_recording`.

    Returns
    -------
    summary : dict
        feature -> group -> {``n``, ``q10``, ``q25``, ``q50``, ``q75``, ``q90``}.
    """
    df = pd.DataFrame(rows)
    groups = {g: df["group"] == g for g in df["group"].unique() if g.startswith("normal_")}
    groups["normal_all"] = df["label"] == "normal"
    groups["hypsarrhythmia"] = df["label"] != "normal"
    for g in df.loc[df["label"] == "modified_hypsarrhythmia", "group"].unique():
        groups[g] = df["group"] == g
    out: dict = {}
    for f in FEATURES:
        out[f.key] = {}
        for g, sel in groups.items():
            v = pd.to_numeric(df.loc[sel, f.key], errors="coerce").dropna().to_numpy(float)
            q = np.quantile(v, [0.1, 0.25, 0.5, 0.75, 0.9]) if v.size else [float("nan")] * 5
            out[f.key][g] = {"n": int(v.size), **{k: round(float(x), 5) for k, x in
                                                   zip(("q10", "q25", "q50", "q75", "q90"), q, strict=True)}}
    return out


def build_reference(*, seeds: range = REFERENCE_SEEDS, duration_s: int = REFERENCE_DURATION_S,
                    progress: bool = False, jobs: int = 1) -> dict:  # fmt: skip
    """Simulate and measure the reference recordings; return the reference file content.

    Parameters
    ----------
    seeds : range
        Simulator seeds, one per recording of :func:`reference_plan`.
    duration_s : int
        Length of each recording in seconds.
    progress : bool
        Print one line per recording to stderr.
    jobs : int
        Worker processes (the result does not depend on it).

    Returns
    -------
    data : dict
        ``version``, provenance, ``recordings`` (per-recording values) and ``summary``.
    """
    from eegpipe import __version__
    from eegpipe.simulate import SIMULATOR_VERSION

    plan, rows = reference_plan(seeds), []
    with ProcessPoolExecutor(max_workers=max(int(jobs), 1)) as pool:
        for entry, row in zip(plan, pool.map(measure_reference_recording, plan,
                                             [duration_s] * len(plan), chunksize=4), strict=True):  # fmt: skip
            rows.append(row)
            if progress:
                print(f"seed {entry['seed']}: {entry['group']}, {row['n_clean_epochs']} clean epochs",
                      file=sys.stderr)  # fmt: skip
    return {
        "version": REFERENCE_VERSION,
        "built_with": "python -m eegpipe.reference build",
        "eegpipe_version": __version__,
        "simulator_version": SIMULATOR_VERSION,
        "seeds": [seeds.start, seeds.stop - 1],
        "duration_s": duration_s,
        "age_bands_months": [list(b) for b in AGE_BANDS_MONTHS],
        "features": {f.key: {"family": f.family, "label": f.label, "unit": f.unit,
                             "statistic": f.statistic, "source": f.source} for f in FEATURES},
        "recordings": rows,
        "summary": summarize_reference(rows),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m eegpipe.reference build [--out FILE] [--jobs N]``.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments.

    Returns
    -------
    status : int
    """
    p = argparse.ArgumentParser(prog="python -m eegpipe.reference",
                                description="Rebuild the normal/hypsarrhythmia reference of the "
                                            "normalization index from simulated recordings.")  # fmt: skip
    p.add_argument("action", choices=("build",))
    p.add_argument("--out", type=Path, default=REFERENCE_PATH, help="output JSON file")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (the file does not depend on it)")
    args = p.parse_args(argv)
    data = build_reference(progress=True, jobs=args.jobs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
