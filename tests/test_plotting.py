"""EEG pages: clinical orientation and sensitivity, on a file of the sample set."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eegpipe.io import load_recording  # noqa: E402
from eegpipe.plotting import TRACE_SPACING_MM, plot_page  # noqa: E402
from tests.conftest import REPO  # noqa: E402


def _page(seconds: float = 10.0):
    rec = load_recording(REPO / "sample_edf" / "hypsarrhythmia_6mo.edf")
    n = int(seconds * rec.sfreq)
    return rec.raw.get_data(start=0, stop=n) * 1e6, rec.ch_names, rec.sfreq


def test_pages_side_by_side_are_drawn_negative_up_at_the_sensitivity(tmp_path):
    data, names, sfreq = _page()
    fig, axes = plt.subplots(1, 2, figsize=(16, 8))
    for ax, sens in zip(axes, (10.0, 30.0), strict=True):
        assert plot_page(data, names, sfreq, sensitivity_uv_per_mm=sens, ax=ax, marks=[(1.0, 2)]) is fig
        traces = ax.lines[: len(names)]
        spacing = sens * TRACE_SPACING_MM
        for i, line in enumerate(traces):
            centred = data[i] - np.median(data[i])
            np.testing.assert_allclose(line.get_ydata(), i * spacing - centred)  # negative up
        assert [t.get_text() for t in ax.get_yticklabels()] == list(names)
    fig.savefig(tmp_path / "two.png")
    plt.close(fig)
    out = tmp_path / "page.png"
    plot_page(data, names, sfreq, out=out, title="one page")
    assert out.stat().st_size > 10_000
