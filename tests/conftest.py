"""Shared fixtures: simulated corpora are made once per test session, in a temp folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
#: The real EDF/BDF exports the tool must handle (``../shared/real_edf``, provenance in its
#: SOURCES.md); ``EEGPIPE_REAL_EDF`` points elsewhere, e.g. when the repository is cloned
#: away from ``shared``.
REAL_EDF = Path(os.environ.get("EEGPIPE_REAL_EDF", SHARED / "real_edf"))
#: Tests that read those files are skipped, with the path in the reason, when they are absent
#: (each such test also asserts that it found the files it loops over).
_NO_REAL_EDF = f"the real EDF files are not at {REAL_EDF} (set EEGPIPE_REAL_EDF)"
needs_real_edf = pytest.mark.skipif(not REAL_EDF.is_dir(), reason=_NO_REAL_EDF)


def skip_without_real_edf() -> None:
    """Skip the calling fixture (and the tests that use it) when the real files are absent."""
    if not REAL_EDF.is_dir():
        pytest.skip(_NO_REAL_EDF)

#: Seeds used by the tests.  Kept apart from every other use of the simulator
#: (benchmarks and model training use other corpus seeds; see benchmarks/README.md).
TEST_CORPUS_SEED = 9001
TEST_CLEAN_SEED = 9002


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> list[Path]:
    """60 recordings of 60 s, every class and subtype, random artifacts and formats."""
    from eegpipe.simulate import simulate_corpus

    out = tmp_path_factory.mktemp("corpus")
    return simulate_corpus(out, 60, seed=TEST_CORPUS_SEED, duration_s=60)
