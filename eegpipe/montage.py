"""The 10-20 scalp layout eegpipe works in: names, positions, pairs and regions.

Everything here is a plain constant or a pure function, shared by the simulator and
the scoring pipeline so that both agree on what "left temporal" or "homologous" means.
Positions are the idealised spherical 10-20 system (unit sphere, x to the nose, y to
the left ear, z to the vertex), computed here rather than taken from an MNE montage
so that simulated files stay bit-for-bit reproducible across MNE versions.
"""

from __future__ import annotations

import numpy as np

#: The 19 scalp electrodes of the international 10-20 system, old temporal names.
CHANNELS_1020: tuple[str, ...] = (
    "Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz",
    "C4", "T4", "T5", "P3", "Pz", "P4", "T6", "O1", "O2",
)  # fmt: skip

#: Old (Jasper 1958) to new (ACNS 2006) names of the four renamed temporal electrodes.
OLD_TO_NEW: dict[str, str] = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
NEW_TO_OLD: dict[str, str] = {v: k for k, v in OLD_TO_NEW.items()}

#: Homologous left/right pairs, used for interhemispheric synchrony and asymmetry.
HOMOLOGOUS_PAIRS: tuple[tuple[str, str], ...] = (
    ("Fp1", "Fp2"), ("F7", "F8"), ("F3", "F4"), ("T3", "T4"),
    ("C3", "C4"), ("T5", "T6"), ("P3", "P4"), ("O1", "O2"),
)  # fmt: skip

LEFT: tuple[str, ...] = tuple(pair[0] for pair in HOMOLOGOUS_PAIRS)
RIGHT: tuple[str, ...] = tuple(pair[1] for pair in HOMOLOGOUS_PAIRS)
MIDLINE: tuple[str, ...] = ("Fz", "Cz", "Pz")

#: Scalp regions, used to count spike foci (multifocality) and regional attenuation.
REGIONS: dict[str, tuple[str, ...]] = {
    "left_frontal": ("Fp1", "F7", "F3"),
    "right_frontal": ("Fp2", "F8", "F4"),
    "left_temporal": ("T3", "T5"),
    "right_temporal": ("T4", "T6"),
    "left_central": ("C3",),
    "right_central": ("C4",),
    "left_parieto_occipital": ("P3", "O1"),
    "right_parieto_occipital": ("P4", "O2"),
    "midline": ("Fz", "Cz", "Pz"),
}

#: Longitudinal bipolar montage ("double banana") for reading and spike detection,
#: in the order of domain.md: left temporal, right temporal, left parasagittal,
#: right parasagittal, midline.
DOUBLE_BANANA: tuple[tuple[str, str], ...] = (
    ("Fp1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1"),
    ("Fp2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2"),
    ("Fp1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1"),
    ("Fp2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2"),
    ("Fz", "Cz"), ("Cz", "Pz"),
)  # fmt: skip

# Idealised spherical coordinates (azimuth from the nose towards the left ear,
# elevation above the Fpz-T3-Oz circumference), in degrees.  Lateral ring at 0 deg
# elevation every 36 deg; inner ring and midline after the EEGLAB 10-20 template.
_SPHERICAL_DEG: dict[str, tuple[float, float]] = {
    "Fp1": (18.0, 0.0), "Fp2": (-18.0, 0.0),
    "F7": (54.0, 0.0), "F8": (-54.0, 0.0),
    "T3": (90.0, 0.0), "T4": (-90.0, 0.0),
    "T5": (126.0, 0.0), "T6": (-126.0, 0.0),
    "O1": (162.0, 0.0), "O2": (-162.0, 0.0),
    "F3": (39.9, 41.4), "F4": (-39.9, 41.4),
    "C3": (90.0, 45.0), "C4": (-90.0, 45.0),
    "P3": (140.1, 41.4), "P4": (-140.1, 41.4),
    "Fz": (0.0, 45.0), "Cz": (0.0, 90.0), "Pz": (180.0, 45.0),
    # reference sites used by the simulator
    "A1": (90.0, -30.0), "A2": (-90.0, -30.0), "FCz": (0.0, 67.5),
}  # fmt: skip


def spherical_to_cartesian(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector for an azimuth and elevation given in degrees.

    Parameters
    ----------
    azimuth_deg : float
        Angle from the nose towards the left ear, in degrees.
    elevation_deg : float
        Angle above the horizontal Fpz-T3-Oz plane, in degrees.

    Returns
    -------
    xyz : ndarray, shape (3,)
        Position on the unit sphere (x nose, y left, z vertex).
    """
    az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def electrode_positions(names: tuple[str, ...] | list[str] = CHANNELS_1020) -> np.ndarray:
    """Unit-sphere positions of 10-20 electrodes (old or new temporal names).

    Parameters
    ----------
    names : sequence of str
        Standard 10-20 names, e.g. ``("Fp1", "T7")``; also ``A1``, ``A2``, ``FCz``.

    Returns
    -------
    pos : ndarray, shape (n_names, 3)
        Positions on the unit sphere.
    """
    out = []
    for name in names:
        key = NEW_TO_OLD.get(name, name)
        if key not in _SPHERICAL_DEG:
            raise ValueError(f"No 10-20 position for channel {name!r}.")
        out.append(spherical_to_cartesian(*_SPHERICAL_DEG[key]))
    return np.array(out)


def nearest_neighbours(names: tuple[str, ...] | list[str], usable: np.ndarray, k: int) -> list[np.ndarray] | None:
    """The ``k`` nearest usable electrodes of each electrode.

    Parameters
    ----------
    names : sequence of str
        10-20 names (old or new temporal names).
    usable : ndarray of bool, shape (n_names,)
        Electrodes that may serve as neighbours.
    k : int
        How many neighbours at most.

    Returns
    -------
    neighbours : list of ndarray of int, or None
        For each electrode, the indices of its nearest usable electrodes other than
        itself, nearest first (fewer than ``k`` when fewer are usable); ``None`` when a
        name has no 10-20 position.
    """
    try:
        pos = electrode_positions(list(names))
    except ValueError:
        return None
    dist = np.linalg.norm(pos[:, None] - pos[None, :], axis=-1)
    dist[:, ~np.asarray(usable, bool)] = np.inf
    np.fill_diagonal(dist, np.inf)
    out = []
    for row in dist:
        nbrs = np.argsort(row)[:k]
        out.append(nbrs[np.isfinite(row[nbrs])])
    return out


def hemisphere_of(name: str) -> str:
    """Return ``'left'``, ``'right'`` or ``'midline'`` for a 10-20 electrode name.

    Parameters
    ----------
    name : str
        A standard 10-20 name (old or new temporal naming).

    Returns
    -------
    side : str
        ``'left'`` (odd numbers), ``'right'`` (even numbers) or ``'midline'`` (``z``).
    """
    key = NEW_TO_OLD.get(name, name)
    if key.endswith("z"):
        return "midline"
    return "left" if int(key[-1]) % 2 == 1 else "right"
