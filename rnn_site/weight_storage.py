"""How a trained model's weights are stored in its files: float32, float16 or int8 rows.

The training log says it (``hparams.int8`` / ``hparams.float16``: the recipe rounded the weights
before scoring, so the export stores them that way). The exporter, the card and the site build
all ask this one module, and it imports neither torch nor onnx, so the site build and
`rnn_site.runtime` can read it with numpy and onnxruntime only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

#: How a graph stores its weights: as trained, at half size, or as int8 with per-row scales.
WeightStorage = Literal["float32", "float16", "int8"]
WEIGHT_STORAGES: tuple[WeightStorage, ...] = get_args(WeightStorage)


def weight_storage(log: Mapping[str, Any]) -> WeightStorage:
    """How the run behind training log `log` (a metrics.json) rounded, so stores, its weights.

    int8 wins over float16 (an int8 recipe keeps ``float16`` on; the int8 rows are what it
    scores and ships). A log without ``hparams`` (a test export of random weights) is float32.
    """
    hparams = log.get("hparams") or {}
    if hparams.get("int8"):
        return "int8"
    return "float16" if hparams.get("float16") else "float32"
