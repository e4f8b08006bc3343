"""The HTML report: self-contained, renders offline in Chromium, figures present, no identifiers."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest

from eegpipe.cli import main
from eegpipe.report import build_report
from tests.conftest import REPO

SERIES_DIR = REPO / "sample_edf" / "series"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Headless, and no network at all: every host name resolves to nothing.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND")  # fmt: skip
PNG_SRC = re.compile(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _identifiers(sidecar) -> list[str]:
    patient = json.loads(sidecar.read_text())["patient"]
    born = dt.date.fromisoformat(patient["birthdate"])
    return [patient["name"], patient["code"], patient["birthdate"], born.strftime("%d-%b-%Y").upper()]


def _chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium package)")
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=180, check=True)  # fmt: skip


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def series_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(SERIES_DIR), "--out", str(out)]) == 0
    return out


def test_series_report_is_self_contained_and_names_nobody(series_report):
    text = series_report.read_text(encoding="utf-8")
    assert series_report.stat().st_size < 15e6
    # nothing is fetched: no external script, style sheet, image, frame or font (links may point out)
    ext = r"""\s*=\s*["']?(?:https?:)?//"""
    assert not re.search(r"<(?:script|img|iframe|source|embed|video|audio)\b[^>]*\bsrc" + ext, text, re.I)
    assert not re.search(r"<link\b[^>]*\bhref" + ext, text, re.I)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", text, re.I)
    assert not re.search(r"""@import\s+(?:url\()?["']?(?:https?:)?//""", text, re.I)
    for title in ("Overall: NORMALIZED", "Normalization index over time", "Feature trajectories",
                  "Changes per step and feature family", "first and last recording side by side",
                  "Spectra over time", "Scalp maps over time", "Signal quality over time",
                  "most abnormal page 1", "verdict and evidence"):  # fmt: skip
        assert title in text, title
    # the follow-ups' popping electrodes (T7 at day 30, F3 at day 180) were repaired, and it says so
    for chan in ("T3", "F3"):
        row = r"popping electrodes replaced by their neighbours.{0,80}?" + chan + r" in \d+ epoch"
        assert re.search(row, text, re.S), chan
    # day 180 is awake only: the step from day 30 is read on the awake epochs, and says so
    assert re.search(r"day 30 → day 180.{0,400}?compared on the epochs annotated awake in both", text, re.S)
    for p in sorted(SERIES_DIR.glob("*.json")):
        for ident in _identifiers(p):
            assert ident not in text, ident


def test_a_two_recording_report_gives_the_comparison_notes_once(tmp_path):
    # Day 30 against day 180 is the one comparison, read on the awake epochs: its note
    # heads the summary, and the step points there rather than repeating it.
    files = sorted(SERIES_DIR.glob("*.edf"))[1:]
    out = build_report(files, tmp_path / "two.html", n_boot=200)
    text = out.read_text(encoding="utf-8")
    assert text.count("compared on the epochs annotated awake in both") == 1
    assert "Notes: in the summary above." in text


def test_series_report_renders_offline_with_its_figures(series_report, tmp_path):
    dom = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", series_report.as_uri()).stdout
    sizes = [_png_size(base64.b64decode(b)) for b in PNG_SRC.findall(dom)]
    figures = [(w, h) for w, h in sizes if w >= 800 and h >= 200]  # not the logo
    # index, trajectories, pages side by side, spectra, maps, quality; 2 pages per recording
    assert len(figures) >= 6 + 3 * 2, sizes
    assert "NORMALIZED" in dom and "normalization index" in dom
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,3000", series_report.as_uri())
    import matplotlib.pyplot as plt

    img = plt.imread(shot)[..., :3]
    assert img.shape[:2] == (3000, 1400)
    ink = (img.mean(axis=2) < 0.9).mean()  # share of pixels that are not near-white
    assert ink > 0.05, ink
    # the first figure (the index over time) is drawn: dark lines in the top 3000 px beyond text
    assert np.std(img) > 0.1


def test_single_recording_report_shows_identifiers_only_when_asked(tmp_path):
    f = REPO / "sample_edf" / "hypsarrhythmia_6mo.edf"
    idents = _identifiers(f.with_suffix(".json"))
    out = build_report([f], tmp_path / "one.html", show_identifiers=True, n_boot=200)
    text = out.read_text(encoding="utf-8")
    assert idents[0] in text and idents[1] in text
    assert "most abnormal page 1" in text and "scalp maps" in text and "spectrum" in text
    assert len(PNG_SRC.findall(text)) >= 5


def test_report_refuses_a_non_html_output_in_one_line(tmp_path, capsys):
    assert main(["report", str(SERIES_DIR), "--out", str(tmp_path / "r.pdf")]) == 1
    err = capsys.readouterr().err.strip()
    assert "r.pdf" in err and "\n" not in err
    assert not (tmp_path / "r.pdf").exists()
