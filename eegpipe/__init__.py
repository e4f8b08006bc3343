"""eegpipe: explainable, reproducible scoring of hypsarrhythmia in infant EEG."""

from eegpipe.errors import RecordingError

__version__ = "0.1.0"

__all__ = ["RecordingError", "__version__"]
