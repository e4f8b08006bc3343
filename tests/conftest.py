"""Shared fixtures: simulated corpora are made once per test session, in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL_EDF = SHARED / "real_edf"

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
