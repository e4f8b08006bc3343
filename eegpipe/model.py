"""The trained classifier: recording features -> class and subtype probabilities.

:class:`HypsarrhythmiaClassifier` is a scikit-learn estimator over the one-row-per-
recording table of :func:`eegpipe.features.recording_summary`.  It predicts the class
(``normal``, ``hypsarrhythmia``, ``modified_hypsarrhythmia``) with calibrated
probabilities and, for abnormal recordings, the five modified-hypsarrhythmia subtypes
as independent (multi-label) calibrated probabilities.

Models are stored with skops (no pickle: loading never runs code from the file) next to
a model card; :func:`load_model` refuses a file whose hash does not match its card or
that holds any type outside :data:`ALLOWED_TYPES`.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from eegpipe.rules import HYPS_MIN_BACKGROUND_UV

#: Model file and card names inside a model folder.
MODEL_FILE = "model.skops"
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"

#: Folder of the models that ship with eegpipe (``models/`` at the top of the project).
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = "default"

#: The class that means "no hypsarrhythmia"; subtype models learn from the other classes.
NORMAL_CLASS = "normal"

#: Every type a model file may hold (skops' schema names them all).  Anything else, even
#: a type skops itself would trust, makes :func:`load_model` refuse the file.
ALLOWED_TYPES = (
    "eegpipe.model.HypsarrhythmiaClassifier",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.dummy.DummyClassifier",
    "numpy.arcsinh",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.uint64",
    "sklearn.preprocessing._label.LabelEncoder",
    "numpy.bool_",
    "numpy.bool",
    "numpy.random._generator.Generator",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "builtins.slice",
    "builtins.type",
)


class ModelError(Exception):
    """A model that cannot be used: missing, tampered with, or holding unknown types."""


class HypsarrhythmiaClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated classifier of recordings, with multi-label subtype probabilities.

    Parameters
    ----------
    kind : {"logistic", "hgb"}
        L2-regularised logistic regression on standardised ``arcsinh`` features, or a
        small histogram gradient-boosting model.
    C : float
        Inverse regularisation strength (``kind="logistic"``).
    learning_rate, max_leaf_nodes, max_iter : float, int, int
        Boosting settings (``kind="hgb"``); ``max_iter`` also caps the logistic solver.
    calibration : {"sigmoid", "isotonic", "none"}
        Probability calibration by cross-validation (:class:`~sklearn.calibration.CalibratedClassifierCV`).
    cv : int
        Folds for calibration (fewer when a class has fewer members).
    subtype_threshold : float
        Probability at or above which :meth:`predict_subtypes` reports a subtype.
    random_state : int
        Seed of the calibration folds and of the boosting model.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the column order of :meth:`predict_proba`.
    subtypes_ : list of str
        Subtype names, in the column order of :meth:`predict_subtype_proba` (empty when
        fitted without subtypes).
    feature_names_in_ : ndarray of str
        Feature names seen in :meth:`fit` (when ``X`` was a DataFrame).

    Examples
    --------
    >>> from eegpipe.model import HypsarrhythmiaClassifier
    >>> clf = HypsarrhythmiaClassifier(kind="logistic", C=0.3)
    >>> clf.fit(X, y, subtypes=subtype_lists)  # doctest: +SKIP
    >>> clf.predict_proba(X_new)  # doctest: +SKIP
    """

    def __init__(self, kind: str = "logistic", C: float = 0.3, learning_rate: float = 0.1,
                 max_leaf_nodes: int = 8, max_iter: int = 200, calibration: str = "sigmoid",
                 cv: int = 5, subtype_threshold: float = 0.5, random_state: int = 0):  # fmt: skip
        self.kind = kind
        self.C = C
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.max_iter = max_iter
        self.calibration = calibration
        self.cv = cv
        self.subtype_threshold = subtype_threshold
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _base(self):
        if self.kind == "logistic":
            return Pipeline([
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("arcsinh", FunctionTransformer(np.arcsinh)),
                ("scale", StandardScaler()),
                ("clf", LogisticRegression(C=self.C, max_iter=max(self.max_iter, 500))),
            ])  # fmt: skip
        if self.kind == "hgb":
            return HistGradientBoostingClassifier(
                learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                max_iter=self.max_iter, l2_regularization=1.0, min_samples_leaf=10,
                random_state=self.random_state,
            )  # fmt: skip
        raise ValueError(f"kind must be 'logistic' or 'hgb', got {self.kind!r}")

    def _calibrated(self, y: np.ndarray):
        """The base model, wrapped for calibration when every class allows the folds."""
        base = self._base()
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError(f"calibration must be 'sigmoid', 'isotonic' or 'none', got {self.calibration!r}")
        n_min = int(np.unique(y, return_counts=True)[1].min())
        folds = min(self.cv, n_min)
        if self.calibration == "none" or folds < 2:
            return base
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        # ensemble=False: one model fitted on all data, calibrated on its cross-validated
        # predictions; a fifth of the size and prediction time of a per-fold ensemble
        return CalibratedClassifierCV(base, method=self.calibration, cv=cv, ensemble=False)

    def fit(self, X, y, subtypes=None) -> HypsarrhythmiaClassifier:
        """Fit the class model and, when ``subtypes`` is given, one model per subtype.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features (NaN allowed).
        y : array-like, shape (n_recordings,)
            Class labels.
        subtypes : None, DataFrame of 0/1, or sequence of lists or ``;``-strings
            Subtypes present in each recording (multi-label); learnt from the
            recordings whose class is not :data:`NORMAL_CLASS`.

        Returns
        -------
        self : HypsarrhythmiaClassifier
        """
        with threadpool_limits(1, user_api="openmp"):  # tiny data: threads only contend
            return self._fit(X, y, subtypes)

    def _fit(self, X, y, subtypes) -> HypsarrhythmiaClassifier:
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        self.classes_ = unique_labels(y)
        if self.classes_.size < 2:
            raise ValueError(f"need at least 2 classes to fit, got {self.classes_.size} class")
        self.model_ = self._calibrated(y).fit(X, y)
        self.n_iter_ = _n_iter(self.model_)
        self.subtypes_: list[str] = []
        self.subtype_models_: list = []
        if subtypes is not None:
            names, Y = _subtype_matrix(subtypes, len(y))
            rows = y != NORMAL_CLASS if (y != NORMAL_CLASS).any() else np.ones(len(y), bool)
            for j, name in enumerate(names):
                t = Y[rows, j]
                self.subtypes_.append(name)
                if t.min() == t.max():  # never (or always) present: a constant answer
                    self.subtype_models_.append(float(t[0]) if t.size else 0.0)
                else:
                    self.subtype_models_.append(self._calibrated(t).fit(X[rows], t))
        return self

    def _X(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, ensure_all_finite="allow-nan")

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray, shape (n_recordings, n_classes)
        """
        Xv = self._X(X)
        with threadpool_limits(1, user_api="openmp"):
            return self.model_.predict_proba(Xv)

    def predict(self, X) -> np.ndarray:
        """Most probable class per recording.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features, as in :meth:`fit`.

        Returns
        -------
        labels : ndarray, shape (n_recordings,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_subtype_proba(self, X) -> np.ndarray:
        """Probability of each subtype, given that the recording is abnormal.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray, shape (n_recordings, n_subtypes)
            Columns in the order of ``subtypes_``.
        """
        Xv = self._X(X)
        with threadpool_limits(1, user_api="openmp"):
            cols = [np.full(Xv.shape[0], m) if isinstance(m, float) else m.predict_proba(Xv)[:, 1]
                    for m in self.subtype_models_]  # fmt: skip
        return np.column_stack(cols) if cols else np.zeros((Xv.shape[0], 0))

    def predict_subtypes(self, X) -> list[list[str]]:
        """Subtypes at or above ``subtype_threshold`` for each recording.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features, as in :meth:`fit`.

        Returns
        -------
        subtypes : list of list of str
        """
        p = self.predict_subtype_proba(X)
        return [[s for s, v in zip(self.subtypes_, row, strict=True) if v >= self.subtype_threshold]
                for row in p]  # fmt: skip

    def abnormal_proba(self, X) -> np.ndarray:
        """Probability of hypsarrhythmia or a modified variant (every class but normal).

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_recordings, n_features)
            Recording features, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray, shape (n_recordings,)
        """
        p = self.predict_proba(X)
        normal = self.classes_ == NORMAL_CLASS
        return 1.0 - p[:, normal].sum(axis=1)


def _n_iter(model) -> int:
    """Solver iterations (largest over calibration folds) of a fitted base or calibrated model."""
    fitted = [c.estimator for c in model.calibrated_classifiers_] if hasattr(model, "calibrated_classifiers_") \
        else [model]  # fmt: skip
    its = [np.max(getattr(m[-1] if isinstance(m, Pipeline) else m, "n_iter_", 0)) for m in fitted]
    return int(max(its))


def _subtype_matrix(subtypes, n: int) -> tuple[list[str], np.ndarray]:
    """Names and a 0/1 matrix from a DataFrame, an indicator array or lists of names."""
    if isinstance(subtypes, pd.DataFrame):
        return [str(c) for c in subtypes.columns], subtypes.to_numpy(dtype=float)
    lists = [_split(s) for s in subtypes]
    if len(lists) != n:
        raise ValueError(f"subtypes has {len(lists)} rows, y has {n}")
    names = sorted({s for row in lists for s in row})
    Y = np.array([[float(s in row) for s in names] for row in lists]).reshape(n, len(names))
    return names, Y


def _split(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(";") if s.strip()]
    return [str(s) for s in v]


# -- saving and loading ----------------------------------------------------------------
def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or Path
        Any file.

    Returns
    -------
    digest : str
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(model: HypsarrhythmiaClassifier, folder: str | Path, card: dict) -> Path:
    """Write ``model.skops``, ``model_card.json`` and ``MODEL_CARD.md`` into ``folder``.

    Parameters
    ----------
    model : HypsarrhythmiaClassifier
        A fitted model.
    folder : str or Path
        Destination (created).
    card : dict
        Model card fields (see :mod:`eegpipe.train`); ``sha256`` and ``file`` are added.

    Returns
    -------
    path : Path
        The model file.
    """
    import skops.io as sio

    from eegpipe.train import card_markdown

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / MODEL_FILE
    sio.dump(model, path, compression=8)
    card = {**card, "file": MODEL_FILE, "sha256": sha256_of(path)}
    (out / CARD_JSON).write_text(json.dumps(card, indent=2, default=_json_default) + "\n")
    (out / CARD_MD).write_text(card_markdown(card))
    return path


def _json_default(o):
    if isinstance(o, np.integer | np.floating):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def schema_types(path: str | Path) -> set[str]:
    """Every fully qualified type named in a skops file's schema (nothing is loaded).

    Parameters
    ----------
    path : str or Path
        A ``.skops`` file.

    Returns
    -------
    types : set of str
        ``"module.Class"`` names.
    """
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def resolve_model(name_or_path: str | Path) -> Path:
    """The folder of a model given by name (``models/<name>``) or by path.

    Parameters
    ----------
    name_or_path : str or Path
        ``"default"``, another name under ``models/``, a model folder, or its ``.skops`` file.

    Returns
    -------
    folder : Path
    """
    p = Path(name_or_path)
    if p.suffix == ".skops":
        return p.parent
    if p.is_dir() or p.is_absolute() or len(p.parts) > 1:
        return p
    return MODELS_DIR / p


def load_model(name_or_path: str | Path = DEFAULT_MODEL, *,
               allowed: Sequence[str] = ALLOWED_TYPES) -> tuple[HypsarrhythmiaClassifier, dict]:  # fmt: skip
    """Load a model and its card, refusing anything unexpected.

    The file's SHA-256 must equal the card's; every type in the file must be one of
    skops' trusted defaults or listed in ``allowed``; the result must be a
    :class:`HypsarrhythmiaClassifier`.

    Parameters
    ----------
    name_or_path : str or Path
        See :func:`resolve_model`.
    allowed : sequence of str
        Fully qualified type names the file may contain.

    Returns
    -------
    model : HypsarrhythmiaClassifier
    card : dict

    Raises
    ------
    ModelError
        With a one-line reason naming the file.
    """
    import skops.io as sio

    folder = resolve_model(name_or_path)
    path, card_path = folder / MODEL_FILE, folder / CARD_JSON
    if not path.is_file():
        raise ModelError(f"{path}: no model file (train one with `eegpipe train`)")
    if not card_path.is_file():
        raise ModelError(f"{path}: no {CARD_JSON} beside it; refusing a model without its card")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as err:
        raise ModelError(f"{card_path}: unreadable model card ({err})") from None
    digest = sha256_of(path)
    if card.get("sha256") != digest:
        raise ModelError(f"{path}: file does not match its model card (sha256 {digest[:12]}... "
                         f"!= {str(card.get('sha256'))[:12]}...); it was changed after training")  # fmt: skip
    try:
        untrusted = sio.get_untrusted_types(file=path)
        present = schema_types(path)
    except Exception as err:  # noqa: BLE001 - any parse failure means a broken file
        raise ModelError(f"{path}: not a readable skops model file ({type(err).__name__}: {err})") from None
    unknown = sorted((present | set(untrusted)) - set(allowed))
    if unknown:
        raise ModelError(f"{path}: refusing to load types eegpipe does not trust: {', '.join(unknown[:5])}")
    try:
        model = sio.load(path, trusted=list(untrusted))
    except Exception as err:  # noqa: BLE001
        raise ModelError(f"{path}: could not be loaded ({type(err).__name__}: {err})") from None
    if not isinstance(model, HypsarrhythmiaClassifier):
        raise ModelError(f"{path}: holds a {type(model).__name__}, not a HypsarrhythmiaClassifier")
    return model, card



# -- the verdict from model and rules ---------------------------------------------------
#: The model overrides a disagreeing rule-based verdict only when at least this sure
#: (P(abnormal) >= 0.9 or <= 0.1).  *unverified*: a policy choice, not a literature value;
#: below it the explainable rules keep the last word.
MODEL_CONFIDENT = 0.9


def model_output(model: HypsarrhythmiaClassifier, card: dict, features: pd.Series) -> dict:
    """The model's view of one recording, JSON-ready.

    Parameters
    ----------
    model : HypsarrhythmiaClassifier
        Fitted model.
    card : dict
        Its model card (name and hash are reported).
    features : pandas.Series
        From :func:`eegpipe.features.recording_summary`.

    Returns
    -------
    out : dict
        ``name``, ``sha256``, ``p_abnormal``, ``class_probabilities``,
        ``subtype_probabilities``, ``verdict``, ``subtypes``.
    """
    names = list(getattr(model, "feature_names_in_", features.index))
    X = pd.DataFrame([features.reindex(names).to_numpy(dtype=float)], columns=names)
    proba = model.predict_proba(X)[0]
    sub = model.predict_subtype_proba(X)[0]
    verdict = str(model.classes_[int(np.argmax(proba))])
    subtypes = [s for s, p in zip(model.subtypes_, sub, strict=True) if p >= model.subtype_threshold]
    if verdict != "modified_hypsarrhythmia":
        subtypes = []
    elif not subtypes and sub.size:
        subtypes = [model.subtypes_[int(np.argmax(sub))]]
    return {
        "name": card.get("name"), "sha256": card.get("sha256"),
        "p_abnormal": float(model.abnormal_proba(X)[0]),
        "class_probabilities": {str(c): float(p) for c, p in zip(model.classes_, proba, strict=True)},
        "subtype_probabilities": {s: float(p) for s, p in zip(model.subtypes_, sub, strict=True)},
        "verdict": verdict, "subtypes": subtypes,
    }  # fmt: skip


def combine(rule_verdict: str, rule_subtypes: list[str], model_out: dict,
            median_ptp_uv: float | None = None) -> tuple[str, list[str], str, str]:  # fmt: skip
    """Final verdict from the rule-based verdict and the model's output.

    * Rules say ``indeterminate`` (too little clean EEG): stays indeterminate (rules).
    * Both call the recording abnormal, or both normal: they agree; the model's class and
      subtypes are reported (``"model and rules agree"``).
    * They disagree and the model is sure (P(abnormal) >= :data:`MODEL_CONFIDENT` or
      <= 1 - :data:`MODEL_CONFIDENT`): the model decides (``"model"``).
    * They disagree and the model is unsure: the rules decide (``"rules"``).
    * The model never calls abnormal a recording whose background is below
      :data:`~eegpipe.rules.HYPS_MIN_BACKGROUND_UV` (hypsarrhythmia is a high-voltage
      pattern by definition, domain.md): there the rules decide (``"rules"``).

    Parameters
    ----------
    rule_verdict : str
        From :func:`eegpipe.rules.decide`.
    rule_subtypes : list of str
        Subtypes the rules found.
    model_out : dict
        From :func:`model_output`.
    median_ptp_uv : float or None
        Background peak-to-peak of the median derivation (recording measure).

    Returns
    -------
    verdict : str
    subtypes : list of str
    decided_by : str
    why : str
        One sentence on how the two were combined.
    """
    p = model_out["p_abnormal"]
    if rule_verdict == "indeterminate":
        return rule_verdict, [], "rules", "too little clean EEG for either"
    rule_abn = rule_verdict != "normal"
    model_abn = model_out["verdict"] != "normal"
    if model_abn and median_ptp_uv is not None and median_ptp_uv < HYPS_MIN_BACKGROUND_UV:
        return rule_verdict, list(rule_subtypes), "rules", \
            (f"model's '{model_out['verdict']}' (P(abnormal) {p:.2f}) set aside: background "
             f"{median_ptp_uv:.0f} µV is below the {HYPS_MIN_BACKGROUND_UV:.0f} µV of hypsarrhythmia")  # fmt: skip
    if rule_abn == model_abn:
        return model_out["verdict"], list(model_out["subtypes"]), "model and rules agree", \
            f"model (P(abnormal) {p:.2f}) and rules agree"  # fmt: skip
    if p >= MODEL_CONFIDENT or p <= 1 - MODEL_CONFIDENT:
        return model_out["verdict"], list(model_out["subtypes"]), "model", \
            f"model is sure (P(abnormal) {p:.2f}) and overrides the rules' '{rule_verdict}'"  # fmt: skip
    return rule_verdict, list(rule_subtypes), "rules", \
        f"model is unsure (P(abnormal) {p:.2f}); the rules' verdict stands"  # fmt: skip
